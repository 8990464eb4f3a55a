import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHECKS } from '../../src/checks/index.js';
import { parseConfigText, resolveCheckOptions } from '../../src/config.js';

const CHECKS_DIR = fileURLToPath(new URL('../../src/checks/', import.meta.url));
const sources = readdirSync(CHECKS_DIR, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).map((f) => [f, readFileSync(join(CHECKS_DIR, f), 'utf8')] as const);
/** Every config snippet a check's summary or remediation tells the user to set, as written. */
const hints = sources.flatMap(([file, text]) => [...text.matchAll(/`(checks: \{[^`]+\})`/g)].map((m) => [file, m[1]!] as const));

describe('the config a hint tells the user to write', () => {
  it('is found in the checks that name an option', () => {
    expect(hints.map(([file]) => file).sort()).toEqual(['daily/cloudtrail-rds-changes.ts', 'daily/cloudwatch-alarms.ts', 'monthly/access-control.ts', 'monthly/catalog-grants.ts', 'weekly/ddl-statements.ts', 'weekly/table-privileges.ts']);
  });

  it.each(hints)('%s: `%s` is accepted by the config validator', (_file, snippet) => {
    const config = parseConfigText(snippet, 'hint');
    expect(() => resolveCheckOptions(CHECKS, config, 'hint')).not.toThrow();
    expect(Object.keys(config.checks ?? {})).toHaveLength(1);
  });

  it('would catch a hint naming a key the validator rejects', () => {
    expect(() => resolveCheckOptions(CHECKS, parseConfigText('checks: { monthly.access-control: { options: { applicationRole: app } } }', 'hint'), 'hint')).toThrow(/Unrecognized key/);
  });
});
