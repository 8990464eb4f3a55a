/** The statuses of the design, in the order a report sorts them. */
export const STATUSES = ['investigate', 'monitor', 'error', 'skipped', 'ok'] as const;
export type Status = (typeof STATUSES)[number];

/** How much a finding matters, lowest first (activity's alerts and incidents carry one): part of the output contract. */
export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/** The runbook's levels: ok is its "normal". */
export type Level = 'ok' | 'monitor' | 'investigate';
export const FAIL_ON = ['monitor', 'investigate', 'never'] as const;
export type FailOn = (typeof FAIL_ON)[number];

const RANK: Record<Level, number> = { ok: 0, monitor: 1, investigate: 2 };

export const EXIT = { clean: 0, findings: 1, unusable: 2, checkErrors: 3 } as const;

/** 128 plus the signal's number, as a shell reports a command that a signal stopped: 130 for Ctrl-C, 143 for SIGTERM. */
export function interruptedExit(signal: unknown): number {
  return signal === 'SIGTERM' ? 143 : 130;
}

export function isLevel(status: Status): status is Level {
  return status === 'ok' || status === 'monitor' || status === 'investigate';
}

export function atOrAbove(status: Status, failOn: FailOn): boolean {
  return failOn !== 'never' && isLevel(status) && RANK[status] >= RANK[failOn];
}

/** Level for a value against "monitor above" / "investigate above" bounds. */
export function levelAbove(value: number, bounds: { monitorAbove: number; investigateAbove: number }): Level {
  if (value > bounds.investigateAbove) return 'investigate';
  if (value > bounds.monitorAbove) return 'monitor';
  return 'ok';
}

/** Level for a value against "monitor at" / "investigate at" bounds (inclusive). */
export function levelAt(value: number, bounds: { monitorAt: number; investigateAt: number }): Level {
  if (value >= bounds.investigateAt) return 'investigate';
  if (value >= bounds.monitorAt) return 'monitor';
  return 'ok';
}

/**
 * The design's exit code: 1 when a finding reaches --fail-on, else 2 when every check that ran errored
 * (no target was reachable at all), else 3 when some errored, else 0.
 */
export function exitCode(findings: ReadonlyArray<{ status: Status }>, failOn: FailOn): number {
  if (findings.some((f) => atOrAbove(f.status, failOn))) return EXIT.findings;
  const ran = findings.filter((f) => f.status !== 'skipped');
  const errored = ran.filter((f) => f.status === 'error');
  if (ran.length > 0 && errored.length === ran.length) return EXIT.unusable;
  if (errored.length > 0) return EXIT.checkErrors;
  return EXIT.clean;
}

/** The status that speaks for a set of findings: a level beats an error, an error beats ok, skipped counts last. */
export function worstStatus(findings: ReadonlyArray<{ status: Status }>): Status {
  const order: Status[] = ['investigate', 'monitor', 'error', 'ok', 'skipped'];
  return order.find((status) => findings.some((f) => f.status === status)) ?? 'ok';
}
