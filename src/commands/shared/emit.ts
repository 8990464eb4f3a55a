import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DbsecError, messageOf } from '../../errors.js';
import { useColor, type Io } from '../../io.js';
import { FORMATTERS } from '../../reports/index.js';
import { MIN_WIDTH, totalsLine } from '../../reports/table.js';
import { EXIT } from '../../status.js';
import { compareReports, loadPreviousReport, reportExit } from '../../compare.js';
import type { Report } from '../../report.js';
import type { NotifyFlags, ReportFlags, TerminalFlags } from './flags.js';

/**
 * The one emit path: the chosen format to -o/--output (written atomically) or to stdout; with --output the terminal
 * still gets the table unless --quiet, and with --quiet one line when the exit code will not be 0, so cron, which
 * mails what a job prints, does not stay silent about a finding.
 */
export async function emitReport(given: Report, flags: Pick<ReportFlags, 'format' | 'output'> & Partial<Pick<ReportFlags, 'failOn' | 'verbose' | 'compare' | 'failOnNew'>> & TerminalFlags, io: Io): Promise<Report> {
  if (flags.failOnNew && !flags.compare) throw new DbsecError('--fail-on-new needs --compare PREVIOUS.json: the report of an earlier run to tell what is new.');
  const report = flags.compare ? compareReports(given, await loadPreviousReport(flags.compare), flags.compare) : given;
  const terminal = { color: useColor(io, flags.color), width: terminalWidth(io), verbose: flags.verbose };
  if (flags.output) {
    if (!(await writeOutput(flags.output, FORMATTERS[flags.format](report, { color: false }), io))) return report;
    if (!flags.quiet) io.stdout.write(FORMATTERS.table(report, terminal));
    else if (report.interrupted || reportExit(report, { failOn: flags.failOn ?? 'investigate', failOnNew: flags.failOnNew }) !== EXIT.clean) io.stdout.write(`${totalsLine(report)}; the report is in ${flags.output}\n`);
    return report;
  }
  io.stdout.write(FORMATTERS[flags.format](report, terminal));
  return report;
}

/** The terminal's width, else COLUMNS (a pipe, cron), else the table's default; never under MIN_WIDTH. */
function terminalWidth(io: Io): number | undefined {
  const columns = io.stdout.columns ?? Number(io.env.COLUMNS);
  return columns > 0 ? Math.max(MIN_WIDTH, columns) : undefined;
}

/**
 * A finished report to its -o file, atomically; when that fails it is not lost: it goes to stdout instead, with one
 * line on stderr, and the exit code says the file was not written. True when the file was written.
 */
export async function writeOutput(path: string, text: string, io: Io): Promise<boolean> {
  try {
    await writeAtomically(path, text, '-o/--output');
    return true;
  } catch (err) {
    io.stderr.write(`dbsec: ${messageOf(err)} The report follows on standard output.\n`);
    io.stdout.write(text);
    io.outputLost = true;
    return false;
  }
}

/**
 * Writes a file whole or not at all: into a temporary file beside it, then renamed over it, so a reader (or a full
 * disk) never sees half a report and the previous good one stays until the new one is complete.
 */
export async function writeAtomically(path: string, text: string, flag: string): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temporary, text, { flag: 'wx' });
    await rename(temporary, path);
  } catch (err) {
    await rm(temporary, { force: true }).catch(() => undefined);
    throw new DbsecError(`Cannot write ${path}: ${messageOf(err)}; check ${flag}.`);
  }
}

/** --notify: a failed notification is one line on stderr and changes neither the report nor the exit code. */
export async function notifyIfAsked(report: Report, flags: NotifyFlags, io: Io): Promise<void> {
  if (!flags.notify) return;
  const { notify } = await import('../../notify.js');
  const problem = await notify(report, { url: flags.notify, on: flags.notifyOn ?? 'investigate' });
  if (problem) io.stderr.write(`dbsec: ${problem}\n`);
}
