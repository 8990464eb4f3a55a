import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModule } from 'libpg-query';
import { main } from '../../src/cli.js';
import { planShards, readShards, type ShardPlan } from '../../src/sources/logs/shards.js';
import { compilePrefix, RDS_LOG_LINE_PREFIX, KNOWN_LOG_LINE_PREFIXES } from '../../src/sources/logs/prefix.js';
import { ATTACHED } from '../../src/sources/logs/formats.js';
import { newLogStats, type LogRecord } from '../../src/sources/logs/record.js';
import { logInputs } from '../../src/sources/logs/pipeline.js';
import { AUTH_FAILURE_PHRASES } from '../../src/sources/logs/auth-failures.js';
import { ActivityMonitor, type ActivityEvent } from '../../src/activity/monitor.js';
import { bufferIo } from '../helpers/io.js';

/**
 * A large log is read by worker threads in parts (activity --jobs): whatever the number of parts, the report must be
 * the one a single reader gives. These tests run the built worker (dist/), which `npm test` builds first.
 */

beforeAll(() => loadModule());
const dir = mkdtempSync(join(tmpdir(), 'dbsec-shards-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const LOGS = new URL('../../fixtures/logs/', import.meta.url).pathname;
/** The recordings' days: the runs happen just after them. */
const AFTER_RECORDING = new Date('2026-12-01T03:00:00Z');

async function activity(log: string, ...flags: string[]) {
  return activityAt(AFTER_RECORDING, log, ...flags);
}

async function activityAt(now: Date, log: string, ...flags: string[]) {
  const io = bufferIo(now);
  const code = await main(['node', 'dbsec', 'activity', '--log-file', log, '--format', 'json', '--events', ...flags], io);
  // The run's own times move with the real clock; everything the log decides is compared.
  const { startedAt, finishedAt, ...report } = JSON.parse(io.out() || '{}');
  return { code, report, err: io.err(), took: [startedAt, finishedAt] };
}

const PLAN = { format: 'auto', prefix: KNOWN_LOG_LINE_PREFIXES, now: AFTER_RECORDING };
const classifying: ShardPlan['classifying'] = () => ({ views: new Set<string>(), viewWrites: false, allowedLanguages: ['sql', 'plpgsql'], sensitiveTables: [], largeTables: new Map() });

describe('activity --jobs: a log read in parts gives the report of one reader', () => {
  it.each([
    // log_statement = all, with a view created and later deleted through (what the monitor learns as it reads)
    'activity/activity-stderr-pg18.log',
    'activity/activity-pgaudit-pg15.log',
    // pgaudit beside log_statement = all: each statement logged twice, counted once
    'activity/activity-pgaudit-statements-pg15.log',
    'activity/story-pg18.log',
    'activity/story-pgaudit-pg15.log',
    'activity/attempts-pg18.log',
    'activity/interruptions-pg18.log',
    'rds-prefix-pg15.log',
    'rds-prefix-pg18.log',
    'debian-prefix-pg15.log',
  ])('%s, in 2, 3, 5 and 8 parts', async (file) => {
    const one = await activity(join(LOGS, file), '--jobs', '1');
    expect(one.err).toBe('');
    for (const jobs of [2, 3, 5, 8]) {
      const sharded = await planShards(join(LOGS, file), { ...PLAN, shards: { jobs, classifying } }, undefined);
      // Small as they are, the recordings are cut: the test is of parts, not of the one-reader fallback.
      expect(sharded?.shards.length, `${file} in ${jobs} parts`).toBeGreaterThan(1);
      const many = await activity(join(LOGS, file), '--jobs', String(jobs));
      expect({ code: many.code, err: many.err }).toEqual({ code: one.code, err: one.err });
      expect(many.report, `${file} in ${jobs} parts`).toEqual(one.report);
    }
  });

  it('applies the window and counts records stamped after the run alike, in parts', async () => {
    // Recorded over two seconds: 13 lines at 01:55:52, the rest at 01:55:53.
    const log = join(LOGS, 'activity/activity-pgaudit-statements-pg15.log');
    const runs = [
      [AFTER_RECORDING, '--since', '2026-12-01T01:55:53Z', '--until', '2026-12-01T02:00:00Z'],
      [AFTER_RECORDING, '--until', '2026-12-01T01:55:52.5Z'],
      // A clock behind the server's: part of the log is stamped in the run's future.
      [new Date('2026-12-01T01:55:52.9Z')],
    ] as const;
    for (const [now, ...window] of runs) {
      const one = await activityAt(now, log, ...window, '--jobs', '1');
      expect(one.report.findings.length).toBeGreaterThan(0);
      for (const jobs of ['2', '5']) expect(await activityAt(now, log, ...window, '--jobs', jobs), `${window.join(' ')} in ${jobs} parts`).toEqual({ ...one, took: expect.anything() });
    }
  });

  it('reads again, in this thread, a part whose turn comes after the monitor learnt a view from the log', async () => {
    const log = join(LOGS, 'activity/activity-stderr-pg18.log');
    const text = readFileSync(log, 'utf8');
    const created = Buffer.byteLength(text.slice(0, text.indexOf('CREATE VIEW act_customer_emails')));
    const deleted = Buffer.byteLength(text.slice(0, text.indexOf('DELETE FROM act_customer_emails')));
    const { shards } = (await planShards(log, { ...PLAN, shards: { jobs: 8, classifying } }, undefined))!;
    const partOf = (at: number) => shards.findIndex((s) => s.start <= at && at < s.end);
    // The DELETE through the view is read by a later part than the view's creation.
    expect(partOf(deleted)).toBeGreaterThan(partOf(created));
    const io = bufferIo(AFTER_RECORDING);
    await main(['node', 'dbsec', 'activity', '--log-file', log, '--format', 'jsonl', '--events', '--jobs', '8'], io);
    const events = io.out().trim().split('\n').map((line) => JSON.parse(line)).filter((line) => line.type === 'event');
    expect(events.filter((e) => e.statement.startsWith('DELETE FROM act_customer_emails')).map((e) => e.useCase)).toEqual(['view-delete']);
  });

  it('cuts only before a line a single reader treats alike whatever came before it', async () => {
    const bytes = (log: string) => readFileSync(join(LOGS, log));
    const cutLines = async (log: string, wanted: string[]) => {
      const { prefix, shards } = (await planShards(join(LOGS, log), { ...PLAN, shards: { jobs: 8, classifying } }, wanted))!;
      expect(prefix).toBe(RDS_LOG_LINE_PREFIX);
      const text = bytes(log);
      expect(shards.at(-1)!.end).toBe(text.length);
      return shards.slice(1).map(({ start }) => {
        expect(text[start - 1]).toBe(10);
        const before = text.toString('utf8', text.lastIndexOf(10, start - 2) + 1, start - 1);
        return { line: text.toString('utf8', start, text.indexOf(10, start)), before };
      });
    };
    const parser = compilePrefix(RDS_LOG_LINE_PREFIX);
    const holds = (line: string, wanted: string[]) => wanted.some((phrase) => line.toLowerCase().includes(phrase.toLowerCase()));
    // Either a line that holds a wanted phrase and is a record of its own (parsed by both), or one that holds none
    // after a line that holds none either and starts a record (both passed over).
    const treatedAlike = ({ line, before }: { line: string; before: string }, wanted: string[]) =>
      !line.startsWith('\t') && parser.parse(line) !== undefined && (holds(line, wanted) ? !ATTACHED.has(parser.parse(line)!.level) : !holds(before, wanted) && parser.parse(before) !== undefined && !ATTACHED.has(parser.parse(before)!.level));
    const dense = ['statement: ', 'AUDIT: '];
    const denseCuts = await cutLines('activity/activity-pgaudit-pg15.log', dense);
    expect(denseCuts.every((cut) => treatedAlike(cut, dense))).toBe(true);
    const sparse = ['password authentication failed', 'connection received: '];
    const sparseCuts = await cutLines('rds-prefix-pg15.log', sparse);
    expect(sparseCuts.every((cut) => treatedAlike(cut, sparse))).toBe(true);
    expect(sparseCuts.some(({ line }) => !holds(line, sparse))).toBe(true);
  });

  it.each([
    ['the failed logins phrases (few lines parsed)', AUTH_FAILURE_PHRASES],
    ['the session lines alone', ['connection authorized: ']],
    ['every line', []],
  ])('gives the monitor what one reader gives it, reading for %s', async (_, phrases) => {
    const monitored = async (log: string, jobs?: number) => {
      const events: ActivityEvent[] = [];
      const monitor = new ActivityMonitor({ config: {}, onEvent: (event) => events.push(event) });
      const stats = newLogStats();
      const plan = { ...PLAN, files: [log], format: 'auto' as const, phrases, dense: true, ...(jobs ? { shards: { jobs, classifying: () => monitor.classifying() } } : {}) };
      for (const input of logInputs(plan)) for await (const batch of input.batches(stats)) for (const record of batch) monitor.handle(record);
      return { summary: monitor.summary, events, stats };
    };
    for (const file of ['rds-prefix-pg15.log', 'activity/story-pg18.log', 'activity/attempts-pg18.log']) {
      const one = await monitored(join(LOGS, file));
      for (const jobs of [2, 5, 8]) expect(await monitored(join(LOGS, file), jobs), `${file} in ${jobs} parts`).toEqual(one);
    }
  });

  it('reads whole, in this thread, what cannot be cut: one job, a small file by default, gzip, csvlog, jsonlog, stdin', async () => {
    const log = join(LOGS, 'activity/story-pg18.log');
    const gz = join(dir, 'story.log.gz');
    writeFileSync(gz, gzipSync(readFileSync(log)));
    const plan = (jobs: number | 'auto') => ({ ...PLAN, shards: { jobs, classifying } });
    expect(await planShards(log, plan(1), undefined)).toBeUndefined();
    expect(await planShards(log, plan('auto'), undefined)).toBeUndefined();
    expect(await planShards(gz, plan(4), undefined)).toBeUndefined();
    expect(await planShards(join(LOGS, 'activity/story-pg15.csv'), plan(4), undefined)).toBeUndefined();
    expect(await planShards(join(LOGS, 'activity/story-pg15.json'), plan(4), undefined)).toBeUndefined();
    expect(await planShards('-', plan(4), undefined)).toBeUndefined();
    expect(await planShards(log, { ...plan(4), follow: true }, undefined)).toBeUndefined();
    // dbsec's own sessions are known by their application name: a part needs it on every line (%a).
    expect(await planShards(log, { ...plan(4), ownRole: 'dbsec_monitor' }, undefined)).toBeUndefined();
    expect(await planShards(log, plan(4), undefined)).toBeDefined();
  });

  it('says in one sentence why a part could not be read, and the rest of the report still comes', async () => {
    const log = join(dir, 'vanishing.log');
    copyFileSync(join(LOGS, 'activity/story-pg18.log'), log);
    const sharded = (await planShards(log, { ...PLAN, shards: { jobs: 3, classifying } }, undefined))!;
    rmSync(log);
    const read = async () => {
      const records: LogRecord[] = [];
      for await (const batch of readShards(log, sharded, { ...PLAN, shards: { jobs: 3, classifying } }, undefined, newLogStats())) records.push(...batch);
      return records;
    };
    await expect(read()).rejects.toThrow(/ENOENT/);
    const missing = await activity(log, '--jobs', '3');
    expect(missing.code).toBe(3);
    expect(JSON.stringify(missing.report)).toMatch(/Cannot read log file [^"]*vanishing.log: no such file/);
  });

  it('refuses --jobs outside 1 to 8 in one sentence (exit 2)', async () => {
    for (const jobs of ['0', '9', 'two', '1.5']) {
      const run = await activity(join(LOGS, 'rds-prefix-pg18.log'), '--jobs', jobs);
      expect(run.code).toBe(2);
      expect(run.err).toMatch(/--jobs.*whole number from 1 to 8/);
    }
  });
});
