import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../src/cli.js';
import type { Report } from '../src/report.js';
import { bufferIo } from './helpers/io.js';

/** The story log (recorded from PostgreSQL 18, 2026-11-30 17:15 UTC) raises alerts; the clock is pinned after it. */
const STORY = fileURLToPath(new URL('../fixtures/logs/activity/story-pg18.log', import.meta.url));
const AT = new Date('2026-11-30T18:00:00Z');
const KEY = { DBSEC_ALERT_KEY: 'alert-log-test-key' };

async function run(args: string[], env: Record<string, string> = {}) {
  const io = bufferIo(AT, { ...process.env, ...env });
  const code = await main(['node', 'dbsec', ...args], io);
  return { code, out: io.out(), err: io.err() };
}

async function alertsInto(file: string, env: Record<string, string> = {}, sign = false) {
  const { out } = await run(['activity', '--log-file', STORY, '--format', 'json', '--alert-log', file, ...(sign ? ['--sign-key-env', 'DBSEC_ALERT_KEY'] : [])], env);
  return (JSON.parse(out) as Report).findings.filter((f) => f.checkId !== 'activity.summary');
}

const lines = (file: string) => readFileSync(file, 'utf8').trimEnd().split('\n');
const sha = (text: string) => createHash('sha256').update(text).digest('hex');

describe('the alert log', () => {
  it('appends every alert as a chained line, continues the chain on the next run, and verifies', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'dbsec-alert-log-')), 'alerts.jsonl');
    await alertsInto(file);
    const first = lines(file);
    expect(first.length).toBeGreaterThan(3);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const parsed = first.map((l) => JSON.parse(l));
    // the run's clock (pinned, running on)
    expect(parsed[0]).toMatchObject({ seq: 1, time: expect.stringMatching(/^2026-11-30T18:00:\d\d\.\d{3}Z$/), prev: '0'.repeat(64), alert: { useCase: expect.any(String), alert: { status: expect.any(String) } } });
    expect(parsed[1].prev).toBe(sha(first[0]!));
    // a second run carries on from the last line
    await alertsInto(file);
    const both = lines(file);
    expect(both).toHaveLength(first.length * 2);
    expect(JSON.parse(both[first.length]!)).toMatchObject({ seq: first.length + 1, prev: sha(first.at(-1)!) });
    const verified = await run(['verify-log', file]);
    expect(verified.code).toBe(0);
    expect(verified.out).toBe(`${file}: ${both.length} lines, the chain is intact (no key: a forger who rewrote every later line would not show); last line: sequence ${both.length}, sha256 ${sha(both.at(-1)!)}.\n`);
  });

  it('names a changed, a removed and a reordered line', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'dbsec-alert-log-')), 'alerts.jsonl');
    await alertsInto(file);
    const original = lines(file);
    const write = (text: string[]) => writeFileSync(file, `${text.join('\n')}\n`);
    write(original.map((l, i) => (i === 1 ? l.replace(/"user":"[^"]*"/, '"user":"nobody"') : l)));
    expect(await run(['verify-log', file])).toMatchObject({ code: 1, out: expect.stringContaining(`${file}:3: the hash of the line before does not match: line 2 was changed\n`) });
    write(original.filter((_, i) => i !== 2));
    expect((await run(['verify-log', file])).out).toContain(`${file}:3: sequence 4 where 3 was expected: a line was removed before it\n`);
    write([original[0]!, original[2]!, original[1]!, ...original.slice(3)]);
    const swapped = (await run(['verify-log', file])).out;
    expect(swapped).toContain(`${file}:2: sequence 3 where 2 was expected: a line was removed before it\n`);
    expect(swapped).toContain(`${file}:3: sequence 2 after 3: a line inserted, or lines reordered\n`);
    write(original.slice(1));
    expect((await run(['verify-log', file])).out).toContain(`${file}:1: sequence 2 where 1 was expected: a line was removed before it\n`);
  });

  it('with a key, catches a forger who rewrites the chain after a change', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'dbsec-alert-log-')), 'alerts.jsonl');
    await alertsInto(file, KEY, true);
    expect(await run(['verify-log', file, '--sign-key-env', 'DBSEC_ALERT_KEY'], KEY)).toMatchObject({ code: 0, out: expect.stringContaining('the chain is intact and every HMAC matches') });
    // change line 1 and recompute every later line's previous-line hash, as someone without the key would
    const forged: string[] = [];
    for (const [i, line] of lines(file).entries()) {
      const entry = JSON.parse(line);
      if (i === 0) entry.alert.user = 'nobody';
      if (i > 0) entry.prev = sha(forged[i - 1]!);
      forged.push(JSON.stringify(entry));
    }
    writeFileSync(file, `${forged.join('\n')}\n`);
    expect((await run(['verify-log', file])).code).toBe(0);
    const keyed = await run(['verify-log', file, '--sign-key-env', 'DBSEC_ALERT_KEY'], KEY);
    expect(keyed).toMatchObject({ code: 1, out: expect.stringContaining(`${file}:1: the HMAC does not match: the line was changed, or written with another key\n`) });
  });

  it('refuses a missing key, an unreadable file and a key without a log in one sentence each (exit 2)', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'dbsec-alert-log-')), 'alerts.jsonl');
    expect(await run(['verify-log', file])).toMatchObject({ code: 2, err: expect.stringMatching(/^dbsec: Cannot read the alert log .*alerts\.jsonl \(ENOENT.*\); check the path and its permissions\.\n$/) });
    writeFileSync(file, '');
    expect(await run(['verify-log', file, '--sign-key-env', 'DBSEC_NO_SUCH_KEY'])).toMatchObject({ code: 2, err: 'dbsec: --sign-key-env DBSEC_NO_SUCH_KEY: that environment variable is empty or not set.\n' });
    expect(await run(['activity', '--log-file', STORY, '--sign-key-env', 'DBSEC_ALERT_KEY'], KEY)).toMatchObject({ code: 2, err: 'dbsec: --sign-key-env signs the alert log: add --alert-log FILE, or drop it.\n' });
  });
});
