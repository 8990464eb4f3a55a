import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CHECKS } from '../../src/checks/index.js';

/** Every check: id equals its file, it has a test, a title, a runbook step and a remediation, and its defaults validate. */
describe.each(CHECKS.map((check) => [check.meta.id, check] as const))('%s', (id, check) => {
  const [cadence, name] = id.split('.');
  const definedIn = check.meta.definedIn;
  const tests = () => {
    const dir = new URL('../', import.meta.url);
    return (readdirSync(dir, { recursive: true }) as string[])
      .filter((file) => file.endsWith('.test.ts') && !file.endsWith('registry.test.ts'))
      .map((file) => readFileSync(new URL(file, dir), 'utf8'))
      .join('\n');
  };
  if (definedIn) {
    it(`is an item of ${definedIn}, run whole by a test of dbsec config`, () => {
      expect(readFileSync(new URL(`../../${definedIn}`, import.meta.url), 'utf8')).toContain(`- id: ${id.slice('config.'.length)}\n`);
      expect(check.meta.cadence).toBe('config');
      expect(tests()).toMatch(/dbsec\(\['config', '--database-url'/);
      expect(check.meta.title.length).toBeGreaterThan(5);
      expect(check.meta.remediation).toMatch(/^.{20,}$/s);
      expect(check.meta.runbook).toContain(definedIn);
    });
    return;
  }
  it('lives in src/checks/<cadence>/<name>.ts', () => {
    expect(existsSync(new URL(`../../src/checks/${cadence}/${name}.ts`, import.meta.url))).toBe(true);
    expect(check.meta.cadence).toBe(cadence);
  });
  it('is named in a test', () => {
    expect(tests()).toContain(`('${id}`);
  });
  it('has text a user can act on and defaults that validate', () => {
    expect(check.meta.title.length).toBeGreaterThan(5);
    // one text for every target, or one for RDS and one for a self-hosted server that differ
    const { rds, selfHosted } = typeof check.meta.remediation === 'string' ? { rds: check.meta.remediation, selfHosted: check.meta.remediation } : check.meta.remediation;
    expect([rds.length, selfHosted.length].every((length) => length > 20)).toBe(true);
    if (typeof check.meta.remediation !== 'string') expect(rds).not.toBe(selfHosted);
    expect(check.meta.runbook).toMatch(/§\d/);
    expect(() => check.options.parse({})).not.toThrow();
  });
});

it('the registry is sorted by id', () => {
  const ids = CHECKS.map((c) => c.meta.id);
  expect(ids).toEqual([...ids].sort());
});
