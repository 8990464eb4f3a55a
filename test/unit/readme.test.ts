import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseConfigText, resolveCheckOptions } from '../../src/config.js';
import { CHECKS } from '../../src/checks/index.js';

const README = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
const yamlBlocks = [...README.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);

describe("the README's config examples", () => {
  it('the full config file is accepted as written, every check option included', () => {
    const full = yamlBlocks.find((block) => block.startsWith('# dbsec.yaml'));
    expect(full).toBeDefined();
    const config = parseConfigText(full!, 'README.md');
    expect(config.suppress?.length).toBe(1);
    expect(resolveCheckOptions(CHECKS, config, 'README.md').size).toBe(CHECKS.length);
  });

  it('the suppress example is accepted as written', () => {
    const suppress = yamlBlocks.find((block) => block.startsWith('suppress:'));
    expect(parseConfigText(suppress!, 'README.md').suppress?.map((rule) => rule.reason)).toEqual([
      'reporting role reads customers by design (ticket SEC-412)',
      "the migration job's DDL is reviewed in its pull requests",
    ]);
  });
});
