import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import ddl from '../../src/checks/weekly/ddl-statements.js';
import failedAuth from '../../src/checks/daily/failed-auth.js';
import logSummary from '../../src/checks/monthly/log-summary.js';
import { SANDBOX_INSTANCE } from '../../src/sandbox/aws-scenario.js';
import { endpointLifecycle, useEndpoint } from '../helpers/aws.js';
import { pinClock, runChecksOn } from '../helpers/run-check.js';

/** The activity scenario's log (recorded 2026-11-22 23:13 UTC) served as the instance's CloudWatch log group. */
endpointLifecycle();
pinClock(new Date('2026-11-22T23:30:00Z'));
const log = fileURLToPath(new URL('../../fixtures/logs/activity/activity-stderr-pg18.log', import.meta.url));

describe('one read of the log per run and target', () => {
  it('serves every log check of the run from one FilterLogEvents read, each with its own records', async () => {
    const endpoint = await useEndpoint({ logFile: log, pageSize: 5 });
    const findings = await runChecksOn([ddl, failedAuth], { rdsInstance: SANDBOX_INSTANCE });
    const reads = endpoint.requests.filter((r) => r.operation === 'FilterLogEvents' && !r.input.nextToken);
    expect(reads).toHaveLength(1);
    expect(reads[0]!.input.filterPattern).toMatch(/"DROP".*"authentication failed"/);
    expect(findings.filter((f) => f.checkId === 'weekly.ddl-statements').map((f) => f.value)).toEqual(['DROP TABLE', 'DROP TABLE', 'ALTER TABLE', 'ALTER TABLE', 'TRUNCATE TABLE', 'DROP TABLE', 'DROP TABLE']);
    expect(findings.find((f) => f.checkId === 'daily.failed-auth')).toMatchObject({ status: 'ok', value: 0 });
  });

  it('a check that reads another window (the log summary compares with the window before) reads on its own', async () => {
    const endpoint = await useEndpoint({ logFile: log, pageSize: 5 });
    const findings = await runChecksOn([ddl, logSummary], { rdsInstance: SANDBOX_INSTANCE }, { since: 7 * 86_400_000 }, { 'monthly.log-summary': { insights: false } });
    const reads = endpoint.requests.filter((r) => r.operation === 'FilterLogEvents' && !r.input.nextToken);
    expect(reads.map((r) => r.input.endTime - r.input.startTime)).toEqual(expect.arrayContaining([7 * 86_400_000, 14 * 86_400_000]));
    expect(reads).toHaveLength(2);
    expect(findings.filter((f) => f.checkId === 'weekly.ddl-statements')).toHaveLength(7);
  });

  it('the log summary counts with Logs Insights where the log lives, and agrees with the count from the events', async () => {
    const window = { since: 7 * 86_400_000 };
    const endpoint = await useEndpoint({ logFile: log, pageSize: 5 });
    const [fromEvents] = await runChecksOn([logSummary], { rdsInstance: SANDBOX_INSTANCE }, window, { 'monthly.log-summary': { insights: false, minCount: 0 } });
    endpoint.requests.length = 0;
    const [fromInsights] = await runChecksOn([logSummary], { rdsInstance: SANDBOX_INSTANCE }, window, { 'monthly.log-summary': { minCount: 0 } });
    expect(endpoint.count('FilterLogEvents')).toBe(0);
    // the window by day, the previous window, the DDL candidates; each polled until Complete
    // (whole seconds inside each window: a second shorter when its ends fall within seconds)
    const starts = endpoint.requests.filter((r) => r.operation === 'StartQuery');
    expect(starts.map((r) => r.input.logGroupNames)).toEqual(Array(3).fill([`/aws/rds/instance/${SANDBOX_INSTANCE}/postgresql`]));
    expect(starts.map((r) => Math.round((r.input.endTime - r.input.startTime) / 86_400))).toEqual([7, 7, 14]);
    expect(endpoint.count('GetQueryResults')).toBe(6);
    expect(fromInsights!.evidence).toEqual(fromEvents!.evidence);
    expect(fromInsights!.evidence.reduce((sum, day) => sum + Number(day.drop) + Number(day.alter) + Number(day.connections), 0)).toBeGreaterThan(5);
    expect(fromInsights!.title).toBe(fromEvents!.title);
    expect(fromInsights!.summary).toMatch(/Counted by CloudWatch Logs Insights/);
    expect(fromInsights!.queries![0]).toMatch(/^fields @log\n\| filter @message like .*\n\| stats count\(\*\) as n by @log, level, kind, bin\(1d\) as day$/s);
  });
});
