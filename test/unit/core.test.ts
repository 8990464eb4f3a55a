import { describe, expect, it } from 'vitest';
import { exitCode, type Status } from '../../src/status.js';
import { parseConfigText, resolveCheckOptions } from '../../src/config.js';
import { CHECKS } from '../../src/checks/index.js';
import { windowSince } from '../../src/time.js';
import { targetsOf } from '../../src/commands/review.js';

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
    expect(options.get('daily.failed-auth')!.options).toEqual({ monitorAbove: 2, investigateAbove: 20, top: 10 });
    expect(options.get('daily.cpu')!.options).toMatchObject({ monitorAbove: 70, investigateAbove: 85 });
  });

  it.each([
    ['checks: [1, 2', /^Config file c\.yaml (line \d+ )?is not valid YAML: /],
    ['targets:\n  - rdsInstnce: x\n', /c\.yaml: targets\.0: Unrecognized key/],
    ['checks:\n  daily.nope: {}\n', /checks\.daily\.nope is not a check id/],
    ['checks:\n  daily.cpu:\n    monitorAbove: high\n', /checks\.daily\.cpu\.monitorAbove: Invalid input: expected number/],
    ['checks:\n  daily.long-running-queries:\n    minDuration: soon\n', /minDuration: expected a duration/],
  ])('rejects %j with one sentence', (text, message) => {
    expect(() => resolveCheckOptions(CHECKS, parseConfigText(text, 'c.yaml'), 'c.yaml')).toThrow(message);
  });
});

describe('time windows', () => {
  const now = new Date('2026-11-22T12:00:00Z');
  it('reads durations and ISO times', () => {
    expect(windowSince('24h', now).from).toEqual(new Date('2026-11-21T12:00:00Z'));
    expect(windowSince('7d', now).from).toEqual(new Date('2026-11-15T12:00:00Z'));
    expect(windowSince('2026-11-20T00:00:00Z', now).from).toEqual(new Date('2026-11-20T00:00:00Z'));
  });
  it('rejects anything else', () => {
    expect(() => windowSince('yesterday', now)).toThrow(/neither a duration/);
    expect(() => windowSince('2027-01-01', now)).toThrow(/past ISO-8601/);
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
