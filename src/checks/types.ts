import { z } from 'zod';
import type { FindingDraft } from '../finding.js';
import type { CheckContext } from '../context.js';
import { durationMs } from '../time.js';

export type Cadence = 'daily' | 'weekly' | 'monthly' | 'respond' | 'config';
/** What a check reads; the runner names the flag that enables a source when it is missing. */
export type SourceKind = 'postgres' | 'logs' | 'cloudwatch' | 'cloudtrail' | 'rds' | 'ec2' | 'kms' | 'config';

export interface CheckMeta {
  id: string;
  title: string;
  area: string;
  cadence: Cadence;
  sources: SourceKind[];
  /**
   * What time the check sees: `window` reads what happened in [since, until] (logs, CloudTrail, metrics, snapshots);
   * `present` reads the state at run time (pg_stat_activity, catalogs, DescribeDBInstances, security groups), which
   * no --until can move into the past.
   */
  sees: 'window' | 'present';
  /** The runbook step this check automates, e.g. "Daily Security Checks §2". */
  runbook: string;
  /** What to do; a check whose fix differs on RDS (parameter groups, the AWS CLI) and self-hosted gives both. */
  remediation: Remediation;
  /** Runs after every other check of the run on the same target and reads their findings (ctx.priorFindings). */
  rollup?: boolean;
  /** The phrases it reads from the log of the run's window: one read per run and target serves every such check. */
  logPhrases?: readonly string[];
  /** For checks that are data (a YAML baseline's items): the file that defines them. */
  definedIn?: string;
}

export type { FindingDraft } from '../finding.js';

export type Remediation = string | { rds: string; selfHosted: string };

/** The remediation that fits the target: an RDS instance's, or a self-hosted server's. */
export function remediationFor(remediation: Remediation, target: { rdsInstance?: string | null }): string {
  return typeof remediation === 'string' ? remediation : target.rdsInstance ? remediation.rds : remediation.selfHosted;
}

export interface Check<Options extends Record<string, unknown> = Record<string, unknown>, Data = unknown> {
  meta: CheckMeta;
  /** Thresholds and allow-lists: every field has the runbook's default. */
  options: z.ZodType<Options, any>;
  collect(ctx: CheckContext, options: Options): Promise<Data>;
  evaluate(data: Data, options: Options, ctx: { now: Date }): FindingDraft[];
}

/** Identity helper: lets TypeScript infer Options from the schema and Data from collect. */
export function defineCheck<Schema extends z.ZodObject<any>, Data>(check: {
  meta: CheckMeta;
  options: Schema;
  collect(ctx: CheckContext, options: z.output<Schema>): Promise<Data>;
  evaluate(data: Data, options: z.output<Schema>, ctx: { now: Date }): FindingDraft[];
}): Check<z.output<Schema>, Data> {
  return check as unknown as Check<z.output<Schema>, Data>;
}

/** A duration option written as in the runbook ("5m", "1h"); checks read it with durationMs. */
export function durationOption(defaultValue: string) {
  return z
    .string()
    .refine((text) => durationMs(text) !== undefined, { message: 'expected a duration such as 90s, 5m or 1h' })
    .default(defaultValue);
}

/** Monitor/investigate bounds on a count or a percentage. */
export function boundsOptions(monitorAbove: number, investigateAbove: number) {
  return {
    monitorAbove: z.number().nonnegative().default(monitorAbove),
    investigateAbove: z.number().nonnegative().default(investigateAbove),
  };
}
