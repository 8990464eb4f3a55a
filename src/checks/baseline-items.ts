import { readFileSync } from 'node:fs';
import { yamlData } from '../yaml-file.js';
import { z } from 'zod';
import { BaselineFileSchema, builtInBaselinePath, describeExpectation, meets, type ReviewBaseline, type ReviewItem } from '../config-review/baseline-file.js';
import { readPostgres } from '../config-review/readers.js';
import { SourceMissing } from '../errors.js';
import type { FindingDraft } from '../finding.js';
import { safeText } from '../redact.js';
import { defineCheck, type Check } from './types.js';

/**
 * The items of a YAML baseline (kube-bench's shape: data, not code) as checks of the registry: `config.<item id>`,
 * cadence `config`, listed by `dbsec checks`, run by `dbsec config` through the one runner, counted by the
 * compliance report. The readings of all items are taken once per target.
 */
export function baselineChecks(baseline: ReviewBaseline, source: string): Array<Check<Record<string, never>, { value: unknown }>> {
  return baseline.items.map((item) =>
    defineCheck({
      meta: {
        id: `config.${item.id}`,
        title: item.title,
        area: item.section,
        cadence: 'config',
        sources: ['postgres'],
        sees: 'present',
        runbook: `${baseline.engine} baseline (${source}), ${item.section}`,
        remediation: item.fix,
        definedIn: source,
      },
      options: z.object({}),
      async collect(ctx) {
        const readings = await ctx.memo(`baseline-readings:${source}`, async () => readPostgres(await ctx.pg(), baseline.items));
        const reading = readings.get(item.id)!;
        if ('skipped' in reading) throw new SourceMissing(reading.skipped);
        return reading;
      },
      evaluate: (reading) => [itemDraft(item, reading)],
    }),
  );
}

/** One item judged: ok when the value meets the expectation, else the item's level, with the value shown. */
export function itemDraft(item: ReviewItem, reading: { value: unknown }): FindingDraft {
  const expected = describeExpectation(item.expect);
  const shown = reading.value === '' ? '(none)' : Array.isArray(reading.value) ? reading.value.join(', ') : String(reading.value);
  const pass = meets(reading.value, item.expect);
  return {
    status: pass ? 'ok' : item.level,
    // The item's title states the good state: when it is not met, say so rather than append the value as if it were it.
    title: safeText(`${item.title}${pass ? '' : `: not met (found ${shown})`}`, 200),
    summary: pass ? `${shown} (expected ${expected}).` : `Expected ${expected}: ${item.why}`,
    resource: item.id,
    value: safeText(shown, 500),
    expected,
  };
}

/** The built-in PostgreSQL baseline, read when the registry loads (a small YAML file shipped with dbsec). */
export function builtInPostgresBaseline(): ReviewBaseline {
  const path = builtInBaselinePath('postgresql');
  return BaselineFileSchema.parse(yamlData(readFileSync(path, 'utf8'), `Baseline ${path}`));
}
