import { forMachines } from '../../reports/formats.js';
import { reportExit } from '../../compare.js';
import { CHECKS, checksFor } from '../../checks/index.js';
import { matchesAny, type Cadence, type Check } from '../../checks/types.js';
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
import type { NotifyFlags, ReportFlags, TargetFlags, TerminalFlags, WindowFlags } from '../shared/flags.js';
import { configOf, contextDeps, targetsOf } from '../shared/targets.js';
import { emitReport, notifyIfAsked } from '../shared/emit.js';

/** The flags every review command (daily, weekly, monthly) shares. */
export interface ReviewFlags extends TargetFlags, WindowFlags, ReportFlags, NotifyFlags, TerminalFlags {
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
  const targets = targetsOf(flags, config, io.env);
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
    deps: contextDeps(config, io),
    signal: io.interruption?.(),
    progress: showProgress ? await terminalProgress(io.stderr as NodeJS.WriteStream, `dbsec ${command}`) : undefined,
    afterTarget: actions.length > 0 ? (ctx) => runActions(actions, ctx, actionResults) : undefined,
  });
  return { report, actions: actionResults };
}

export async function runReview(command: Cadence, flags: ReviewFlags, io: Io, version: string, preset?: ConfigFile): Promise<number> {
  const { report, actions } = await collectReview(command, flags, io, version, { preset });
  const emitted = await emitReport(report, flags, io);
  await notifyIfAsked(emitted, flags, io);
  for (const result of actions) io.stderr.write(`dbsec: ${result.target}: ${safeText(result.message)}\n`);
  if (report.interrupted) return interruptedExit(io.interruption?.().reason);
  const code = reportExit(emitted, flags);
  return code === EXIT.clean && actions.some((r) => !r.ok) ? EXIT.checkErrors : code;
}

