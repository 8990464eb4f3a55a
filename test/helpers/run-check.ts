import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import type { Check } from '../../src/checks/types.js';
import { runChecks } from '../../src/runner.js';
import { resolveTarget, type TargetInput } from '../../src/target.js';
import type { Finding } from '../../src/report.js';

/** AWS retries without sleeping: 3 attempts like the SDK default, no backoff. */
export const fastRetries = new ConfiguredRetryStrategy(3, () => 0);

/** Runs one check through the real runner (so skipped/error mapping is exercised) and returns its findings. */
export async function runCheck(
  check: Check<any, any>,
  target: TargetInput,
  options: Record<string, unknown> = {},
  { since = 24 * 3600_000, now = new Date() }: { since?: number; now?: Date } = {},
): Promise<Finding[]> {
  const report = await runChecks({
    command: 'test',
    version: 'test',
    checks: [check],
    options: new Map([[check.meta.id, { enabled: true, options: check.options.parse(options) as Record<string, unknown> }]]),
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
