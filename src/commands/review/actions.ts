import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CheckContext } from '../../context.js';
import { messageOf } from '../../errors.js';

/** What a review may do beyond reading, per target, after its checks ran: each one says what it did. */
export interface ActionResult {
  target: string;
  ok: boolean;
  message: string;
}

export interface ActionFlags {
  resetStats?: boolean;
  execute?: boolean;
  saveConfig?: string;
}

type Action = (ctx: CheckContext) => Promise<string>;

/** The actions the flags ask for, in the order they run (none: the runner needs no hook). */
export function reviewActions(flags: ActionFlags, now: Date): Array<{ name: string; run: Action }> {
  const actions: Array<{ name: string; run: Action }> = [];
  if (flags.saveConfig) actions.push({ name: 'save-config', run: (ctx) => saveInstanceConfig(ctx, flags.saveConfig!, now) });
  if (flags.resetStats) actions.push({ name: 'reset-stats', run: (ctx) => resetStatementStats(ctx, Boolean(flags.execute)) });
  return actions;
}

export async function runActions(actions: ReturnType<typeof reviewActions>, ctx: CheckContext, results: ActionResult[]): Promise<void> {
  for (const action of actions) {
    try {
      results.push({ target: ctx.target.name, ok: true, message: await action.run(ctx) });
    } catch (err) {
      results.push({ target: ctx.target.name, ok: false, message: `${action.name} failed: ${messageOf(err).replace(/\.$/, '')}.` });
    }
  }
}

/** The runbook's rds-config-YYYYMMDD.json: DescribeDBInstances as the audit saw it (named per instance). */
async function saveInstanceConfig(ctx: CheckContext, dir: string, now: Date): Promise<string> {
  if (!ctx.target.rdsInstance) return 'no RDS instance, so no configuration was saved.';
  const instance = await ctx.rdsInstance();
  await mkdir(dir, { recursive: true });
  const path = join(dir, `rds-config-${ctx.target.rdsInstance}-${now.toISOString().slice(0, 10).replace(/-/g, '')}.json`);
  await writeFile(path, `${JSON.stringify({ DBInstances: [instance] }, null, 2)}\n`);
  return `saved the instance configuration to ${path}.`;
}

/** The runbook resets pg_stat_statements after the weekly review; only with --execute. */
async function resetStatementStats(ctx: CheckContext, execute: boolean): Promise<string> {
  if (!execute) return 'dry run: would run SELECT pg_stat_statements_reset() after this review; add --execute to reset the statistics.';
  const pg = await ctx.pg();
  try {
    await pg.query('SELECT pg_stat_statements_reset()');
  } catch (err) {
    throw new Error(`${messageOf(err).replace(/\.$/, '')} (it needs superuser, or GRANT EXECUTE ON FUNCTION pg_stat_statements_reset TO the dbsec role)`);
  }
  return 'reset pg_stat_statements.';
}
