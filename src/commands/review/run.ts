import { forMachines } from '../../reports/formats.js';
import { reportExit } from '../../compare.js';
import { CHECKS, checksFor } from '../../checks/index.js';
import { type Cadence, type Check } from '../../checks/types.js';
import { matchesAny } from '../../globs.js';
import { resolveCheckOptions, type ConfigFile } from '../../config.js';
import { DbsecError } from '../../errors.js';
import type { Io } from '../../io.js';
import { terminalProgress } from '../../progress.js';
import { runChecks } from '../../runner.js';
import { EXIT, interruptedExit } from '../../status.js';
import { reviewActions, runActions, type ActionResult } from './actions.js';
import { safeText } from '../../redact.js';
import { reviewWindow, type TimeWindow } from '../../time.js';
import type { Report } from '../../report.js';
import { pinnedClock } from '../../clock.js';
import type { DiscoveryFlags, NotifyFlags, ReportFlags, TargetFlags, TerminalFlags, WindowFlags } from '../shared/flags.js';
import { configOf, contextDeps, targetsOf } from '../shared/targets.js';
import { AwsPool } from '../../sources/aws.js';
import type { ContextDeps } from '../../context.js';
import type { Discovered } from '../../discovery.js';
import { resolveTarget } from '../../target.js';
import { makeFinding } from '../../finding.js';
import { sortFindings, summarize } from '../../report.js';
import { emitReport, notifyIfAsked } from '../shared/emit.js';

/** The flags every review command (daily, weekly, monthly) shares. */
export interface ReviewFlags extends TargetFlags, DiscoveryFlags, WindowFlags, ReportFlags, NotifyFlags, TerminalFlags {
  concurrency?: string;
  /** Comma-separated check id globs: run only these, or all but these. */
  only?: string;
  exclude?: string;
  /** weekly: reset pg_stat_statements after the review (a dry run without --execute). */
  resetStats?: boolean;
  execute?: boolean;
  /** monthly: save DescribeDBInstances to DIR/rds-config-ID-YYYYMMDD.json. */
  saveConfig?: string;
}

export const DEFAULT_SINCE: Record<Cadence, string> = { daily: '24h', weekly: '7d', monthly: '30d', respond: '1h', config: '24h' };

export interface Review {
  report: Report;
  /** The config the review ran with (the preset, or --config's). */
  config: ConfigFile;
  actions: ActionResult[];
}

/** The checks --only and --exclude leave; none at all is a usage error, not an empty (and so clean) report. */
function selectChecks(checks: Check[], flags: Pick<ReviewFlags, 'only' | 'exclude'>, command: string): Check[] {
  const globs = (list: string | undefined) => (list ?? '').split(',').map((glob) => glob.trim()).filter(Boolean);
  const only = globs(flags.only);
  const exclude = globs(flags.exclude);
  const chosen = checks.filter((check) => (only.length === 0 || matchesAny(check.meta.id, only)) && !matchesAny(check.meta.id, exclude));
  if (chosen.length === 0) throw new DbsecError(`--only/--exclude leave none of the ${command} checks to run; \`dbsec checks\` lists their ids.`);
  return chosen;
}

/** Runs a cadence's checks over the flags' targets; `window` overrides --since (report compliance uses a month). */
export async function collectReview(command: Cadence, flags: ReviewFlags, io: Io, version: string, overrides: { preset?: ConfigFile; window?: TimeWindow; checkIds?: string[]; label?: string; alsoCadences?: Cadence[] } = {}): Promise<Review> {
  const config = overrides.preset ?? (await configOf(flags));
  const checks = selectChecks([command, ...(overrides.alsoCadences ?? [])].flatMap(checksFor).filter((check) => !overrides.checkIds || overrides.checkIds.includes(check.meta.id)), flags, command);
  const options = resolveCheckOptions(CHECKS, config, flags.config ?? 'config');
  // One set of AWS clients per account and region for the whole run, discovery included.
  const deps = { ...contextDeps(config, io), awsPool: new AwsPool() };
  try {
    const fleet = flags.allInstances ? await fleetOf(flags, config, io, deps) : undefined;
    const targets = fleet?.targets ?? targetsOf(flags, config, io.env);
    const now = io.now();
    const window = overrides.window ?? reviewWindow(flags, DEFAULT_SINCE[command], now);
    const concurrency = flags.concurrency ? Number(flags.concurrency) : config.concurrency ?? 4;
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 32) {
      throw new DbsecError(`--concurrency "${flags.concurrency}" must be a whole number from 1 to 32.`);
    }
    const showProgress = !flags.quiet && !forMachines(flags.format) && Boolean(io.stderr.isTTY);
    const actions = reviewActions(flags, now);
    const actionResults: ActionResult[] = [];
    const report = await runChecks({
      command: overrides.label ?? command,
      version,
      checks,
      options,
      targets,
      window,
      clock: pinnedClock(now, io.now),
      concurrency,
      deps,
      signal: io.interruption?.(),
      progress: showProgress ? await terminalProgress(io.stderr as NodeJS.WriteStream, `dbsec ${command}`) : undefined,
      afterTarget: actions.length > 0 ? (ctx) => runActions(actions, ctx, actionResults) : undefined,
    });
    return { report: fleet ? withFailedRegions(report, fleet.failures) : report, config, actions: actionResults };
  } finally {
    deps.awsPool.destroy();
  }
}

/**
 * --all-instances: the instances discovery finds become the targets, each reached through discovery.databaseUrl when
 * the config gives one. Finding none is a usage error (exit 2), never an empty and so clean report.
 */
async function fleetOf(flags: ReviewFlags, config: ConfigFile, io: Io, deps: ContextDeps & { awsPool: AwsPool }) {
  if (flags.rdsInstance || flags.databaseUrl || flags.logFile || flags.logGroup) {
    throw new DbsecError('--all-instances finds its own targets: drop --rds-instance, --database-url, --log-file and --log-group.');
  }
  const { discoverInstances, enabledRegions, parseTag } = await import('../../discovery.js');
  const settings = { profile: flags.profile, ...deps.aws };
  const home = flags.region ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION;
  const listed = flags.regions?.split(',').map((r) => r.trim()).filter(Boolean) ?? config.discovery?.regions ?? (home ? [home] : []);
  if (listed.length === 0) throw new DbsecError('--all-instances needs regions: pass --regions us-east-1,eu-west-1 (or all), --region, or set AWS_REGION.');
  const regions = listed.includes('all') ? await enabledRegions({ ...settings, region: home ?? 'us-east-1' }) : listed;
  const tags = flags.tag ? Object.fromEntries(flags.tag.map(parseTag)) : config.discovery?.tags;
  const names = flags.name ?? config.discovery?.names;
  const found = await discoverInstances({ ...config.discovery, regions, tags, names }, settings, deps.awsPool);
  if (found.targets.length === 0) {
    const why = found.failures.length ? ` (${found.failures.map((f) => `${f.region}: ${f.message}`).join('; ')})` : '';
    throw new DbsecError(`--all-instances found no RDS for PostgreSQL or Aurora PostgreSQL instance in ${regions.join(', ')}${tags ? ` tagged ${Object.entries(tags).map(([k, v]) => `${k}=${v}`).join(', ')}` : ''}${names ? ` named ${names.join(' or ')}` : ''}${why}.`);
  }
  return { targets: found.targets.map((input, index) => resolveTarget({ ...input, profile: flags.profile, logFormat: flags.logFormat, logLinePrefix: flags.logLinePrefix }, io.env, index)), failures: found.failures };
}

/** A region discovery could not read is an error of its own in the report: its instances were not reviewed. */
function withFailedRegions(report: Report, failures: Discovered['failures']): Report {
  if (failures.length === 0) return report;
  const errors = failures.map(({ region, message, remediation }) =>
    makeFinding(
      { status: 'error', resource: region, title: `Instances in ${region} could not be listed`, summary: `${message} Its instances were not reviewed.` },
      { checkId: 'discovery', target: region, remediation: remediation ?? 'Allow rds:DescribeDBInstances in that region, or leave it out of --regions.', runbook: 'Fleet discovery (--all-instances)' },
    ),
  );
  const findings = sortFindings([...report.findings, ...errors]);
  return { ...report, findings, summary: summarize(findings) };
}

export async function runReview(command: Cadence, flags: ReviewFlags, io: Io, version: string, preset?: ConfigFile): Promise<number> {
  const { report, config, actions } = await collectReview(command, flags, io, version, { preset });
  const emitted = await emitReport(report, flags, io, config);
  await notifyIfAsked(emitted, flags, io);
  for (const result of actions) io.stderr.write(`dbsec: ${result.target}: ${safeText(result.message)}\n`);
  if (report.interrupted) return interruptedExit(io.interruption?.().reason);
  const code = reportExit(emitted, flags);
  return code === EXIT.clean && actions.some((r) => !r.ok) ? EXIT.checkErrors : code;
}

