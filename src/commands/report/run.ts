import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { DbsecError, messageOf } from '../../errors.js';
import { interruptedExit } from '../../status.js';
import type { Io } from '../../io.js';
import type { Report } from '../../report.js';
import { formatComplianceReport } from '../../reports/compliance.js';
import { monthWindow, reviewWindow, type TimeWindow } from '../../time.js';
import { collectReview, type ReviewFlags } from '../review/run.js';
import { writeOutput } from '../shared/emit.js';

export interface ComplianceFlags extends Omit<ReviewFlags, 'format' | 'failOn'> {
  month?: string;
  from?: string[];
}

/** Enough of the report schema to build the compliance report; anything else in the file is kept as is. */
const SavedReport = z.looseObject({
  schemaVersion: z.literal(1),
  command: z.string(),
  finishedAt: z.string(),
  window: z.object({ from: z.string(), to: z.string() }),
  findings: z.array(z.looseObject({ checkId: z.string(), target: z.string(), status: z.enum(['ok', 'monitor', 'investigate', 'skipped', 'error']), title: z.string(), summary: z.string(), remediation: z.string(), runbook: z.string() })),
});

/**
 * dbsec report compliance: the runbook's Monthly Compliance Report in Markdown, from a live monthly run over the
 * month, or offline from saved JSON reports (--from).
 */
export async function complianceReport(flags: ComplianceFlags, io: Io, version: string): Promise<number> {
  const now = io.now();
  const { label: month, window } = reportPeriod(flags, now);
  let reports: Report[];
  if (flags.from?.length) {
    const saved = await Promise.all(flags.from.map(readSavedReport));
    reports = saved.filter((r) => Date.parse(r.window.to) > window.from.getTime() && Date.parse(r.window.from) < window.to.getTime());
    if (reports.length === 0) throw new DbsecError(`None of the ${saved.length} reports covers ${month}: pass reports whose window overlaps it, or another period.`);
  } else {
    // The monthly audit with the configuration baseline's items: the report's configuration and access sections count them.
    reports = [(await collectReview('monthly', { ...flags, format: 'markdown', failOn: 'never' }, io, version, { window, alsoCadences: ['config'] })).report];
    if (reports[0]!.interrupted) {
      throw new DbsecError('Interrupted: no compliance report was written, since a partial audit would misstate the period; run it again.', interruptedExit(io.interruption?.().reason));
    }
  }
  const markdown = formatComplianceReport({ month, generatedAt: now, version, reports });
  if (!flags.output) {
    io.stdout.write(markdown);
    return 0;
  }
  if (!(await writeOutput(flags.output, markdown, io))) return 0;
  if (!flags.quiet) io.stderr.write(`dbsec: wrote the ${month} compliance report to ${flags.output}\n`);
  return 0;
}

/** The period reported on: a calendar month (--month, default this month up to now) or [--since, --until]. */
function reportPeriod(flags: ComplianceFlags, now: Date): { label: string; window: TimeWindow } {
  if (flags.since !== undefined || flags.until !== undefined) {
    if (flags.month) throw new DbsecError('Give either --month or --since/--until, not both.');
    if (flags.since === undefined) throw new DbsecError('--until needs --since with report compliance: say where the period starts, or use --month.');
    const window = reviewWindow(flags, '30d', now);
    return { label: `${window.from.toISOString()} to ${window.to.toISOString()}`, window };
  }
  const month = flags.month ?? now.toISOString().slice(0, 7);
  return { label: month, window: monthWindow(month, now) };
}

async function readSavedReport(path: string): Promise<Report> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new DbsecError(`Cannot read the report ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : messageOf(err)}; check --from.`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new DbsecError(`${path} is not JSON: --from takes reports written with --format json.`);
  }
  const parsed = SavedReport.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new DbsecError(`${path} is not a dbsec JSON report (schemaVersion 1): ${issue.path.join('.') || 'top level'}: ${issue.message}.`);
  }
  return parsed.data as unknown as Report;
}
