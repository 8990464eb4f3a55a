import { describe, expect, it } from 'vitest';
import { exitCode, type Status } from '../../src/status.js';
import { parseConfigText, resolveCheckOptions } from '../../src/config.js';
import { CHECKS } from '../../src/checks/index.js';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { reviewWindow } from '../../src/time.js';
import { pinnedClock } from '../../src/clock.js';
import { targetsOf } from '../../src/commands/shared/targets.js';

const f = (...statuses: Status[]) => statuses.map((status) => ({ status }));

describe('exitCode', () => {
  it.each([
    [f('ok', 'skipped'), 'investigate', 0],
    [f('ok', 'monitor'), 'investigate', 0],
    [f('ok', 'monitor'), 'monitor', 1],
    [f('investigate', 'error'), 'investigate', 1],
    [f('investigate'), 'never', 0],
    [f('ok', 'error'), 'investigate', 3],
    [f('error', 'error', 'skipped'), 'investigate', 2],
  ] as const)('%j with --fail-on %s → %i', (findings, failOn, code) => {
    expect(exitCode(findings, failOn)).toBe(code);
  });
});

describe('config', () => {
  it('accepts targets and per-check thresholds, filling defaults', () => {
    const config = parseConfigText('targets:\n  - name: prod\n    rdsInstance: prod-db\nchecks:\n  daily.failed-auth:\n    monitorAbove: 2\n', 'c.yaml');
    const options = resolveCheckOptions(CHECKS, config, 'c.yaml');
    expect(options.get('daily.failed-auth')!.options).toEqual({ monitorAbove: 2, investigateAbove: 20, top: 10, insights: true });
    expect(options.get('daily.cpu')!.options).toMatchObject({ monitorAbove: 70, investigateAbove: 85 });
  });

  it.each([
    ['checks: [1, 2', /^Config file c\.yaml (line \d+ )?is not valid YAML: /],
    [`a: &a [x, x, x, x, x, x, x, x, x, x]\n${Array.from({ length: 9 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(', ')}]`).join('\n')}\n`, /^Config file c\.yaml expands its YAML aliases too many times \(a pattern of resource-exhaustion attacks\): write the values out instead\.$/],
    ['targets:\n  - rdsInstnce: x\n', /c\.yaml: targets\.0: Unrecognized key/],
    ['checks:\n  daily.nope: {}\n', /checks\.daily\.nope is not a check id/],
    ['checks:\n  daily.cpu:\n    monitorAbove: high\n', /checks\.daily\.cpu\.monitorAbove: Invalid input: expected number/],
    ['checks:\n  daily.long-running-queries:\n    minDuration: soon\n', /minDuration: expected a duration/],
    ['checks:\n  daily.failed-auth:\n    monitorAbove: 10\n    investigateAbove: 1\n', /^Config file c\.yaml: checks\.daily\.failed-auth: monitorAbove \(10\) is above investigateAbove \(1\); the monitor bound must not exceed the investigate bound\.$/],
    ['checks:\n  daily.connections:\n    monitorAtPercent: 99\n', /monitorAtPercent \(99\) is above investigateAtPercent \(95\)/],
  ])('rejects %j with one sentence', (text, message) => {
    expect(() => resolveCheckOptions(CHECKS, parseConfigText(text, 'c.yaml'), 'c.yaml')).toThrow(message);
  });
});

describe('time windows', () => {
  const now = new Date('2026-11-22T12:00:00Z');
  const at = (text: string) => new Date(text);
  it('reads --since as a duration back from now, or an ISO time', () => {
    expect(reviewWindow({}, '24h', now)).toEqual({ from: at('2026-11-21T12:00:00Z'), to: now });
    expect(reviewWindow({ since: '7d' }, '24h', now).from).toEqual(at('2026-11-15T12:00:00Z'));
    expect(reviewWindow({ since: '2026-11-20T00:00:00Z' }, '24h', now).from).toEqual(at('2026-11-20T00:00:00Z'));
    expect(reviewWindow({ since: '2026-11-20' }, '24h', now).from).toEqual(at('2026-11-20T00:00:00Z'));
    expect(reviewWindow({ since: '2026-11-20T01:00:00+01:00' }, '24h', now).from).toEqual(at('2026-11-20T00:00:00Z'));
  });
  it('ends the window at --until, and counts a relative --since back from it', () => {
    expect(reviewWindow({ since: '2026-11-20T00:00:00Z', until: '2026-11-21T12:00:00Z' }, '24h', now)).toEqual({ from: at('2026-11-20T00:00:00Z'), to: at('2026-11-21T12:00:00Z') });
    expect(reviewWindow({ until: '2026-11-21T06:00:00Z' }, '24h', now)).toEqual({ from: at('2026-11-20T06:00:00Z'), to: at('2026-11-21T06:00:00Z') });
    expect(reviewWindow({ since: '2h', until: '6h' }, '24h', now)).toEqual({ from: at('2026-11-22T04:00:00Z'), to: at('2026-11-22T06:00:00Z') });
  });
  it('cuts an --until in the future at now', () => {
    expect(reviewWindow({ since: '2026-11-22T00:00:00Z', until: '2026-11-22T23:59:59Z' }, '24h', now)).toEqual({ from: at('2026-11-22T00:00:00Z'), to: now });
  });
  it.each([
    [{ since: 'yesterday' }, /--since "yesterday" is neither a duration back from now .* nor a real ISO-8601 time/],
    [{ until: 'noon' }, /--until "noon" is neither a duration back from now/],
    [{ since: '2026-02-30' }, /--since "2026-02-30" is neither .* a real ISO-8601 time/],
    [{ since: '2026-11-20T25:00:00Z' }, /a real ISO-8601 time/],
    [{ since: '2027-01-01' }, /--since 2027-01-01T00:00:00.000Z is in the future/],
    [{ since: '2026-11-21T00:00:00Z', until: '2026-11-20T00:00:00Z' }, /--since 2026-11-21T00:00:00.000Z is not before --until 2026-11-20T00:00:00.000Z/],
    [{ since: '9999999999999d' }, /--since "9999999999999d" reaches back more than 100 years/],
  ])('rejects %j with one sentence', (flags, message) => {
    expect(() => reviewWindow(flags, '24h', now)).toThrow(message);
  });
});

describe('the one clock', () => {
  it('a pinned clock starts at its instant and runs on', async () => {
    const clock = pinnedClock(new Date('2026-11-22T16:05:00Z'));
    const first = clock();
    expect(first.getTime()).toBeGreaterThanOrEqual(Date.parse('2026-11-22T16:05:00Z'));
    expect(first.getTime()).toBeLessThan(Date.parse('2026-11-22T16:05:01Z'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(clock().getTime()).toBeGreaterThan(first.getTime());
  });

  it('nothing under src/ reads the wall clock but src/clock.ts', () => {
    const root = fileURLToPath(new URL('../../src/', import.meta.url));
    const readers = readdirSync(root, { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts') && file !== 'clock.ts')
      .flatMap((file) =>
        readFileSync(join(root, file), 'utf8')
          .split('\n')
          .map((line, i) => [`${file}:${i + 1}`, line] as const)
          .filter(([, line]) => /Date\.now\(\)|new Date\(\)|performance\.now\(\)/.test(line))
          .map(([where]) => where),
      );
    expect(readers).toEqual([]);
  });
});

describe('targets', () => {
  it('makes one target from flags, with the RDS log group by default', () => {
    const [target] = targetsOf({ rdsInstance: 'prod-db', region: 'eu-west-1' }, {}, {});
    expect(target).toMatchObject({ name: 'prod-db', logGroup: '/aws/rds/instance/prod-db/postgresql', region: 'eu-west-1', usePgEnv: false });
  });
  it('uses libpq variables when no URL is given', () => {
    const [target] = targetsOf({}, {}, { PGHOST: 'db.internal', PGDATABASE: 'app' });
    expect(target).toMatchObject({ name: 'db.internal/app', usePgEnv: true });
  });
  it('takes the config targets when no target flag is given', () => {
    const targets = targetsOf({ region: 'us-east-1' }, { targets: [{ name: 'a', rdsInstance: 'a-db' }, { name: 'b', databaseUrl: 'postgres://x@b/app' }] }, {});
    expect(targets.map((t) => [t.name, t.region])).toEqual([['a', 'us-east-1'], ['b', 'us-east-1']]);
  });
});
