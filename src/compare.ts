import { readFile } from 'node:fs/promises';
import { DbsecError, messageOf } from './errors.js';
import type { Finding, Report } from './report.js';
import { exitCode, type FailOn, type Status } from './status.js';

/** What changed since a previous report of the same command: the contract of `report.comparison`. */
export interface Comparison {
  /** The previous report's path, as given to --compare. */
  previous: string;
  previousStartedAt: string;
  new: number;
  changed: number;
  unchanged: number;
  /** Problems of the previous report that this one no longer has (fixed, or gone with what they were about). */
  resolved: Array<Pick<Finding, 'checkId' | 'target' | 'status' | 'title' | 'fingerprint'>>;
}

/** A finding that asks for attention: what a comparison tracks (ok and skipped findings are not problems). */
const PROBLEMS: readonly Status[] = ['investigate', 'monitor', 'error'];
const MAX_RESOLVED = 1000;

/** The previous JSON report (`--format json -o …` of an earlier run), read whole and checked to be one. */
export async function loadPreviousReport(path: string): Promise<Report> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new DbsecError(`Cannot read --compare ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : messageOf(err)}; pass the JSON report of an earlier run (--format json -o FILE).`);
  }
  return checkedReport(text, path, '--compare', 'pass the JSON report of an earlier run (--format json -o FILE)');
}

/** A dbsec JSON report from `text`, or an error naming the flag it came from and what to do (`fix`). */
export function checkedReport(text: string, path: string, flag: string, fix: string): Report {
  let report: unknown;
  try {
    report = JSON.parse(text);
  } catch {
    throw new DbsecError(`${flag} ${path} is not JSON: ${fix}.`);
  }
  const candidate = report as Partial<Report>;
  if (candidate?.schemaVersion !== 1 || !Array.isArray(candidate.findings) || !candidate.findings.every((f) => typeof f?.fingerprint === 'string')) {
    throw new DbsecError(`${flag} ${path} is not a dbsec JSON report (schemaVersion 1 with fingerprinted findings): ${fix}.`);
  }
  return candidate as Report;
}

/**
 * Marks each problem of `current` new, changed (another status) or unchanged against `previous` by fingerprint, and
 * lists the previous problems it no longer has as resolved.
 */
export function compareReports(current: Report, previous: Report, previousPath: string): Report {
  if (previous.command !== current.command) {
    throw new DbsecError(`--compare ${previousPath} is a report of dbsec ${previous.command}, not ${current.command}: compare reports of the same command.`);
  }
  // Several findings may share a fingerprint (one per row of a table, say): each keeps every status it had.
  const before = new Map<string, Set<Status>>();
  for (const f of previous.findings) if (PROBLEMS.includes(f.status)) before.set(f.fingerprint, (before.get(f.fingerprint) ?? new Set()).add(f.status));
  const now = new Set<string>();
  const counts = { new: 0, changed: 0, unchanged: 0 };
  const findings = current.findings.map((finding): Finding => {
    if (!PROBLEMS.includes(finding.status)) return finding;
    now.add(finding.fingerprint);
    const earlier = before.get(finding.fingerprint);
    const change: NonNullable<Finding['change']> = !earlier ? 'new' : earlier.has(finding.status) ? 'unchanged' : 'changed';
    counts[change]++;
    return { ...finding, change };
  });
  const resolved = previous.findings.filter((f) => PROBLEMS.includes(f.status) && !now.has(f.fingerprint)).map(({ checkId, target, status, title, fingerprint }) => ({ checkId, target, status, title, fingerprint }));
  return { ...current, findings, comparison: { previous: previousPath, previousStartedAt: previous.startedAt, ...counts, resolved: resolved.slice(0, MAX_RESOLVED) } };
}

/**
 * The exit code of a report: the design's, except that a suppressed finding, and with --fail-on-new a problem the
 * previous report already had with the same status, cannot make it 1; errors still count as ever.
 */
export function reportExit(report: Report, flags: { failOn: FailOn; failOnNew?: boolean }): number {
  const known = (f: Finding) => (f.status === 'monitor' || f.status === 'investigate') && f.change === 'unchanged';
  const considered = report.findings.filter((f) => !f.suppressed && !(flags.failOnNew && known(f)));
  return exitCode(considered, flags.failOn);
}
