import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Check } from '../../src/checks/types.js';
import { DbsecError } from '../../src/errors.js';
import type { FindingDraft } from '../../src/finding.js';
import { worstStatus, type Status } from '../../src/status.js';

/** What a check's collect() read from a real server, recorded by fixtures/record-check-data.mjs. */
export function recorded<Data>(checkId: string): { recordedAt: Date; data: Data } {
  // Times were written as ISO strings: they come back as Dates, as collect() returned them.
  // Maps were written as {"$map": entries}.
  const file = JSON.parse(readFileSync(new URL(`../../fixtures/checks/${checkId}.json`, import.meta.url), 'utf8'), (_, value) => {
    if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z$/.test(value)) return new Date(value);
    return value !== null && typeof value === 'object' && Array.isArray(value.$map) ? new Map(value.$map) : value;
  });
  return { recordedAt: file.recordedAt, data: file.data };
}

export interface CheckCase<Data, Options> {
  /** What the case shows, for the test's name. */
  name: string;
  /** The recorded data as it was, or changed to make the case. */
  data: Data;
  options?: Partial<Options>;
  now?: Date;
  /** The worst status of the drafts, or 'error' when evaluate must refuse with one sentence. */
  expect: Status;
  /** Titles (or patterns) the drafts must hold, in order; for 'error', the message. */
  titles?: Array<string | RegExp>;
}

/**
 * ESLint's RuleTester for dbsec's checks: a table of cases per check, each running evaluate() (pure) on recorded
 * data for one status, no server needed; collect() keeps its real-server tests.
 */
export function checkTester<Options extends Record<string, unknown>, Data>(check: Check<Options, Data>, cases: ReadonlyArray<CheckCase<Data, Options>>): void {
  describe(`${check.meta.id} (evaluate, recorded data)`, () => {
    const statuses = new Set(cases.map((c) => c.expect));
    it('has an ok case and a monitor or investigate case', () => {
      expect(statuses.has('ok')).toBe(true);
      expect(statuses.has('monitor') || statuses.has('investigate')).toBe(true);
    });
    for (const testCase of cases) {
      it(`${testCase.expect}: ${testCase.name}`, () => {
        const options = check.options.parse(testCase.options ?? {});
        const run = () => check.evaluate(testCase.data, options, { now: testCase.now ?? new Date(0) });
        if (testCase.expect === 'error') {
          expect(run).toThrow(DbsecError);
          if (testCase.titles) for (const title of testCase.titles) expect(run).toThrow(title);
          return;
        }
        const drafts: FindingDraft[] = run();
        expect(worstStatus(drafts)).toBe(testCase.expect);
        if (testCase.titles) expect(drafts.map((d) => d.title)).toEqual(testCase.titles.map((t) => (typeof t === 'string' ? t : expect.stringMatching(t))));
      });
    }
  });
}
