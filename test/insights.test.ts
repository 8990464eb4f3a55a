import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { main } from '../src/cli.js';
import { AwsClients } from '../src/sources/aws.js';
import { insightsText, plainDmlQueries, runInsightsQuery } from '../src/sources/logs/insights.js';
import { sessionCountsQuery } from '../src/checks/monthly/log-counts.js';
import { fleetInstance, SANDBOX_LOG_GROUP } from '../src/sandbox/aws-scenario.js';
import type { Report } from '../src/report.js';
import { endpointLifecycle, useEndpoint } from './helpers/aws.js';
import { bufferIo } from './helpers/io.js';
import { fastRetries } from './helpers/run-check.js';

/**
 * CloudWatch Logs Insights through the real CloudWatch Logs client against the sandbox, which runs the queries dbsec
 * writes over the activity scenario's recorded log (recorded 2026-11-22 23:13 UTC; the clock is pinned after it).
 */
endpointLifecycle();
const log = fileURLToPath(new URL('../fixtures/logs/activity/activity-stderr-pg18.log', import.meta.url));
const AT = new Date('2026-11-22T23:30:00Z');
const WEEK = { from: new Date(AT.getTime() - 7 * 86_400_000), to: AT };

describe('Logs Insights queries', () => {
  it('run to Complete, polled with backoff, and come back as rows', async () => {
    const endpoint = await useEndpoint({ logFile: log });
    const aws = new AwsClients({ region: 'us-east-1', retryStrategy: fastRetries });
    try {
      const rows = await runInsightsQuery(aws, { logGroups: [SANDBOX_LOG_GROUP], window: WEEK, query: sessionCountsQuery(false) });
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.every((row) => row['@log'] === `123456789012:${SANDBOX_LOG_GROUP}` && Number(row.n) > 0 && ['FATAL', 'LOG'].includes(row.level!))).toBe(true);
      expect(endpoint.requests.map((r) => r.operation)).toEqual(['StartQuery', 'GetQueryResults', 'GetQueryResults']);
    } finally {
      aws.destroy();
    }
  });

  it('are stopped on the service (StopQuery) when dbsec is interrupted', async () => {
    const endpoint = await useEndpoint({ logFile: log });
    const aws = new AwsClients({ region: 'us-east-1', retryStrategy: fastRetries });
    const interrupt = new AbortController();
    try {
      const running = runInsightsQuery(aws, { logGroups: [SANDBOX_LOG_GROUP], window: WEEK, query: sessionCountsQuery(true) }, interrupt.signal);
      while (endpoint.count('GetQueryResults') === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      interrupt.abort();
      await expect(running).rejects.toThrow('The Logs Insights query was stopped: dbsec was interrupted.');
      expect(endpoint.requests.find((r) => r.operation === 'StopQuery')?.input).toEqual({ queryId: 'q-1' });
    } finally {
      aws.destroy();
    }
  });

  it('split a window until each slice fits a query, and say so when one second alone overflows', async () => {
    const at = (second: number) => Date.parse('2026-11-22T10:00:00Z') + second * 1000;
    const line = (second: number, sql: string) => ({ timestamp: at(second), message: `${new Date(at(second)).toISOString().replace('T', ' ').slice(0, 19)} UTC:10.0.0.9(4000):app@app:[91]:LOG:  statement: ${sql}` });
    // 10,003 DDL lines in second 5 (more than a query returns), a few elsewhere, and plain reads that stay on the server
    const events = [line(1, 'DROP TABLE early'), line(2, 'SELECT 1 FROM t WHERE id = 2'), ...Array.from({ length: 10_003 }, (_, i) => line(5, `DROP TABLE t${i}`)), line(8, 'DROP TABLE late'), line(9, 'UPDATE t SET x = 1')];
    const endpoint = await useEndpoint({ logEvents: events });
    const aws = new AwsClients({ region: 'us-east-1', retryStrategy: fastRetries });
    const full: Date[] = [];
    const plain: Array<[string, number]> = [];
    try {
      const text: string[] = [];
      const filter = { queries: plainDmlQueries([])!, onPlain: (command: string, count: number) => void plain.push([command, count]), onFull: (second: Date) => void full.push(second) };
      for await (const chunk of insightsText(aws, SANDBOX_LOG_GROUP, { from: new Date(at(0)), to: new Date(at(10)) }, filter)) text.push(...chunk.toString().trimEnd().split('\n'));
      expect(plain.sort()).toEqual([['SELECT', 1], ['UPDATE', 1]]);
      expect(full).toEqual([new Date(at(5))]);
      expect(text).toHaveLength(10_000 + 2);
      expect(text[0]).toContain('DROP TABLE early');
      expect(text.at(-1)).toContain('DROP TABLE late');
      // halves meeting on whole seconds: no second read twice
      expect(endpoint.count('StartQuery')).toBeGreaterThan(3);
    } finally {
      aws.destroy();
    }
  });

  it('say in one sentence when a group does not exist or the query fails', async () => {
    await useEndpoint({ logFile: log });
    const aws = new AwsClients({ region: 'us-east-1', retryStrategy: fastRetries });
    try {
      await expect(runInsightsQuery(aws, { logGroups: ['/aws/rds/instance/gone/postgresql'], window: WEEK, query: sessionCountsQuery(false) })).rejects.toThrow(/^AWS .*logs:StartQuery.*Log group '\/aws\/rds\/instance\/gone\/postgresql' does not exist/);
    } finally {
      aws.destroy();
    }
  });

  it('give way to the events when the policy refuses them, and say so', async () => {
    const recorded = fileURLToPath(new URL('../fixtures/logs/rds-prefix-pg18.log', import.meta.url));
    const endpoint = await useEndpoint({ logFile: recorded });
    endpoint.inject('StartQuery', 'access-denied', 1);
    const io = bufferIo(AT, process.env);
    io.awsRetryStrategy = fastRetries;
    await main(['node', 'dbsec', 'daily', '--rds-instance', 'dbsec-demo-db', '--only', 'daily.failed-auth', '--format', 'json'], io);
    const [finding] = (JSON.parse(io.out()) as Report).findings;
    expect(finding).toMatchObject({ status: 'monitor', value: 8, summary: expect.stringMatching(/ Logs Insights was refused \(logs:StartQuery\), so the events were read instead; allow logs:StartQuery, logs:GetQueryResults and logs:StopQuery to count where the log lives\.$/) });
    expect(endpoint.count('FilterLogEvents')).toBeGreaterThan(0);
  });

  it("count a fleet's failed logins with one query per region, each instance with its own users and addresses", async () => {
    // eight failed logins recorded from PostgreSQL 18 with RDS's prefix (2026-11-22 21:43 UTC)
    const recorded = fileURLToPath(new URL('../fixtures/logs/rds-prefix-pg18.log', import.meta.url));
    const endpoint = await useEndpoint({ logFile: recorded, instancesByRegion: { 'us-east-1': ['ins-a', 'ins-b'].map((id) => fleetInstance(id, 'us-east-1')) } });
    const daily = async (config: object) => {
      const file = join(mkdtempSync(join(tmpdir(), 'dbsec-insights-')), 'dbsec.yaml');
      writeFileSync(file, stringify(config));
      const io = bufferIo(AT, process.env);
      io.awsRetryStrategy = fastRetries;
      await main(['node', 'dbsec', 'daily', '--all-instances', '--regions', 'us-east-1', '--only', 'daily.failed-auth', '-c', file, '--format', 'json'], io);
      return JSON.parse(io.out()) as Report;
    };
    const report = await daily({});
    expect(endpoint.requests.filter((r) => r.operation === 'StartQuery').map((r) => r.input.logGroupNames)).toEqual([['/aws/rds/instance/ins-a/postgresql', '/aws/rds/instance/ins-b/postgresql']]);
    expect(endpoint.count('FilterLogEvents')).toBe(0);
    const [a, b] = ['ins-a', 'ins-b'].map((target) => report.findings.find((f) => f.target === target)!);
    expect(a!.value).toBe(8);
    expect([b!.value, b!.evidence]).toEqual([a!.value, a!.evidence]);
    // the same users, addresses and times as reading the events
    const fromEvents = await daily({ checks: { 'daily.failed-auth': { insights: false } } });
    expect(fromEvents.findings.find((f) => f.target === 'ins-a')).toMatchObject({ value: 8, summary: a!.summary, evidence: a!.evidence });
  });

  it("count a region's instances in one query each and give every instance its own counts", async () => {
    const endpoint = await useEndpoint({ logFile: log, instancesByRegion: { 'us-east-1': ['ins-a', 'ins-b', 'ins-c'].map((id) => fleetInstance(id, 'us-east-1')) } });
    const config = join(mkdtempSync(join(tmpdir(), 'dbsec-insights-')), 'dbsec.yaml');
    writeFileSync(config, stringify({ checks: { 'monthly.log-summary': { minCount: 0 } } }));
    const io = bufferIo(AT, { ...process.env, COLUMNS: '120' });
    io.awsRetryStrategy = fastRetries;
    await main(['node', 'dbsec', 'monthly', '--all-instances', '--regions', 'us-east-1', '--only', 'monthly.log-summary', '--since', '7d', '-c', config, '--format', 'json'], io);
    const report = JSON.parse(io.out()) as Report;
    const starts = endpoint.requests.filter((r) => r.operation === 'StartQuery');
    expect(starts).toHaveLength(3);
    expect(starts.every((r) => r.input.logGroupNames.length === 3)).toBe(true);
    expect(endpoint.count('FilterLogEvents')).toBe(0);
    // the three groups hold the same log: each instance gets the same counts, from its own rows
    const of = (target: string) => report.findings.filter((f) => f.target === target).map((f) => [f.status, f.title, f.evidence]);
    expect(of('ins-a').length).toBeGreaterThan(0);
    expect(of('ins-a')[0]![2]).not.toEqual([]);
    expect(of('ins-b')).toEqual(of('ins-a'));
    expect(of('ins-c')).toEqual(of('ins-a'));

    // --verbose prints the queries, one command a line, to run again in the console
    const verbose = bufferIo(AT, { ...process.env, COLUMNS: '200' });
    verbose.awsRetryStrategy = fastRetries;
    await main(['node', 'dbsec', 'monthly', '--all-instances', '--regions', 'us-east-1', '--only', 'monthly.log-summary', '--since', '7d', '-c', config, '--verbose', '--no-color'], verbose);
    expect(verbose.out()).toContain('  Logs Insights query:\n    fields @log\n    | filter @message like /(FATAL|LOG)');
  });
});
