import { writeFile } from 'node:fs/promises';
import { CHECKS, checksFor } from '../checks/index.js';
import type { Cadence } from '../checks/types.js';
import { loadConfigFile, resolveCheckOptions, type ConfigFile } from '../config.js';
import { DbsecError, messageOf } from '../errors.js';
import { useColor, type Io } from '../io.js';
import { terminalProgress } from '../progress.js';
import { FORMATTERS, type Format } from '../reports/index.js';
import { runChecks } from '../runner.js';
import { EXIT, exitCode, type FailOn } from '../status.js';
import { reviewActions, runActions, type ActionResult } from './review-actions.js';
import { safeText } from '../redact.js';
import { resolveTarget, type Target, type TargetInput } from '../target.js';
import { durationMs, parseDuration, reviewWindow, type TimeWindow } from '../time.js';
import type { Report } from '../report.js';
import type { ContextDeps } from '../context.js';
import { pinnedClock } from '../clock.js';
import type { LogFormat } from '../sources/logs/record.js';

/** The flags every review command (daily, weekly, monthly) shares. */
export interface ReviewFlags {
  since?: string;
  until?: string;
  format: Format;
  output?: string;
  failOn: FailOn;
  config?: string;
  quiet?: boolean;
  color?: boolean;
  databaseUrl?: string;
  rdsInstance?: string;
  region?: string;
  profile?: string;
  logGroup?: string;
  logFile?: string[];
  logFormat?: LogFormat | 'auto';
  logLinePrefix?: string;
  concurrency?: string;
  /** weekly: reset pg_stat_statements after the review (a dry run without --execute). */
  resetStats?: boolean;
  execute?: boolean;
  /** monthly: save DescribeDBInstances to DIR/rds-config-ID-YYYYMMDD.json. */
  saveConfig?: string;
  notify?: string;
  notifyOn?: 'monitor' | 'investigate';
}

export const DEFAULT_SINCE: Record<Cadence, string> = { daily: '24h', weekly: '7d', monthly: '30d', respond: '1h' };

const TARGET_FLAGS = ['databaseUrl', 'rdsInstance', 'logGroup', 'logFile'] as const;

/** The flags that name what to review; every command that reviews a target takes them. */
export type TargetFlags = Pick<ReviewFlags, 'databaseUrl' | 'rdsInstance' | 'region' | 'profile' | 'logGroup' | 'logFile' | 'logFormat' | 'logLinePrefix'>;

/** Flags naming a database or instance make one target; otherwise the config's targets; otherwise libpq's env. */
export function targetsOf(flags: TargetFlags, config: ConfigFile, env: NodeJS.ProcessEnv): Target[] {
  const fromFlags: TargetInput = {
    databaseUrl: flags.databaseUrl,
    rdsInstance: flags.rdsInstance,
    region: flags.region,
    profile: flags.profile,
    logGroup: flags.logGroup,
    logFiles: flags.logFile,
    logFormat: flags.logFormat,
    logLinePrefix: flags.logLinePrefix,
  };
  if (TARGET_FLAGS.some((flag) => flags[flag] !== undefined) || !config.targets?.length) return [resolveTarget(fromFlags, env)];
  return config.targets.map((target, index) =>
    resolveTarget({ ...target, region: target.region ?? flags.region, profile: target.profile ?? flags.profile, logFormat: target.logFormat ?? flags.logFormat, logLinePrefix: target.logLinePrefix ?? flags.logLinePrefix }, env, index),
  );
}

/** Session limits from the config and the AWS retry strategy from the caller: what every target context needs. */
export function contextDeps(config: ConfigFile, io: Io): ContextDeps {
  return {
    limits: {
      statementTimeoutMs: parseDuration(config.statementTimeout ?? '30s', 'statementTimeout'),
      lockTimeoutMs: parseDuration(config.lockTimeout ?? '5s', 'lockTimeout'),
      connectTimeoutMs: durationMs(config.connectTimeout ?? '10s')!,
    },
    aws: { retryStrategy: io.awsRetryStrategy },
  };
}

export interface Review {
  report: Report;
  actions: ActionResult[];
}

/** Runs a cadence's checks over the flags' targets; `window` overrides --since (report compliance uses a month). */
export async function collectReview(command: Cadence, flags: ReviewFlags, io: Io, version: string, overrides: { preset?: ConfigFile; window?: TimeWindow; checkIds?: string[]; label?: string } = {}): Promise<Review> {
  const config = overrides.preset ?? (flags.config ? await loadConfigFile(flags.config) : {});
  const checks = checksFor(command).filter((check) => !overrides.checkIds || overrides.checkIds.includes(check.meta.id));
  const options = resolveCheckOptions(CHECKS, config, flags.config ?? 'config');
  const targets = targetsOf(flags, config, io.env);
  const now = io.now();
  const window = overrides.window ?? reviewWindow(flags, DEFAULT_SINCE[command], now);
  const concurrency = flags.concurrency ? Number(flags.concurrency) : config.concurrency ?? 4;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 32) {
    throw new DbsecError(`--concurrency "${flags.concurrency}" must be a whole number from 1 to 32.`);
  }
  const showProgress = !flags.quiet && flags.format !== 'json' && Boolean(io.stderr.isTTY);
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
    progress: showProgress ? await terminalProgress(io.stderr as NodeJS.WriteStream, `dbsec ${command}`) : undefined,
    afterTarget: actions.length > 0 ? (ctx) => runActions(actions, ctx, actionResults) : undefined,
  });
  return { report, actions: actionResults };
}

/** The one target a command acts on; `several` is the sentence for a config that lists more than one. */
export async function singleTarget(flags: TargetFlags & { config?: string }, io: Io, several: string): Promise<{ target: Target; config: ConfigFile }> {
  const config = flags.config ? await loadConfigFile(flags.config) : {};
  const targets = targetsOf(flags, config, io.env);
  if (targets.length !== 1) throw new DbsecError(several);
  return { target: targets[0]!, config };
}

export async function runReview(command: Cadence, flags: ReviewFlags, io: Io, version: string, preset?: ConfigFile): Promise<number> {
  const { report, actions } = await collectReview(command, flags, io, version, { preset });
  await emitReport(report, flags, io);
  await notifyIfAsked(report, flags, io);
  for (const result of actions) io.stderr.write(`dbsec: ${result.target}: ${safeText(result.message)}\n`);
  const code = exitCode(report.findings, flags.failOn);
  return code === EXIT.clean && actions.some((r) => !r.ok) ? EXIT.checkErrors : code;
}

/** --notify: a failed notification is one line on stderr and changes neither the report nor the exit code. */
export async function notifyIfAsked(report: Report, flags: Pick<ReviewFlags, 'notify' | 'notifyOn'>, io: Io): Promise<void> {
  if (!flags.notify) return;
  const { notify } = await import('../notify.js');
  const problem = await notify(report, { url: flags.notify, on: flags.notifyOn ?? 'investigate' });
  if (problem) io.stderr.write(`dbsec: ${problem}\n`);
}

/** --output gets the chosen format; the terminal still gets the table unless --quiet. */
export async function emitReport(report: Report, flags: Pick<ReviewFlags, 'format' | 'output' | 'quiet' | 'color'>, io: Io): Promise<void> {
  if (flags.output) {
    try {
      await writeFile(flags.output, FORMATTERS[flags.format](report, { color: false }));
    } catch (err) {
      throw new DbsecError(`Cannot write the report to ${flags.output}: ${messageOf(err)}; check --output.`);
    }
    if (!flags.quiet) io.stdout.write(FORMATTERS.table(report, { color: useColor(io, flags.color) }));
    return;
  }
  io.stdout.write(FORMATTERS[flags.format](report, { color: useColor(io, flags.color) }));
}
