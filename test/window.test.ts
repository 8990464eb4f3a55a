import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/cli.js';
import { AWS_RECORDED_AT, SANDBOX_INSTANCE } from '../src/sandbox/aws-scenario.js';
import { endpointLifecycle, trailEvent, useEndpoint } from './helpers/aws.js';
import { bufferIo } from './helpers/io.js';

/**
 * --since/--until on the recorded sandbox: `dbsec daily --since 2026-11-20T00:00:00Z --until 2026-11-21T12:00:00Z`
 * reviews exactly that window, on every source, and events either side of it are not counted.
 */
endpointLifecycle();
const dir = mkdtempSync(join(tmpdir(), 'dbsec-window-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SINCE = '2026-11-20T00:00:00Z';
const UNTIL = '2026-11-21T12:00:00Z';
const failure = (time: string, user: string) => `${time} UTC:203.0.113.9(5${user.length}01):${user}@app:[4${user.length}2]:FATAL:  password authentication failed for user "${user}"`;
/** Failed logins either side of the window and inside it (the edges included), in the RDS format. */
const LOG = [
  failure('2026-11-19 23:59:59', 'before'),
  failure('2026-11-20 00:00:00', 'inside'),
  failure('2026-11-20 09:30:00', 'inside'),
  failure('2026-11-21 03:00:00', 'inside'),
  failure('2026-11-21 12:00:00', 'inside'),
  failure('2026-11-21 12:00:01', 'after'),
  failure('2026-11-22 15:00:00', 'after'),
].join('\n');

const at = (iso: string) => new Date(iso);
const TRAIL = [
  trailEvent('early', 'ModifyDBInstance', 'before', undefined, undefined, false, at('2026-11-19T22:00:00Z')),
  trailEvent('in-1', 'ModifyDBInstance', 'mallory', undefined, undefined, false, at('2026-11-20T08:00:00Z')),
  trailEvent('in-2', 'CreateDBSnapshot', 'mallory', undefined, undefined, false, at('2026-11-21T11:00:00Z')),
  trailEvent('late', 'DeleteDBInstance', 'after', undefined, undefined, false, at('2026-11-21T13:00:00Z')),
];

async function daily(extra: string[], logFile?: string) {
  const path = join(dir, 'postgresql.log');
  writeFileSync(path, `${LOG}\n`);
  // CPU: 5-minute periods from 10:00 to 13:00; the hour after --until runs hot, the hour before it at most 40 %.
  const cpuAverages = [...Array.from({ length: 24 }, (_, i) => 20 + i), ...Array.from({ length: 12 }, () => 97)];
  const endpoint = await useEndpoint({ logFile: path, trailEvents: TRAIL, cpuAverages, cpuEndsAt: at('2026-11-21T13:00:00Z') });
  const io = bufferIo(AWS_RECORDED_AT);
  const args = ['daily', '--rds-instance', SANDBOX_INSTANCE, '--format', 'json', ...(logFile ? ['--log-file', path] : []), ...extra];
  const code = await main(['node', 'dbsec', ...args], io);
  return { code, report: JSON.parse(io.out()), stderr: io.err(), endpoint };
}

const finding = (report: any, id: string) => report.findings.find((f: { checkId: string }) => f.checkId === id);

describe('--since and --until', () => {
  it.each([
    ['CloudWatch Logs', undefined],
    ['a log file', 'file'],
  ])('daily reviews exactly the window on %s, CloudTrail and the CPU metric', async (_, file) => {
    const { report, stderr } = await daily(['--since', SINCE, '--until', UNTIL], file);
    expect(stderr).toBe('');
    expect(report.window).toEqual({ from: '2026-11-20T00:00:00.000Z', to: '2026-11-21T12:00:00.000Z' });
    const auth = finding(report, 'daily.failed-auth');
    expect(auth.value).toBe(4);
    expect(auth.evidence).toContainEqual(expect.objectContaining({ by: 'user', name: 'inside', count: 4 }));
    expect(JSON.stringify(auth.evidence)).not.toMatch(/before|after/);
    const trail = report.findings.filter((f: { checkId: string }) => f.checkId === 'daily.cloudtrail-rds-changes');
    expect(trail.flatMap((f: { evidence: Array<{ eventId?: string }> }) => f.evidence.map((row) => row.eventId))).toEqual(expect.arrayContaining(['in-1', 'in-2']));
    expect(JSON.stringify(trail)).not.toMatch(/"(early|late)"/);
    const cpu = finding(report, 'daily.cpu');
    expect(cpu).toMatchObject({ value: 43, title: 'CPU at most 43% (average of 5-minute periods, 1h to 2026-11-21T12:00:00.000Z)' });
  });

  it('has the checks of present state say so when the window ends in the past', async () => {
    const { report } = await daily(['--since', SINCE, '--until', UNTIL]);
    expect(finding(report, 'daily.cloudwatch-alarms').summary).toMatch(/\(State at run time, 2026-11-22T16:05:00\.\d{3}Z: this check sees only the present, not the window ending 2026-11-21T12:00:00\.000Z\.\)$/);
    expect(finding(report, 'daily.failed-auth').summary).not.toMatch(/State at run time/);
  });

  it('counts a relative --since back from --until, and a relative --until back from now', async () => {
    const { report } = await daily(['--since', '35h', '--until', '1685m']);
    // The pinned clock runs on by a few milliseconds before the command reads it.
    expect(report.window).toEqual({ from: expect.stringMatching(/^2026-11-20T01:00:00\.\d{3}Z$/), to: expect.stringMatching(/^2026-11-21T12:00:00\.\d{3}Z$/) });
    expect(finding(report, 'daily.failed-auth').value).toBe(3);
  });

  it('without --until ends the window at the run time, as before', async () => {
    const { report } = await daily([]);
    expect(report.window).toEqual({ from: expect.stringMatching(/^2026-11-21T16:05:00\.\d{3}Z$/), to: expect.stringMatching(/^2026-11-22T16:05:00\.\d{3}Z$/) });
    expect(finding(report, 'daily.failed-auth').value).toBe(1);
    expect(finding(report, 'daily.cloudwatch-alarms').summary).not.toMatch(/State at run time/);
  });

  it('counts the lines stamped after the run\'s time (clock skew) and says so, never dropping them silently', async () => {
    const path = join(dir, 'skewed.log');
    // The run's clock reads AWS_RECORDED_AT (16:05); three failures are stamped ten minutes later.
    writeFileSync(path, `${[failure('2026-11-22 15:00:00', 'inside'), failure('2026-11-22 16:15:00', 'skewed'), failure('2026-11-22 16:15:01', 'skewed'), failure('2026-11-22 16:15:02', 'skewed')].join('\n')}\n`);
    const io = bufferIo(AWS_RECORDED_AT);
    await main(['node', 'dbsec', 'daily', '--log-file', path, '--format', 'json'], io);
    const auth = finding(JSON.parse(io.out()), 'daily.failed-auth');
    expect(auth.value).toBe(1);
    expect(auth.summary).toMatch(/3 records are stamped after the run's time \(clock skew or log_timezone\?\)\.$/);
  });

  it.each([
    [['--since', UNTIL, '--until', SINCE], /^dbsec: --since 2026-11-21T12:00:00\.000Z is not before --until 2026-11-20T00:00:00\.000Z: give a --since earlier than --until\.\n$/],
    [['--until', 'tomorrow'], /^dbsec: --until "tomorrow" is neither a duration back from now \(24h, 7d, 30d\) nor a real ISO-8601 time \(2026-11-01T00:00:00Z\)\.\n$/],
    [['--until', '2026-02-30'], /^dbsec: --until "2026-02-30" is neither/],
  ])('refuses %j with one sentence and exit 2', async (args, message) => {
    const io = bufferIo(AWS_RECORDED_AT);
    expect(await main(['node', 'dbsec', 'daily', '--rds-instance', SANDBOX_INSTANCE, ...args], io)).toBe(2);
    expect(io.err()).toMatch(message);
    expect(io.out()).toBe('');
  });
});

describe('--since and --until on the other commands', () => {
  const statement = (time: string, sql: string) => `${time} UTC:203.0.113.9(5501):mallory@app:[4242]:LOG:  statement: ${sql}`;
  const activityLog = () => {
    const path = join(dir, 'activity.log');
    writeFileSync(
      path,
      `${[
        statement('2026-11-20 21:00:00', 'DROP TABLE early_t'),
        statement('2026-11-20 23:00:00', 'DROP TABLE night_t'),
        statement('2026-11-21 05:59:59', 'DROP TABLE dawn_t'),
        statement('2026-11-21 07:00:00', 'DROP TABLE late_t'),
      ].join('\n')}\n`,
    );
    return path;
  };
  const dropped = (report: any) => JSON.stringify(report.findings.filter((f: { checkId: string }) => f.checkId.startsWith('activity.')));

  it('activity reads a file only within [since, until], and up to --until alone from its first line', async () => {
    const path = activityLog();
    const night = bufferIo(AWS_RECORDED_AT);
    await main(['node', 'dbsec', 'activity', '--log-file', path, '--since', '2026-11-20T22:00:00Z', '--until', '2026-11-21T06:00:00Z', '--format', 'json'], night);
    const report = JSON.parse(night.out());
    expect(report.window).toEqual({ from: '2026-11-20T22:00:00.000Z', to: '2026-11-21T06:00:00.000Z' });
    expect(dropped(report)).toMatch(/night_t/);
    expect(dropped(report)).toMatch(/dawn_t/);
    expect(dropped(report)).not.toMatch(/early_t|late_t/);

    const upTo = bufferIo(AWS_RECORDED_AT);
    await main(['node', 'dbsec', 'activity', '--log-file', path, '--until', '2026-11-21T06:00:00Z', '--format', 'json'], upTo);
    const until = JSON.parse(upTo.out());
    expect(dropped(until)).toMatch(/early_t/);
    expect(dropped(until)).not.toMatch(/late_t/);
  });

  it.each([
    [['activity', '--log-file', join(dir, 'any.log'), '--follow', '--until', '1h'], /^dbsec: --follow reads what is logged from now on, so it takes no --until: drop one of them\.\n$/],
    [['report', 'compliance', '--month', '2026-10', '--since', '7d'], /^dbsec: Give either --month or --since\/--until, not both\.\n$/],
    [['report', 'compliance', '--until', '2026-11-01T00:00:00Z'], /^dbsec: --until needs --since with report compliance: say where the period starts, or use --month\.\n$/],
    [['incident', 'start', '--id', 'INC-1', '-o', join(dir, 'inc'), '--log-file', '-', '--since', '2026-11-22T00:00:00Z', '--until', '2026-11-21T00:00:00Z'], /^dbsec: --since 2026-11-22T00:00:00\.000Z is not before --until 2026-11-21T00:00:00\.000Z/],
    [['evidence', 'collect', '-o', join(dir, 'ev'), '--rds-instance', SANDBOX_INSTANCE, '--until', 'last week'], /^dbsec: --until "last week" is neither a duration back from now/],
  ])('%j exits 2 with one sentence', async (args, message) => {
    const io = bufferIo(AWS_RECORDED_AT);
    expect(await main(['node', 'dbsec', ...args], io)).toBe(2);
    expect(io.err()).toMatch(message);
  });

  it('evidence collect keeps the CloudTrail history that ends at --until', async () => {
    await useEndpoint({ trailEvents: TRAIL });
    const out = join(dir, 'evidence-until');
    const io = bufferIo(AWS_RECORDED_AT);
    await main(['node', 'dbsec', 'evidence', 'collect', '--rds-instance', SANDBOX_INSTANCE, '-o', out, '--until', UNTIL, '--trail-since', '2d'], io);
    const { readFileSync } = await import('node:fs');
    const trail = JSON.parse(readFileSync(join(out, 'audit-cloudtrail-rds-events.json'), 'utf8'));
    expect(trail.Events.map((e: { EventId: string }) => e.EventId).sort()).toEqual(['early', 'in-1', 'in-2']);
    expect(JSON.parse(readFileSync(join(out, 'collection.json'), 'utf8')).options).toMatchObject({ trailWindow: { from: '2026-11-19T12:00:00.000Z', to: '2026-11-21T12:00:00.000Z' }, logWindow: { from: '2026-10-22T12:00:00.000Z', to: '2026-11-21T12:00:00.000Z' } });
  });

  it('takes the spellings of earlier versions (--out, --trail-days, --log-days) with one deprecation line each', async () => {
    await useEndpoint({ trailEvents: TRAIL });
    const out = join(dir, 'evidence-old-flags');
    const io = bufferIo(AWS_RECORDED_AT);
    await main(['node', 'dbsec', 'evidence', 'collect', '--rds-instance', SANDBOX_INSTANCE, '--out', out, '--until', UNTIL, '--trail-days', '2', '--log-days', '7'], io);
    expect(io.err().split('\n').filter((line) => line.includes('deprecated'))).toEqual([
      'dbsec: --out is deprecated and will go; use -o/--output.',
      'dbsec: --trail-days N is deprecated and will go; use --trail-since Nd.',
      'dbsec: --log-days N is deprecated and will go; use --since Nd.',
    ]);
    const { readFileSync } = await import('node:fs');
    expect(JSON.parse(readFileSync(join(out, 'collection.json'), 'utf8')).options).toMatchObject({ trailWindow: { from: '2026-11-19T12:00:00.000Z' }, logWindow: { from: '2026-11-14T12:00:00.000Z' } });
  });
});
