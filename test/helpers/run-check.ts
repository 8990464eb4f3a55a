import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import type { Check } from '../../src/checks/types.js';
import { runChecks } from '../../src/runner.js';
import { resolveTarget, type TargetInput } from '../../src/target.js';
import type { Finding } from '../../src/report.js';

/** AWS retries without sleeping: 3 attempts like the SDK default, no backoff. */
export const fastRetries = new ConfiguredRetryStrategy(3, () => 0);

interface RunWindow {
  since?: number;
  now?: Date;
}

/** Runs one check through the real runner (so skipped/error mapping is exercised) and returns its findings. */
export function runCheck(check: Check<any, any>, target: TargetInput, options: Record<string, unknown> = {}, window: RunWindow = {}): Promise<Finding[]> {
  return runChecksOn([check], target, window, { [check.meta.id]: options });
}

/** Several checks in one run on one target, as a command runs them (roll-ups see the others' findings). */
export async function runChecksOn(
  checks: Array<Check<any, any>>,
  target: TargetInput,
  { since = 24 * 3600_000, now = new Date() }: RunWindow = {},
  options: Record<string, Record<string, unknown>> = {},
): Promise<Finding[]> {
  const report = await runChecks({
    command: 'test',
    version: 'test',
    checks,
    options: new Map(checks.map((check) => [check.meta.id, { enabled: true, options: check.options.parse(options[check.meta.id] ?? {}) as Record<string, unknown> }])),
    targets: [resolveTarget(target, process.env)],
    window: { from: new Date(now.getTime() - since), to: now },
    now,
    concurrency: 2,
    deps: { limits: { statementTimeoutMs: 10_000, lockTimeoutMs: 2_000, connectTimeoutMs: 3_000 }, aws: { retryStrategy: fastRetries } },
  });
  return report.findings;
}

export function statuses(findings: readonly Finding[]): string[] {
  return findings.map((f) => f.status);
}
