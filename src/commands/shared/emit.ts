import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DbsecError, messageOf } from '../../errors.js';
import { useColor, type Io } from '../../io.js';
import { FORMATTERS } from '../../reports/index.js';
import { MIN_WIDTH, totalsLine } from '../../reports/table.js';
import { EXIT } from '../../status.js';
import { compareReports, loadPreviousReport, reportExit } from '../../compare.js';
import { applySuppressions } from '../../suppress.js';
import { configOf, contextDeps } from './targets.js';
import type { ConfigFile } from '../../config.js';
import { asffFindings, type AwsIdentity } from '../../reports/asff.js';
import { counted } from '../../plural.js';
import { loadState, prepareStateDir, stateFile } from '../../state.js';
import { formatJson } from '../../reports/json.js';
import type { Report } from '../../report.js';
import type { ConnectionFlags, NotifyFlags, ReportFlags, TerminalFlags } from './flags.js';

type EmitFlags = Pick<ReportFlags, 'format' | 'output'> & Partial<Pick<ReportFlags, 'failOn' | 'verbose' | 'compare' | 'state' | 'failOnNew' | 'minStatus' | 'securityHub'>> & TerminalFlags & Partial<Pick<ConnectionFlags, 'config' | 'region' | 'profile'>>;

/**
 * The one emit path. First the report is tracked: the config's suppressions are applied, and it is compared with the
 * previous report (--compare, or the one --state keeps). Then the chosen format goes to -o/--output (written
 * atomically) or to stdout; with --output the terminal still gets the table unless --quiet, and with --quiet one line
 * when the exit code will not be 0, so cron, which mails what a job prints, does not stay silent about a finding.
 * Then --security-hub sends it to Security Hub, and --state keeps it (a complete one only) for the next run.
 */
export async function emitReport(given: Report, flags: EmitFlags, io: Io, loaded?: ConfigFile): Promise<Report> {
  if (flags.failOnNew && !flags.compare && !flags.state) throw new DbsecError('--fail-on-new needs --compare PREVIOUS.json or --state DIR: an earlier report to tell what is new.');
  // A command that has read the config hands it in; for the others it is read here, so every command taking --config
  // honours its suppressions.
  const config = loaded ?? (await configOf(flags));
  const report = await tracked(applySuppressions(given, config.suppress ?? []), flags, io);
  const securityHub = flags.format === 'asff' || flags.securityHub ? await openSecurityHub(report, flags, config, io) : undefined;
  try {
    await write(report, flags, io, securityHub?.identity);
    if (flags.securityHub) await securityHub!.send(report);
  } finally {
    securityHub?.close();
  }
  if (flags.state && !report.interrupted) await keepState(flags.state, report, io);
  return report;
}

async function write(report: Report, flags: EmitFlags, io: Io, aws: AwsIdentity | undefined): Promise<void> {
  const terminal = { color: useColor(io, flags.color), width: terminalWidth(io), verbose: flags.verbose, minStatus: flags.minStatus, failOn: flags.failOn, aws };
  if (flags.output) {
    if (await writeOutput(flags.output, FORMATTERS[flags.format](report, { color: false, minStatus: flags.minStatus, failOn: flags.failOn, aws }), io)) {
      if (!flags.quiet) io.stdout.write(FORMATTERS.table(report, terminal));
      else if (report.interrupted || reportExit(report, { failOn: flags.failOn ?? 'investigate', failOnNew: flags.failOnNew }) !== EXIT.clean) io.stdout.write(`${totalsLine(report)}; the report is in ${flags.output}\n`);
    }
  } else {
    io.stdout.write(FORMATTERS[flags.format](report, terminal));
  }
}

/**
 * The AWS side of --format asff and --security-hub: the account from STS, then (for --security-hub) the import. A
 * refused finding or a failed call is one line on stderr and costs the run its clean exit; the report is written anyway.
 */
async function openSecurityHub(report: Report, flags: EmitFlags, config: ConfigFile, io: Io) {
  const { AwsClients } = await import('../../sources/aws.js');
  const region = flags.region ?? report.targets.find((t) => t.region)?.region ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION;
  const clients = new AwsClients({ region, profile: flags.profile, ...contextDeps(config, io).aws });
  const { awsIdentity, importFindings } = await import('../../export/security-hub.js');
  try {
    const identity = await awsIdentity(clients);
    const send = async (sent: Report) => {
      const findings = asffFindings(sent, identity);
      try {
        const { imported, failed } = await importFindings(clients, findings);
        if (!flags.quiet) io.stderr.write(`dbsec: Security Hub (${identity.region}, account ${identity.accountId}) took ${counted(imported, 'finding')}.\n`);
        if (failed.length > 0) {
          io.stderr.write(`dbsec: Security Hub refused ${failed.length} of ${findings.length} findings, the first ${failed[0]!.id}: ${failed[0]!.code} ${failed[0]!.message}.\n`);
          io.outputLost = true;
        }
      } catch (err) {
        io.stderr.write(`dbsec: ${messageOf(err)} The findings were not sent to Security Hub.\n`);
        io.outputLost = true;
      }
    };
    return { identity, send, close: () => clients.destroy() };
  } catch (err) {
    clients.destroy();
    throw err;
  }
}

/** The report compared with --compare's file, else with the one --state kept (none on a first run). */
async function tracked(report: Report, flags: EmitFlags, io: Io): Promise<Report> {
  if (flags.compare) return compareReports(report, await loadPreviousReport(flags.compare), flags.compare);
  if (!flags.state) return report;
  let previous: Awaited<ReturnType<typeof loadState>>;
  try {
    previous = await loadState(flags.state, report);
  } catch (err) {
    // A kept state is dbsec's own file: when it is damaged the run goes on, compared with nothing, and replaces it.
    io.stderr.write(`dbsec: ${messageOf(err)} This run is compared with nothing and its report replaces the state.\n`);
    return report;
  }
  if (previous) return compareReports(report, previous.report, previous.path);
  if (!flags.quiet) io.stderr.write(`dbsec: no earlier ${report.command} report in ${flags.state} to compare with; this one is kept there for the next run.\n`);
  return report;
}

async function keepState(dir: string, report: Report, io: Io): Promise<void> {
  try {
    await prepareStateDir(dir);
    await writeAtomically(stateFile(dir, report), formatJson(report), '--state');
  } catch (err) {
    io.stderr.write(`dbsec: ${messageOf(err)} The next run will compare with the previous state.\n`);
    io.outputLost = true;
  }
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
export async function writeAtomically(path: string, text: string, flag: string, mode = 0o666): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    // mode: before the umask, from the first byte (0600 for secrets: no moment when others may read them).
    await writeFile(temporary, text, { flag: 'wx', mode });
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
