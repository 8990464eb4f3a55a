import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { stringify } from 'yaml';
import { main } from '../src/cli.js';
import { notify } from '../src/notify.js';
import type { Report } from '../src/report.js';
import { bufferIo } from './helpers/io.js';

/** fixtures/record-story.mjs: benign traffic, the DBA's grants (pid 26008) and mallory's chain (recorded 2026-11-30 ~17:15 UTC). */
const STORY = fileURLToPath(new URL('../fixtures/logs/activity/story-pg18.log', import.meta.url));
const SCHEMA = JSON.parse(readFileSync(fileURLToPath(new URL('../schema/report.schema.json', import.meta.url)), 'utf8'));
const dir = mkdtempSync(join(tmpdir(), 'dbsec-tracking-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const AT = new Date('2026-11-30T23:00:00Z');

async function activity(...flags: string[]) {
  const io = bufferIo(AT, { ...process.env, COLUMNS: '300' });
  const code = await main(['node', 'dbsec', 'activity', '--log-file', STORY, ...flags], io);
  return { code, out: io.out(), err: io.err() };
}

let configs = 0;
function config(suppress: unknown[]): string {
  const path = join(dir, `config-${++configs}.yaml`);
  writeFileSync(path, stringify({ suppress }));
  return path;
}

const json = (out: string) => JSON.parse(out) as Report;
const DBA_SETUP = { check: 'activity.*', resource: 'pid 26008 *', reason: 'the nightly provisioning job', owner: 'dba-team' };

describe('suppressions (the config’s suppress list)', () => {
  it('marks the findings it matches suppressed, keeps them in the report, and the schema accepts the mark', async () => {
    const { code, out } = await activity('--format', 'json', '-c', config([{ ...DBA_SETUP, expires: '2027-01-31' }]));
    const report = json(out);
    expect(new Ajv({ strict: false }).validate(SCHEMA, report)).toBe(true);
    const suppressed = report.findings.filter((f) => f.suppressed);
    expect(suppressed.length).toBe(7);
    expect(suppressed.every((f) => f.resource!.startsWith('pid 26008 '))).toBe(true);
    expect(suppressed[0]!.suppressed).toEqual({ reason: 'the nightly provisioning job', owner: 'dba-team', expires: '2027-01-31' });
    // mallory is not suppressed: the run still fails
    expect(code).toBe(1);
    expect(report.summary.investigate).toBe(21);
  });

  it('leaves suppressed findings out of the exit code: all of them accepted, the run is clean', async () => {
    const path = config([{ check: 'activity.*', reason: 'lab server, reviewed by hand' }]);
    expect((await activity('--format', 'json', '-c', path)).code).toBe(0);
    const table = (await activity('-c', path, '--no-color')).out;
    expect(table).toMatch(/^activity: 21 investigate, 2 monitor, 1 ok, 0 skipped, 0 error, 23 of them suppressed \(window /m);
    expect(table).toMatch(/^SUPPRESSED investigate {2}activity\.truncate: TRUNCATE TABLE audit_log by mallory@postgres — lab server, reviewed by hand$/m);
    const markdown = (await activity('--format', 'markdown', '-c', path)).out;
    expect(markdown).toContain('(23 suppressed)');
    // nor do they send a notification (one would go to a closed port and fail, which notify() reports)
    const accepted = json((await activity('--format', 'json', '-c', path)).out);
    expect(await notify(accepted, { url: 'http://127.0.0.1:9/hook', on: 'monitor', retries: 0 })).toBeUndefined();
    expect(await notify({ ...accepted, findings: accepted.findings.map(({ suppressed: _, ...f }) => f) }, { url: 'http://127.0.0.1:9/hook', on: 'monitor', retries: 0 })).toMatch(/failed/);
    expect(markdown).toContain('- Suppressed: lab server, reviewed by hand');
  });

  it('matches a fingerprint by its first digits', async () => {
    const all = json((await activity('--format', 'json')).out);
    const truncate = all.findings.find((f) => f.checkId === 'activity.truncate')!;
    const report = json((await activity('--format', 'json', '-c', config([{ fingerprint: truncate.fingerprint.slice(0, 10), reason: 'restore drill' }]))).out);
    expect(report.findings.filter((f) => f.suppressed).map((f) => f.fingerprint)).toEqual([truncate.fingerprint]);
    // --verbose shows the digits to copy
    expect((await activity('--no-color', '--verbose')).out).toContain(`  fingerprint ${truncate.fingerprint.slice(0, 12)}\n`);
  });

  it('an expired suppression suppresses nothing and is a finding of its own; a date lasts to the end of its day', async () => {
    const expired = await activity('--format', 'json', '-c', config([{ ...DBA_SETUP, check: 'activity.user-created', expires: '2026-11-29' }]));
    const report = json(expired.out);
    expect(report.findings.filter((f) => f.suppressed)).toEqual([]);
    const reminders = report.findings.filter((f) => f.checkId === 'suppressions');
    expect(reminders.map((f) => [f.status, f.title])).toEqual([['monitor', 'A suppression expired on 2026-11-29: its findings count again']]);
    expect(reminders[0]!.summary).toContain('check activity.user-created, resource pid 26008 *');
    expect(reminders[0]!.summary).toContain('(owner dba-team)');
    // The clock reads 2026-11-30T23:00Z: a suppression "expires: 2026-11-30" still holds.
    const today = json((await activity('--format', 'json', '-c', config([{ ...DBA_SETUP, check: 'activity.user-created', expires: '2026-11-30' }]))).out);
    expect(today.findings.filter((f) => f.suppressed).length).toBe(2);
    expect(today.findings.some((f) => f.checkId === 'suppressions')).toBe(false);
  });

  it('refuses a suppression without a reason or without what it matches, naming the key (exit 2)', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ check: 'activity.*' }, /^dbsec: Config file .*: suppress\.0\.reason: /],
      [{ reason: 'because' }, /suppress\.0: a suppression needs a fingerprint or a check \(id glob\)/],
      [{ fingerprint: 'xyz', reason: 'because' }, /suppress\.0\.fingerprint: expected the hex fingerprint of a finding/],
      [{ fingerprint: 12345678, reason: 'because' }, /suppress\.0\.fingerprint: put the fingerprint in quotes/],
      [{ check: 'activity.*', reason: 'because', expires: 'next week' }, /suppress\.0\.expires: expected a date \(2026-12-31\) or an ISO-8601 time/],
    ];
    for (const [rule, message] of cases) {
      const { code, err } = await activity('--format', 'json', '-c', config([rule]));
      expect([code, err]).toEqual([2, expect.stringMatching(message)]);
    }
  });
});

describe('--state DIR', () => {
  it('keeps the last report per command and targets, compares the next run with it, and --fail-on-new follows it', async () => {
    const state = join(dir, 'state', 'nested');
    const first = await activity('--format', 'json', '--state', state, '--fail-on-new');
    expect(first.err).toContain(`no earlier activity report in ${state} to compare with`);
    // nothing to compare with: every problem counts
    expect(first.code).toBe(1);
    expect(json(first.out).comparison).toBeUndefined();
    const files = readdirSync(state);
    expect(files).toEqual([expect.stringMatching(/^activity-story-pg18\.log-[0-9a-f]{8}\.json$/)]);
    expect(json(readFileSync(join(state, files[0]!), 'utf8')).findings.length).toBe(json(first.out).findings.length);

    const second = await activity('--format', 'json', '--state', state, '--fail-on-new');
    expect(second.code).toBe(0);
    expect(json(second.out).comparison).toMatchObject({ previous: join(state, files[0]!), new: 0, changed: 0, resolved: [] });
    expect(readdirSync(state)).toEqual(files);
  });

  it('a state that cannot be written costs the run its clean exit, not its report', async () => {
    const blocked = join(dir, 'a-file');
    writeFileSync(blocked, 'not a directory');
    const { code, out, err } = await activity('--format', 'json', '--state', blocked);
    expect(code).toBe(2);
    expect(err).toMatch(/^dbsec: Cannot create the --state directory .*a-file: .* The next run will compare with the previous state\.$/m);
    expect(json(out).findings.length).toBeGreaterThan(0);
  });

  it('a damaged state is said once and replaced; the run goes on, compared with nothing', async () => {
    const state = join(dir, 'damaged');
    await activity('--format', 'json', '--state', state);
    const [file] = readdirSync(state);
    writeFileSync(join(state, file!), '{"truncated": ');
    const damaged = await activity('--format', 'json', '--state', state);
    expect(damaged.err).toMatch(/^dbsec: --state .* is not JSON: it is not one this version of dbsec wrote\. This run is compared with nothing and its report replaces the state\.$/m);
    expect([damaged.code, json(damaged.out).comparison]).toEqual([1, undefined]);
    expect(json(readFileSync(join(state, file!), 'utf8')).command).toBe('activity');
    const jsonl = await activity('--format', 'jsonl', '--state', state);
    expect([jsonl.code, jsonl.err]).toEqual([2, expect.stringContaining('--state marks the findings of a report')]);
  });
});

describe('--min-status', () => {
  it('shows only findings at or above it in the table and Markdown, says how many it hid, and leaves JSON whole', async () => {
    const table = (await activity('--no-color', '--min-status', 'investigate')).out;
    expect(table).not.toMatch(/^MONITOR/m);
    expect(table).not.toMatch(/^OK/m);
    expect(table).toMatch(/^INVESTIGATE critical {2}activity\.truncate/m);
    expect(table).toContain('3 findings below --min-status investigate not shown.');
    const markdown = (await activity('--format', 'markdown', '--min-status', 'monitor')).out;
    expect(markdown).toContain('_1 finding below --min-status monitor not shown; the JSON report has them all._');
    expect(markdown).not.toMatch(/^\| 🟢 ok/m);
    const report = json((await activity('--format', 'json', '--min-status', 'investigate')).out);
    expect(report.findings.length).toBe(24);
  });
});
