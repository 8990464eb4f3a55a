import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { main } from '../src/cli.js';
import type { Report } from '../src/report.js';
import { bufferIo } from './helpers/io.js';

/** fixtures/record-story.mjs: benign traffic, the DBA's grants and mallory's chain (recorded 2026-11-30 ~17:15 UTC). */
const STORY = fileURLToPath(new URL('../fixtures/logs/activity/story-pg18.log', import.meta.url));
const SCHEMA = JSON.parse(readFileSync(fileURLToPath(new URL('../schema/report.schema.json', import.meta.url)), 'utf8'));
const dir = mkdtempSync(join(tmpdir(), 'dbsec-compare-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function activity(log: string, ...flags: string[]) {
  // A wide terminal: the table's lines are matched whole.
  const io = bufferIo(new Date('2026-11-30T23:00:00Z'), { ...process.env, COLUMNS: '300' });
  const code = await main(['node', 'dbsec', 'activity', '--log-file', log, ...flags], io);
  return { code, out: io.out(), err: io.err() };
}

/** The same log under the same name (so the same target and fingerprints), without mallory's session. */
const withoutMallory = join(dir, 'before', 'story-pg18.log');
const full = join(dir, 'full.json');
const before = join(dir, 'before.json');

beforeAll(async () => {
  mkdirSync(join(dir, 'before'));
  const lines = readFileSync(STORY, 'utf8').split('\n');
  const pid = /\[(\d+)\]:LOG: {2}connection authorized: user=mallory/.exec(lines.join('\n'))![1];
  writeFileSync(withoutMallory, lines.filter((line) => !line.includes(`:[${pid}]:`)).join('\n'));
  await activity(STORY, '--format', 'json', '-o', full);
  await activity(withoutMallory, '--format', 'json', '-o', before);
});

describe('--compare PREVIOUS.json', () => {
  it("marks what is new since the previous run and what it no longer has as resolved, in the schema's terms", async () => {
    const { code, out } = await activity(STORY, '--format', 'json', '--compare', before);
    expect(code).toBe(1);
    const report = JSON.parse(out) as Report;
    expect(new Ajv({ strict: false }).validate(SCHEMA, report)).toBe(true);
    const added = report.findings.filter((f) => f.change === 'new');
    // mallory's seven alerts and her incident
    expect(added.map((f) => f.checkId).sort()).toEqual(['activity.data-exfiltration', 'activity.data-exfiltration', 'activity.incident', 'activity.privileged-operation', 'activity.privileged-operation', 'activity.privileged-operation', 'activity.privileged-operation', 'activity.truncate']);
    expect(report.comparison).toMatchObject({ previous: before, new: 8, changed: 0, resolved: [] });
    expect(report.comparison!.unchanged).toBe(report.findings.filter((f) => ['investigate', 'monitor', 'error'].includes(f.status)).length - 8);
    const back = JSON.parse((await activity(withoutMallory, '--format', 'json', '--compare', full)).out) as Report;
    expect(back.comparison).toMatchObject({ new: 0 });
    expect(back.comparison!.resolved.map((f) => f.title)).toContain('TRUNCATE TABLE audit_log by mallory@postgres');
  });

  it('with --fail-on-new, exits 1 only for problems the previous report did not have', async () => {
    expect((await activity(withoutMallory, '--format', 'json', '--compare', before, '--fail-on-new')).code).toBe(0);
    expect((await activity(STORY, '--format', 'json', '--compare', before, '--fail-on-new')).code).toBe(1);
    // without it, a known problem still fails the run, as ever
    expect((await activity(withoutMallory, '--format', 'json', '--compare', before)).code).toBe(1);
  });

  it('shows NEW in the table, the resolved ones at its end, and both in Markdown', async () => {
    const table = (await activity(STORY, '--compare', before, '--no-color')).out;
    expect(table).toMatch(/^INVESTIGATE critical NEW {2}activity\.truncate/m);
    expect(table).toMatch(new RegExp(`; since ${before}: 8 new, 0 changed, 0 resolved`));
    const resolved = (await activity(withoutMallory, '--compare', full, '--no-color')).out;
    expect(resolved).toMatch(/^RESOLVED {2}activity\.truncate: TRUNCATE TABLE audit_log by mallory@postgres \(was investigate\)$/m);
    const markdown = (await activity(withoutMallory, '--format', 'markdown', '--compare', full)).out;
    expect(markdown).toMatch(/^- Since .*full\.json \(.+\): 0 new, 0 changed, \d+ unchanged, 8 resolved$/m);
    expect(markdown).toContain('## Resolved since the previous report');
  });

  it('refuses, in one sentence with exit 2, what it cannot compare', async () => {
    const markdownFile = join(dir, 'report.md');
    writeFileSync(markdownFile, '# dbsec activity\n');
    const cases: Array<[string[], RegExp]> = [
      [['--compare', join(dir, 'missing.json')], /^dbsec: Cannot read --compare .*missing\.json: no such file; pass the JSON report of an earlier run \(--format json -o FILE\)\.\n$/],
      [['--compare', markdownFile], /is not JSON: pass the JSON report of an earlier run/],
      [['--fail-on-new'], /--fail-on-new needs --compare PREVIOUS\.json/],
      [['--compare', before, '--format', 'jsonl'], /--compare marks the findings of a report/],
    ];
    for (const [flags, message] of cases) {
      const { code, err } = await activity(STORY, ...flags);
      expect(code).toBe(2);
      expect(err).toMatch(message);
    }
    const daily = join(dir, 'daily.json');
    writeFileSync(daily, JSON.stringify({ ...JSON.parse(readFileSync(before, 'utf8')), command: 'daily' }));
    const other = await activity(STORY, '--compare', daily);
    expect([other.code, other.err]).toEqual([2, expect.stringContaining('is a report of dbsec daily, not activity')]);
  });
});
