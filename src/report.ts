import { STATUSES, severityRank, worstStatus, type Severity, type Status } from './status.js';
import type { Comparison } from './compare.js';

export interface Finding {
  checkId: string;
  target: string;
  status: Status;
  title: string;
  summary: string;
  /** The exact resource the finding is about (alarm, pid, event id, log group…). */
  resource: string | null;
  /** The same problem has the same fingerprint in every run: check, target, resource, identifying facts. */
  fingerprint: string;
  /** Activity's alerts and incidents: how much it matters, beside the status that says what to do. */
  severity?: Severity;
  /** With --compare: a problem the previous report did not have, had with another status, or had as it is. */
  change?: 'new' | 'changed' | 'unchanged';
  /** A problem accepted in the config's `suppress` list: still reported, left out of the exit code and notifications. */
  suppressed?: { reason: string; owner?: string; expires?: string };
  value?: number | string;
  expected?: string;
  thresholds?: Record<string, unknown>;
  /** The CloudWatch Logs Insights queries the counts came from, to run again in the console (--verbose prints them). */
  queries?: string[];
  evidence: Array<Record<string, string | number | boolean | null>>;
  remediation: string;
  runbook: string;
}

export interface ReportTarget {
  name: string;
  database: string | null;
  rdsInstance: string | null;
  region: string | null;
  logSource: string | null;
}

/** The JSON report of the design, schemaVersion 1 (schema/report.schema.json): additive changes only. */
export interface Report {
  schemaVersion: 1;
  tool: { name: 'dbsec'; version: string };
  command: string;
  startedAt: string;
  finishedAt: string;
  window: { from: string; to: string };
  targets: ReportTarget[];
  summary: Record<Status, number>;
  findings: Finding[];
  /** Present and true when Ctrl-C or SIGTERM stopped the run: the findings are what was done by then. */
  interrupted?: true;
  /** With --compare: what changed since the previous report. */
  comparison?: Comparison;
  /** Several targets (--format json): one row per target, worst first, before the findings. */
  fleet?: FleetRow[];
}

/** A target at a glance: its counts by status (suppressed findings too) and each check's worst status (suppressed ones aside). */
export interface FleetRow {
  target: string;
  worst: Status;
  counts: Record<Status, number>;
  checks: Record<string, Status>;
}

/**
 * One row per target, worst first (by its count of investigate, then monitor, … findings not suppressed), then by
 * name; the findings are grouped once, so a fleet of hundreds of targets costs one pass.
 */
export function fleetRows(report: Pick<Report, 'findings'>): FleetRow[] {
  const byTarget = new Map<string, Finding[]>();
  for (const finding of report.findings) (byTarget.get(finding.target) ?? byTarget.set(finding.target, []).get(finding.target)!).push(finding);
  const rows = [...byTarget].map(([target, findings]) => {
    const open = findings.filter((f) => !f.suppressed);
    const byCheck = new Map<string, Finding[]>();
    for (const finding of findings) (byCheck.get(finding.checkId) ?? byCheck.set(finding.checkId, []).get(finding.checkId)!).push(finding);
    const checks = Object.fromEntries([...byCheck].sort(([a], [b]) => a.localeCompare(b)).map(([check, found]) => [check, worstStatus(found.some((f) => !f.suppressed) ? found.filter((f) => !f.suppressed) : found)]));
    return { target, worst: worstStatus(open.length ? open : findings), counts: summarize(findings), checks, rank: STATUSES.map((status) => open.filter((f) => f.status === status).length) };
  });
  rows.sort((a, b) => a.rank.reduce((d, n, i) => d || b.rank[i]! - n, 0) || a.target.localeCompare(b.target));
  return rows.map(({ rank: _rank, ...row }) => row);
}


/**
 * How much a finding matters on the formats' severity scales (SARIF, ASFF, OCSF): its own severity (activity's
 * alerts), else high for investigate and medium for monitor; an ok finding is informational.
 */
export function findingSeverity(finding: Pick<Finding, 'status' | 'severity'>): Severity {
  if (finding.status === 'ok') return 'info';
  return finding.severity ?? (finding.status === 'investigate' ? 'high' : 'medium');
}

/** A finding about something that happened (an activity alert or incident, a CloudTrail change), not about a setting. */
export function isDetection(finding: Pick<Finding, 'checkId'>): boolean {
  return finding.checkId.startsWith('activity.') || finding.checkId === 'daily.cloudtrail-rds-changes';
}

export function summarize(findings: readonly Finding[]): Record<Status, number> {
  const summary = Object.fromEntries(['ok', 'monitor', 'investigate', 'skipped', 'error'].map((s) => [s, 0])) as Record<Status, number>;
  for (const finding of findings) summary[finding.status]++;
  return summary;
}

/**
 * Worst first, then by target and check, so the report reads top-down. Findings with a severity come first within
 * their status, the most severe first; among equals they keep the order their command gave them (incidents, then
 * alerts in time order).
 */
export function sortFindings(findings: Finding[]): Finding[] {
  const rank = (status: Status) => STATUSES.indexOf(status);
  const weight = (finding: Finding) => (finding.severity ? severityRank(finding.severity) : -1);
  return findings.sort(
    (a, b) =>
      rank(a.status) - rank(b.status) || weight(b) - weight(a) || (a.severity && b.severity ? 0 : a.target.localeCompare(b.target) || a.checkId.localeCompare(b.checkId)),
  );
}

export interface ReportMeta {
  version: string;
  command: string;
  startedAt: Date;
  finishedAt: Date;
  window: { from: Date; to: Date };
  targets: ReportTarget[];
}

/** The report every command emits: findings sorted worst first and counted. */
export function makeReport(meta: ReportMeta, findings: Finding[]): Report {
  const sorted = sortFindings(findings);
  return {
    schemaVersion: 1,
    tool: { name: 'dbsec', version: meta.version },
    command: meta.command,
    startedAt: meta.startedAt.toISOString(),
    finishedAt: meta.finishedAt.toISOString(),
    window: { from: meta.window.from.toISOString(), to: meta.window.to.toISOString() },
    targets: meta.targets,
    summary: summarize(sorted),
    findings: sorted,
  };
}

/** A report target that is not a database connection: a secret, a set of files, a baseline. */
export function namedTarget(name: string, region: string | null = null): ReportTarget {
  return { name, database: null, rdsInstance: null, region, logSource: null };
}
