import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import failedAuth from '../../src/checks/daily/failed-auth.js';
import { newLogStats } from '../../src/sources/logs/record.js';
import { openLog, readLogFiles } from '../../src/sources/logs/file-reader.js';
import { readRecords } from '../../src/sources/logs/formats.js';
import { logInputs } from '../../src/sources/logs/pipeline.js';
import { KNOWN_LOG_LINE_PREFIXES, RDS_LOG_LINE_PREFIX } from '../../src/sources/logs/prefix.js';
import { pinClock, runCheck } from '../helpers/run-check.js';
import { endpointLifecycle, useEndpoint } from '../helpers/aws.js';
import { SANDBOX_INSTANCE } from '../../src/sandbox/aws-scenario.js';

/** fixtures/record-logs.mjs wrote both logs at 2026-11-22 21:43 UTC: the runs here happen just after. */
pinClock(new Date('2026-11-22T21:45:00Z'));

/** Logs recorded from real servers by fixtures/record-logs.mjs: 4 + 4 failed logins each, and other FATAL lines. */
describe.each(['rds-prefix-pg18.log', 'rds-prefix-pg15.log'])('daily.failed-auth on the recorded %s', (name) => {
  const path = fileURLToPath(new URL(`../../fixtures/logs/${name}`, import.meta.url));

  it('parses every line of the recorded log', async () => {
    const stats = newLogStats();
    const levels = new Set<string>();
    const details: string[] = [];
    for await (const batch of readLogFiles([path], 'auto', RDS_LOG_LINE_PREFIX, stats)) {
      for (const record of batch) {
        levels.add(record.level);
        if (record.level === 'FATAL' && record.detail) details.push(record.detail);
      }
    }
    expect(stats.skipped).toBe(0);
    expect(stats.records).toBeGreaterThan(30);
    expect([...levels].sort()).toEqual(['FATAL', 'LOG']);
    // The DETAIL lines travel with the FATAL they explain (which pg_hba rule, or that the role does not exist).
    expect(details).toContainEqual(expect.stringMatching(/^Role "admin" does not exist\./));
  });

  it('counts the eight failures and nothing else, per user and address', async () => {
    const findings = await runCheck(failedAuth, { logFiles: [path] }, {}, { since: 24 * 3600_000 });
    expect(findings[0]).toMatchObject({ status: 'monitor', value: 8 });
    expect(findings[0]!.evidence.map((row) => [row.by, row.name, row.count])).toEqual([
      ['user', 'admin', 4],
      ['user', 'app_user', 4],
      ['client', '127.0.0.1', 8],
    ]);
  });

  it('keeps lines outside the window out of the count', async () => {
    const findings = await runCheck(failedAuth, { logFiles: [path] }, {}, { now: new Date('2020-01-02T00:00:00Z') });
    expect(findings[0]).toMatchObject({ status: 'ok', value: 0 });
  });
});

/**
 * One scenario (4 + 4 failed logins, and a FATAL that is not one) recorded by fixtures/record-logs.mjs from Debian's
 * PostgreSQL 15 in every format the readers take (the RDS-prefixed log on 2026-11-22, the others on 2026-11-30), and
 * from PostgreSQL 18 in csvlog and jsonlog (2026-12-01): all read through the one pipeline, all agree.
 */
describe.each([
  ['rds-prefix-pg15.log', new Date('2026-11-22T21:45:00Z'), undefined],
  ['failed-logins-pg15.csv', new Date('2026-11-30T11:45:00Z'), undefined],
  ['failed-logins-pg15.json', new Date('2026-11-30T11:45:00Z'), undefined],
  ['failed-logins-pg18.csv', new Date('2026-12-01T04:10:00Z'), undefined],
  ['failed-logins-pg18.json', new Date('2026-12-01T04:10:00Z'), undefined],
  ['debian-prefix-pg15.log', new Date('2026-11-30T11:45:00Z'), '%m [%p] %q%u@%d '],
  ['failed-logins-pg15-syslog.log', new Date('2026-11-30T12:40:00Z'), undefined],
])('daily.failed-auth agrees on %s', (name, now, logLinePrefix) => {
  const path = fileURLToPath(new URL(`../../fixtures/logs/${name}`, import.meta.url));

  it('counts the same eight failures, per user and per client address', async () => {
    const findings = await runCheck(failedAuth, { logFiles: [path], logLinePrefix }, {}, { now });
    expect(findings[0]).toMatchObject({ status: 'monitor', value: 8 });
    expect(findings[0]!.evidence.map((row) => [row.by, row.name, row.count])).toEqual([
      ['user', 'admin', 4],
      ['user', 'app_user', 4],
      // Debian's prefix has no %r: the address comes from each session's "connection received" line.
      ['client', '127.0.0.1', 8],
    ]);
    expect(findings[0]!.summary).not.toMatch(/skipped/);
  });

  it('finds the format from the first line, skips nothing, and keeps each DETAIL with its FATAL', async () => {
    const stats = newLogStats();
    const records = [];
    for await (const batch of readLogFiles([path], 'auto', logLinePrefix ?? KNOWN_LOG_LINE_PREFIXES, stats)) records.push(...batch);
    expect(stats.format).toBe(name.endsWith('.csv') ? 'csvlog' : name.endsWith('.json') ? 'jsonlog' : name.includes('syslog') ? 'syslog' : 'stderr');
    expect(stats.skipped).toBe(0);
    // The DETAIL keeps its own continuation line (TAB-led; #011 through syslog). PostgreSQL 18 names the file in full.
    expect(records.filter((r) => r.level === 'FATAL').map((r) => r.detail ?? '')).toContainEqual(expect.stringMatching(/^Role "admin" does not exist\.\nConnection matched (?:pg_hba\.conf|file ".*pg_hba\.conf") line \d+: /));
    expect(records.filter((r) => r.level === 'FATAL').map((r) => r.message)).not.toContainEqual(expect.stringMatching(/Connection matched/));
  });
});

it('finds the log_line_prefix from the first lines when none is given', async () => {
  const path = fileURLToPath(new URL('../../fixtures/logs/debian-prefix-pg15.log', import.meta.url));
  const findings = await runCheck(failedAuth, { logFiles: [path] }, {}, { now: new Date('2026-11-30T11:45:00Z') });
  expect(findings[0]).toMatchObject({ status: 'monitor', value: 8 });
  expect(findings[0]!.evidence).toContainEqual(expect.objectContaining({ by: 'client', name: '127.0.0.1', count: 8 }));
});

it('a log none of whose lines fit the prefix given is an error, never an empty log', async () => {
  const path = fileURLToPath(new URL('../../fixtures/logs/debian-prefix-pg15.log', import.meta.url));
  const findings = await runCheck(failedAuth, { logFiles: [path], logLinePrefix: RDS_LOG_LINE_PREFIX }, {}, { now: new Date('2026-11-30T11:45:00Z') });
  expect(findings[0]).toMatchObject({ status: 'error' });
  expect(findings[0]!.summary).toMatch(/^None of the 56 lines of .*debian-prefix-pg15\.log matched the log_line_prefix; pass the server's prefix with --log-line-prefix \(SHOW log_line_prefix\)\.$/);
});

describe('the Debian-prefixed log through CloudWatch Logs', () => {
  endpointLifecycle();

  it('asks for the sessions\' "connection received" lines too, and so knows every client address', async () => {
    const path = fileURLToPath(new URL('../../fixtures/logs/debian-prefix-pg15.log', import.meta.url));
    const endpoint = await useEndpoint({ logFile: path });
    const findings = await runCheck(failedAuth, { rdsInstance: SANDBOX_INSTANCE, logLinePrefix: '%m [%p] %q%u@%d ' }, {}, { now: new Date('2026-11-30T11:45:00Z') });
    expect(findings[0]).toMatchObject({ status: 'monitor', value: 8 });
    expect(findings[0]!.evidence).toContainEqual(expect.objectContaining({ by: 'client', name: '127.0.0.1', count: 8 }));
    expect(endpoint.requests.find((r) => r.operation === 'FilterLogEvents')!.input.filterPattern).toBe('?"authentication failed" ?"no pg_hba.conf entry" ?"connection received"');
  });
});

describe('reading only the lines a check wants', () => {
  const read = async (name: string, prefix: string) => {
    const stats = newLogStats();
    const records = [];
    const input = (await openLog(fileURLToPath(new URL(`../../fixtures/logs/${name}`, import.meta.url)))) as AsyncIterable<Buffer>;
    for await (const batch of readRecords(input, 'auto', prefix, stats, { wanted: ['authentication failed'] })) records.push(...batch);
    return { stats, records };
  };

  it('passes over the other lines unparsed, yet keeps each DETAIL with its FATAL', async () => {
    const { stats, records } = await read('rds-prefix-pg15.log', RDS_LOG_LINE_PREFIX);
    expect(stats.passedOver).toBeGreaterThan(10);
    expect(stats.skipped).toBe(0);
    const failures = records.filter((r) => r.level === 'FATAL' && /authentication failed/.test(r.message));
    expect(failures).toHaveLength(8);
    expect(failures.every((r) => r.detail)).toBe(true);
  });

  /** The records and counts of one input cut into chunks of `size` bytes (1: every line is pieced together). */
  const inChunks = async (bytes: Buffer, size: number, phrases: string[]) => {
    async function* chunks() {
      for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
    }
    const stats = newLogStats();
    const records = [];
    for await (const batch of readRecords(chunks(), 'auto', KNOWN_LOG_LINE_PREFIXES, stats, { wanted: phrases })) records.push(...batch);
    return { stats, records };
  };

  // Lines pieced together across chunks are tested line by line with the regular expression; whole lines in a chunk
  // are found in its bytes. Both must pass over and keep the same lines, in any case and around multi-byte text.
  it.each([
    ['rds-prefix-pg15.log', ['authentication failed']],
    ['activity/activity-stderr-pg18.log', ['DROP', 'Grant', 'password']],
    ['activity/attempts-pg18.log', ['ERROR:', 'permission DENIED']],
    // most lines hold it: the bytes are no longer searched once a chunk shows that
    ['activity/story-pg18.log', ['statement: ', 'connection']],
  ])('finds the phrases in the bytes of %s exactly as line by line', async (name, phrases) => {
    // Three times over: chunks of 16 kB hold more than fifty lines, enough to judge the filter by.
    const recorded = readFileSync(fileURLToPath(new URL(`../../fixtures/logs/${name}`, import.meta.url)), 'utf8').repeat(3);
    // Multi-byte text (two-byte é, four-byte emoji) before a phrase, and a phrase spelt in capitals.
    const text = recorded.replace(/statement: /g, 'statement: /* café 🙂 */ ').replace(/authentication failed/, 'AUTHENTICATION FAILED');
    const bytes = Buffer.from(text.replace(/\n/g, '\r\n'));
    const lineByLine = await inChunks(bytes, 1, phrases);
    expect(lineByLine.stats.passedOver).toBeGreaterThan(0);
    expect(lineByLine.records.length).toBeGreaterThan(0);
    for (const size of [bytes.length, 16384, 4096, 257]) {
      const found = await inChunks(bytes, size, phrases);
      expect(found.records).toEqual(lineByLine.records);
      expect({ ...found.stats }).toEqual({ ...lineByLine.stats });
    }
  });

  it('finds a phrase that straddles a point where the search of a large chunk moves on to its next piece', async () => {
    // The rds log's lines over and over in one chunk of about 600 kB, with a failed login placed at every 16 kB so that
    // its phrase begins 1 to 20 bytes before that point: the search moves on at a power of two of at most 64 kB.
    const lines = readFileSync(fileURLToPath(new URL('../../fixtures/logs/rds-prefix-pg15.log', import.meta.url)), 'utf8').split('\n').filter((l) => l !== '');
    const failed = lines.find((l) => l.includes('authentication failed'))!;
    const filler = lines.filter((l) => !/:(?:FATAL|DETAIL):/.test(l));
    const padding = filler[0]!;
    let text = '';
    let placed = 0;
    for (let at = 0, next = 16 * 1024; text.length < 600 * 1024; at++) {
      const line = filler[at % filler.length]!;
      const room = next - (placed % 20) - 1 - failed.indexOf('authentication failed') - text.length - 1;
      if (room - line.length - 1 < padding.length) {
        text += `${padding}${' '.repeat(room - padding.length)}\n${failed}\n`;
        placed++;
        next += 16 * 1024;
      } else text += `${line}\n`;
    }
    const bytes = Buffer.from(text);
    expect(bytes.length).toBe(text.length);
    const whole = await inChunks(bytes, bytes.length, ['authentication failed']);
    const lineByLine = await inChunks(bytes, 1, ['authentication failed']);
    expect(whole.records.filter((r) => r.message.includes('authentication failed'))).toHaveLength(placed);
    expect(whole.records).toEqual(lineByLine.records);
    expect({ ...whole.stats }).toEqual({ ...lineByLine.stats });
  });

  it('parses every line while none has fit the prefix, so a wrong prefix is still seen as unreadable', async () => {
    const { stats, records } = await read('debian-prefix-pg15.log', RDS_LOG_LINE_PREFIX);
    expect(records).toEqual([]);
    expect(stats.passedOver).toBe(0);
    expect(stats.skipped).toBe(stats.lines);
  });
});

describe('log files named by a glob pattern', () => {
  it('reads every matching file, oldest first, and says so when nothing matches', async () => {
    const { mkdtempSync, copyFileSync, utimesSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'dbsec-glob-'));
    try {
      // Rotation: postgresql.log.1 is the older file (the 2026-11-22 recording), postgresql.log the current one.
      copyFileSync(fileURLToPath(new URL('../../fixtures/logs/rds-prefix-pg15.log', import.meta.url)), join(dir, 'postgresql.log.1'));
      copyFileSync(fileURLToPath(new URL('../../fixtures/logs/debian-prefix-pg15.log', import.meta.url)), join(dir, 'postgresql.log'));
      utimesSync(join(dir, 'postgresql.log.1'), new Date('2026-11-22T22:00:00Z'), new Date('2026-11-22T22:00:00Z'));
      utimesSync(join(dir, 'postgresql.log'), new Date('2026-11-30T12:00:00Z'), new Date('2026-11-30T12:00:00Z'));
      const pattern = join(dir, 'postgresql.log*');
      const stats = newLogStats();
      const times: number[] = [];
      for (const input of logInputs({ files: [pattern], format: 'auto', prefix: KNOWN_LOG_LINE_PREFIXES, now: new Date('2026-11-30T12:00:00Z'), phrases: [] })) {
        for await (const batch of input.batches(stats)) times.push(...batch.flatMap((r) => (r.time ? [r.time.getTime()] : [])));
      }
      expect(times.length).toBeGreaterThan(60);
      expect(times).toEqual([...times].sort((a, b) => a - b));
      const findings = await runCheck(failedAuth, { logFiles: [pattern] }, {}, { now: new Date('2026-11-30T12:00:00Z'), since: 30 * 86_400_000 });
      expect(findings[0]).toMatchObject({ value: 16 });
      const none = await runCheck(failedAuth, { logFiles: [join(dir, 'nothing-*.log')] });
      expect(none[0]!.summary).toMatch(/^No file matches --log-file .*nothing-\*\.log: check the pattern \(quote it so the shell leaves it to dbsec\)\.$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a log on stdin', () => {
  it.each(['failed-logins-pg15.csv', 'failed-logins-pg15.json', 'failed-logins-pg18.csv', 'failed-logins-pg18.json', 'failed-logins-pg15-syslog.log', 'debian-prefix-pg15.log'])('dbsec daily --log-file - reads %s from stdin like the file', async (name) => {
    const { execFileSync } = await import('node:child_process');
    const { readFileSync } = await import('node:fs');
    const input = readFileSync(fileURLToPath(new URL(`../../fixtures/logs/${name}`, import.meta.url)));
    const bin = fileURLToPath(new URL('../../bin/dbsec', import.meta.url));
    // The recordings' own days as the window: the same on any day the test runs (a child process has no pinned clock).
    const window = ['--since', '2026-11-30T00:00:00Z', '--until', '2026-12-02T00:00:00Z'];
    const stdout = execFileSync(process.execPath, [bin, 'daily', '--log-file', '-', ...window, '--format', 'json', '--fail-on', 'never'], { input, env: { PATH: process.env.PATH!, HOME: '/tmp' } }).toString();
    const finding = JSON.parse(stdout).findings.find((f: { checkId: string }) => f.checkId === 'daily.failed-auth');
    expect(finding).toMatchObject({ status: 'monitor', value: 8 });
  });
});
