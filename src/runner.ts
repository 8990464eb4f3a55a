import pLimit from 'p-limit';
import type { Check } from './checks/types.js';
import { TargetContext, type CheckContext, type ContextDeps } from './context.js';
import { DbsecError, SourceMissing, messageOf } from './errors.js';
import { safeRow, safeText } from './redact.js';
import { sortFindings, summarize, type Finding, type Report } from './report.js';
import type { ResolvedCheckOptions } from './config.js';
import { describeTarget, type Target } from './target.js';
import type { TimeWindow } from './time.js';
import { worstStatus, type Status } from './status.js';

export interface Progress {
  start(total: number): void;
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
  now: Date;
  concurrency: number;
  deps: ContextDeps;
  progress?: Progress;
  clock?: () => Date;
  /** Called per target once its checks are done, before its sessions close (monthly --save-config uses it). */
  afterTarget?: (ctx: CheckContext) => Promise<void>;
}

/**
 * Runs every enabled check against every target, a bounded number at a time. A check never takes the run
 * down: a missing source becomes `skipped`, any failure `error`, each with one line.
 */
export async function runChecks(plan: RunPlan): Promise<Report> {
  const clock = plan.clock ?? (() => new Date());
  const startedAt = clock();
  const limit = pLimit(plan.concurrency);
  const contexts = plan.targets.map((target) => new TargetContext(target, plan.window, plan.now, plan.deps));
  const enabled = plan.checks.filter((check) => plan.options.get(check.meta.id)?.enabled !== false);
  plan.progress?.start(enabled.length * contexts.length);
  const runAll = (checks: ReadonlyArray<Check<any, any>>) =>
    Promise.all(
      contexts.flatMap((ctx) =>
        checks.map((check) =>
          limit(async () => {
            const findings = await runOne(check, plan.options.get(check.meta.id)?.options ?? {}, ctx);
            plan.progress?.done(check.meta.id, ctx.target.name, worstStatus(findings));
            ctx.priorFindings.push(...findings);
            return findings;
          }),
        ),
      ),
    );
  try {
    const results = [...(await runAll(enabled.filter((c) => !c.meta.rollup))), ...(await runAll(enabled.filter((c) => c.meta.rollup)))];
    await Promise.all(contexts.map((ctx) => plan.afterTarget?.(ctx)));
    const findings = sortFindings(results.flat());
    return {
      schemaVersion: 1,
      tool: { name: 'dbsec', version: plan.version },
      command: plan.command,
      startedAt: startedAt.toISOString(),
      finishedAt: clock().toISOString(),
      window: { from: plan.window.from.toISOString(), to: plan.window.to.toISOString() },
      targets: plan.targets.map(describeTarget),
      summary: summarize(findings),
      findings,
    };
  } finally {
    plan.progress?.stop();
    await Promise.all(contexts.map((ctx) => ctx.close()));
  }
}

async function runOne(check: Check<any, any>, options: Record<string, unknown>, ctx: TargetContext): Promise<Finding[]> {
  const base = {
    checkId: check.meta.id,
    target: ctx.target.name,
    remediation: check.meta.remediation,
    runbook: check.meta.runbook,
  };
  try {
    const data = await check.collect(ctx, options);
    const drafts = check.evaluate(data, options, { now: ctx.now });
    return drafts.map((draft) => ({
      ...base,
      status: draft.status,
      title: safeText(draft.title),
      summary: safeText(draft.summary),
      resource: safeText(draft.resource),
      ...(draft.value !== undefined ? { value: typeof draft.value === 'string' ? safeText(draft.value) : draft.value } : {}),
      ...(draft.expected !== undefined ? { expected: draft.expected } : {}),
      thresholds: options,
      evidence: (draft.evidence ?? []).map(safeRow),
    }));
  } catch (err) {
    const skipped = err instanceof SourceMissing;
    if (!skipped && !(err instanceof DbsecError) && process.env.DBSEC_DEBUG) console.error(err);
    return [
      {
        ...base,
        status: skipped ? 'skipped' : 'error',
        title: `${check.meta.title}: ${skipped ? 'skipped' : 'could not run'}`,
        summary: safeText(skipped ? `Skipped: ${messageOf(err)}.` : messageOf(err)),
        resource: null,
        evidence: [],
      },
    ];
  }
}
