import pLimit from 'p-limit';
import { whenAborted } from './abort.js';
import { remediationFor, type Check } from './checks/types.js';
import { closeContexts, TargetContext, type CheckContext, type ContextDeps } from './context.js';
import { DbsecError, SourceMissing, messageOf } from './errors.js';
import { makeFinding } from './finding.js';
import { AwsPool } from './sources/aws.js';
import { makeReport, type Finding, type Report } from './report.js';
import type { ResolvedCheckOptions } from './config.js';
import { describeTarget, type Target } from './target.js';
import type { TimeWindow } from './time.js';
import type { Clock } from './clock.js';
import { worstStatus, type Status } from './status.js';

export interface Progress {
  /** The checks to run in all, over this many targets. */
  start(checks: number, targets: number): void;
  done(checkId: string, target: string, status: Status): void;
  stop(): void;
}

export interface RunPlan {
  command: string;
  version: string;
  checks: ReadonlyArray<Check<any, any>>;
  options: Map<string, ResolvedCheckOptions>;
  targets: Target[];
  window: TimeWindow;
  /** The run's one clock: the start, the end and every check's "now" come from it. */
  clock: Clock;
  concurrency: number;
  deps: ContextDeps;
  progress?: Progress;
  /** Ctrl-C or SIGTERM: checks not started are skipped, running ones stop, and the report is marked interrupted. */
  signal?: AbortSignal;
  /** Called per target once its checks are done, before its sessions close (monthly --save-config uses it). */
  afterTarget?: (ctx: CheckContext) => Promise<void>;
}

/**
 * Runs every enabled check against every target, a bounded number at a time. A check never takes the run
 * down: a missing source becomes `skipped`, any failure `error`, each with one line.
 */
export async function runChecks(plan: RunPlan): Promise<Report> {
  const { clock } = plan;
  const startedAt = clock();
  const limit = pLimit(plan.concurrency);
  const enabled = plan.checks.filter((check) => plan.options.get(check.meta.id)?.enabled !== false);
  const logPhrases = [...new Set(enabled.flatMap((check) => check.meta.logPhrases ?? []))];
  // Targets in one account and region share their AWS clients: one AssumeRole, one rate limiter, answers asked once.
  const awsPool = plan.deps.awsPool ?? new AwsPool();
  const contexts = plan.targets.map((target) => new TargetContext(target, plan.window, startedAt, { ...plan.deps, logPhrases, awsPool, targets: plan.targets, signal: plan.signal }));
  plan.progress?.start(enabled.length * contexts.length, contexts.length);
  const interrupted = whenAborted(plan.signal);
  void interrupted.then(() => Promise.all(contexts.map((ctx) => ctx.cancel())));
  const runAll = (checks: ReadonlyArray<Check<any, any>>) =>
    Promise.all(
      contexts.flatMap((ctx) =>
        checks.map((check) =>
          limit(async () => {
            if (plan.signal?.aborted) return [interruptedFinding(check, ctx, 'skipped')];
            const findings = await Promise.race([
              runOne(check, plan.options.get(check.meta.id)?.options ?? {}, ctx),
              interrupted.then(() => [interruptedFinding(check, ctx, 'error')]),
            ]);
            plan.progress?.done(check.meta.id, ctx.target.name, worstStatus(findings));
            ctx.priorFindings.push(...findings);
            return findings;
          }),
        ),
      ),
    );
  try {
    const results = [...(await runAll(enabled.filter((c) => !c.meta.rollup))), ...(await runAll(enabled.filter((c) => c.meta.rollup)))];
    // Actions (a stats reset, a saved config) follow a complete review only.
    if (!plan.signal?.aborted) await Promise.all(contexts.map((ctx) => plan.afterTarget?.(ctx)));
    const report = makeReport({ version: plan.version, command: plan.command, startedAt, finishedAt: clock(), window: plan.window, targets: plan.targets.map(describeTarget) }, results.flat());
    return plan.signal?.aborted ? { ...report, interrupted: true } : report;
  } finally {
    plan.progress?.stop();
    await closeContexts(contexts, plan.signal);
    if (!plan.deps.awsPool) awsPool.destroy();
  }
}

/** Past this, a window's end is not "now": a check of present state says it cannot look back to it. */
const PRESENT_SLACK_MS = 60_000;

/** For checks that see only the present (pg_stat_activity, DescribeDBInstances…) when the window ends in the past. */
export function presentStateNote(window: TimeWindow, now: Date): string {
  if (now.getTime() - window.to.getTime() <= PRESENT_SLACK_MS) return '';
  return `(State at run time, ${now.toISOString()}: this check sees only the present, not the window ending ${window.to.toISOString()}.)`;
}

function interruptedFinding(check: Check<any, any>, ctx: TargetContext, status: 'skipped' | 'error'): Finding {
  return makeFinding(
    {
      status,
      title: `${check.meta.title}: interrupted`,
      summary: status === 'skipped' ? 'Not run: dbsec was interrupted before this check started.' : 'Stopped: dbsec was interrupted while this check ran, so its result is unknown.',
      resource: null,
    },
    findingBase(check, ctx),
  );
}

function findingBase(check: Check<any, any>, ctx: TargetContext) {
  return { checkId: check.meta.id, target: ctx.target.name, remediation: remediationFor(check.meta.remediation, ctx.target), runbook: check.meta.runbook };
}

async function runOne(check: Check<any, any>, options: Record<string, unknown>, ctx: TargetContext): Promise<Finding[]> {
  const base = findingBase(check, ctx);
  try {
    const data = await check.collect(ctx, options);
    const note = check.meta.sees === 'present' ? presentStateNote(ctx.window, ctx.now) : '';
    return check.evaluate(data, options, { now: ctx.now }).map((draft) => makeFinding(note ? { ...draft, summary: `${draft.summary} ${note}` } : draft, base, options));
  } catch (err) {
    const skipped = err instanceof SourceMissing;
    if (!skipped && !(err instanceof DbsecError) && process.env.DBSEC_DEBUG) console.error(err);
    return [
      makeFinding(
        {
          status: skipped ? 'skipped' : 'error',
          title: `${check.meta.title}: ${skipped ? 'skipped' : 'could not run'}`,
          summary: skipped ? `Skipped: ${messageOf(err)}.` : messageOf(err),
          resource: null,
        },
        base,
      ),
    ];
  }
}
