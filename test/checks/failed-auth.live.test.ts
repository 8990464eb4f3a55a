import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import failedAuth from '../../src/checks/daily/failed-auth.js';
import { createRoles, failLogins } from '../../src/sandbox/pg-scenario.js';
import { SANDBOX_INSTANCE } from '../../src/sandbox/aws-scenario.js';
import { runCheck, statuses } from '../helpers/run-check.js';
import { logSince, logSize, servers } from '../helpers/servers.js';
import { endpointLifecycle, useEndpoint } from '../helpers/aws.js';

const dir = mkdtempSync(join(tmpdir(), 'dbsec-failed-auth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
endpointLifecycle();

describe.each(servers().map((server) => [server.flavor, server] as const))('daily.failed-auth on %s', (flavor, server) => {
  beforeAll(() => createRoles(server));
  const size = () => logSize(server);

  it.each([
    [3, 'ok'],
    [9, 'monitor'],
    [24, 'investigate'],
  ])('counts %i real failed logins as %s', async (count, status) => {
    const mark = await size();
    await failLogins(server, count);
    const findings = await runCheck(failedAuth, { logFiles: [await logSince(server, mark, join(dir, `${flavor}-${count}.log`))] });
    expect(statuses(findings)).toEqual([status]);
    expect(findings[0]!.value).toBe(count);
    const byUser = findings[0]!.evidence.filter((row) => row.by === 'user');
    expect(byUser.map((row) => row.name).sort()).toEqual(['admin', 'app_user']);
    expect(findings[0]!.evidence).toContainEqual(expect.objectContaining({ by: 'client', name: '127.0.0.1', count }));
  });

  it('reads a gzip log', async () => {
    const mark = await size();
    await failLogins(server, 7);
    const findings = await runCheck(failedAuth, { logFiles: [await logSince(server, mark, join(dir, `${flavor}-gz.log.gz`), true)] });
    expect(findings[0]).toMatchObject({ status: 'monitor', value: 7 });
  });

  it('serves the same lines through CloudWatch Logs, across several pages', async () => {
    const mark = await size();
    await failLogins(server, 12);
    const endpoint = await useEndpoint({ logFile: await logSince(server, mark, join(dir, `${flavor}-cw.log`)), pageSize: 4 });
    const findings = await runCheck(failedAuth, { rdsInstance: SANDBOX_INSTANCE }, { insights: false });
    expect(findings[0]).toMatchObject({ status: 'monitor', value: 12, resource: `/aws/rds/instance/${SANDBOX_INSTANCE}/postgresql` });
    // one empty first page, then 12 events four to a page
    expect(endpoint.count('FilterLogEvents')).toBe(4);
    // counted by Logs Insights where the log lives, with the same users, addresses and times
    endpoint.requests.length = 0;
    const counted = await runCheck(failedAuth, { rdsInstance: SANDBOX_INSTANCE });
    expect(endpoint.requests.map((r) => r.operation).filter((op) => op !== 'DescribeLogGroups' && op !== 'DescribeDBInstances')).toEqual(['StartQuery', 'GetQueryResults', 'GetQueryResults']);
    expect(counted[0]).toMatchObject({ status: 'monitor', value: 12, title: findings[0]!.title, summary: findings[0]!.summary, evidence: findings[0]!.evidence });
  });
});

describe('daily.failed-auth errors', () => {
  it('is an error when the lines do not match the log_line_prefix', async () => {
    const path = join(dir, 'other-prefix.log');
    writeFileSync(path, '[1234] 2026-11-22 10:00:00 UTC FATAL:  password authentication failed for user "x"\n');
    const findings = await runCheck(failedAuth, { logFiles: [path] });
    expect(findings[0]!.status).toBe('error');
    expect(findings[0]!.summary).toMatch(/matched the log_line_prefix; pass the server's prefix with --log-line-prefix/);
  });

  it('reads any log_line_prefix it is given', async () => {
    const path = join(dir, 'custom-prefix.log');
    writeFileSync(path, '2026-11-22 10:00:00.123 UTC [4242] app@shop 10.1.2.3 FATAL:  password authentication failed for user "app"\n');
    const findings = await runCheck(failedAuth, { logFiles: [path], logLinePrefix: '%m [%p] %u@%d %h ' }, {}, { now: new Date('2026-11-22T10:05:00Z') });
    expect(findings[0]).toMatchObject({ status: 'ok', value: 1 });
    expect(findings[0]!.evidence).toContainEqual(expect.objectContaining({ by: 'client', name: '10.1.2.3' }));
  });

  it('is an error for a missing file and for a corrupt gzip, never a stack trace', async () => {
    const missing = await runCheck(failedAuth, { logFiles: [join(dir, 'nope.log')] });
    expect(missing[0]!.summary).toMatch(/^Cannot read log file .*nope\.log: no such file; check --log-file\.$/);
    const corrupt = join(dir, 'corrupt.log.gz');
    writeFileSync(corrupt, Buffer.concat([gzipSync('x'.repeat(1000)).subarray(0, 20)]));
    const findings = await runCheck(failedAuth, { logFiles: [corrupt] });
    expect(findings[0]!.status).toBe('error');
    expect(findings[0]!.summary).toMatch(/not a valid gzip file or it is truncated/);
  });

  it('says why it cannot see failures when the instance does not export its log', async () => {
    await useEndpoint({ logExports: ['upgrade'] });
    const findings = await runCheck(failedAuth, { rdsInstance: SANDBOX_INSTANCE });
    expect(findings[0]!.status).toBe('error');
    expect(findings[0]!.summary).toMatch(/does not export its postgresql log.*EnableLogTypes/);
  });

  it('says so when the log group does not exist', async () => {
    await useEndpoint({ logGroupExists: false });
    const findings = await runCheck(failedAuth, { rdsInstance: SANDBOX_INSTANCE });
    expect(findings[0]!.summary).toMatch(/log group .* does not exist/);
  });

  it('is skipped with the flags to add when there is no log source', async () => {
    const findings = await runCheck(failedAuth, { databaseUrl: 'postgres://x@127.0.0.1/x' });
    expect(findings[0]).toMatchObject({ status: 'skipped' });
    expect(findings[0]!.summary).toContain('--log-file');
  });

  it('retries a throttled FilterLogEvents and still counts every event', async () => {
    const endpoint = await useEndpoint({ logFile: join(dir, 'other-prefix.log') });
    endpoint.inject('FilterLogEvents', 'throttle', 2);
    const findings = await runCheck(failedAuth, { rdsInstance: SANDBOX_INSTANCE }, { insights: false });
    expect(findings[0]!.status).toBe('ok');
    expect(endpoint.count('FilterLogEvents')).toBeGreaterThanOrEqual(4);
  });
});
