import { afterAll, beforeAll } from 'vitest';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { pinnedClock, systemClock } from '../../src/clock.js';
import type { Check } from '../../src/checks/types.js';
import { runChecks } from '../../src/runner.js';
import { resolveTarget, type TargetInput } from '../../src/target.js';
import type { Finding } from '../../src/report.js';

/** AWS retries without sleeping: 3 attempts like the SDK default, no backoff. */
export const fastRetries = new ConfiguredRetryStrategy(3, () => 0);

interface RunWindow {
  /** How far the window reaches back from its end, in ms. */
  since?: number;
  /** The run's time. */
  now?: Date;
  /** The window's end, as --until sets it (default: now). */
  until?: Date;
}

/** The clock of the runs in this file: the wall clock, unless the file pins it to its recording (pinClock). */
let pinnedAt: Date | undefined;

/**
 * Call at the top of a file whose data was recorded: every run in it reads `at` as now, so the recorded times stay
 * inside the windows on any day (the ten-years-ahead CI guard checks that nothing else reads the wall clock).
 */
export function pinClock(at: Date): void {
  beforeAll(() => {
    pinnedAt = at;
  });
  afterAll(() => {
    pinnedAt = undefined;
  });
}

/** Runs one check through the real runner (so skipped/error mapping is exercised) and returns its findings. */
export function runCheck(check: Check<any, any>, target: TargetInput, options: Record<string, unknown> = {}, window: RunWindow = {}): Promise<Finding[]> {
  return runChecksOn([check], target, window, { [check.meta.id]: options });
}

/** Several checks in one run on one target, as a command runs them (roll-ups see the others' findings). */
export async function runChecksOn(
  checks: Array<Check<any, any>>,
  target: TargetInput,
  { since = 24 * 3600_000, now = pinnedAt ?? systemClock(), until = now }: RunWindow = {},
  options: Record<string, Record<string, unknown>> = {},
): Promise<Finding[]> {
  const report = await runChecks({
    command: 'test',
    version: 'test',
    checks,
    options: new Map(checks.map((check) => [check.meta.id, { enabled: true, options: check.options.parse(options[check.meta.id] ?? {}) as Record<string, unknown> }])),
    targets: [resolveTarget(target, process.env)],
    window: { from: new Date(until.getTime() - since), to: until },
    clock: pinnedClock(now),
    concurrency: 2,
    deps: { limits: { statementTimeoutMs: 10_000, lockTimeoutMs: 2_000, connectTimeoutMs: 3_000 }, aws: { retryStrategy: fastRetries } },
  });
  return report.findings;
}

export function statuses(findings: readonly Finding[]): string[] {
  return findings.map((f) => f.status);
}
