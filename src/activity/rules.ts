import { isIP } from 'node:net';
import { z } from 'zod';
import { matchesAny } from '../globs.js';
import { durationMs } from '../time.js';
import { USE_CASES, type UseCase } from './use-cases.js';
import { SEVERITIES, severityRank, type Severity } from '../status.js';

export type AlertStatus = 'monitor' | 'investigate';
type RuleStatus = AlertStatus | 'log';

/** The seed's weighting: what a DAM must raise at once, what it should flag, what it only records. */
export const DEFAULT_RULES: Record<UseCase, RuleStatus> = {
  'drop-table': 'investigate',
  truncate: 'investigate',
  'function-tampering': 'investigate',
  'obfuscated-code': 'investigate',
  'privileged-operation': 'investigate',
  'user-created': 'investigate',
  'data-exfiltration': 'investigate',
  // counted: the level its count reaches (failedLogins), this the most it can reach
  'failed-login': 'investigate',
  'alter-table': 'monitor',
  'long-running': 'monitor',
  // judged per event too: an operator's terminate alerts, a timeout or a server shutdown does not
  'session-terminated': 'monitor',
  'statement-cancelled': 'log',
  'permission-denied': 'monitor',
  'user-dropped': 'monitor',
  'view-delete': 'monitor',
  'unexpected-client': 'monitor',
  'server-restart': 'monitor',
  'function-execution': 'log',
  'table-created': 'log',
  unparsed: 'log',
};

const HOURS = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$/;

/** An allow-list entry: an event matching every field given is recorded, not alerted. */
const AllowSchema = z
  .object({
    roles: z.array(z.string()).optional(),
    databases: z.array(z.string()).optional(),
    applications: z.array(z.string()).optional(),
    objects: z.array(z.string()).optional(),
    /** A UTC time-of-day window, e.g. "22:00-04:00" for a nightly maintenance window. */
    hours: z.string().regex(HOURS, 'expected HH:MM-HH:MM (UTC)').optional(),
  })
  .strict();

const RuleSchema = z.object({ status: z.enum(['investigate', 'monitor', 'log']).optional(), severity: z.enum(SEVERITIES).optional(), allow: z.array(AllowSchema).optional() }).strict();

export const ActivityConfigSchema = z
  .object({
    rules: z.partialRecord(z.enum(USE_CASES), RuleSchema).optional(),
    /** ALTER TABLE … DISABLE ROW LEVEL SECURITY, DISABLE TRIGGER, DROP CONSTRAINT, OWNER TO. */
    highRiskAlterTable: z.enum(['investigate', 'monitor']).optional(),
    sensitiveTables: z.array(z.string()).optional(),
    /** Roles of people (globs): what they do counts as a person's whatever client they use. */
    personRoles: z.array(z.string()).optional(),
    /** Tables holding the audit trail (globs, default *audit*): dropping, emptying or altering one is critical. */
    auditTables: z.array(z.string()).optional(),
    /** Alerts below this severity are recorded as events, not raised (--min-severity). */
    minSeverity: z.enum(SEVERITIES).optional(),
    /** Alerts of one login (and of the roles it became) closer than this form one incident. */
    incidentGap: z.string().refine((text) => (durationMs(text) ?? 0) > 0, { message: 'expected a duration such as 30m' }).optional(),
    views: z.array(z.string()).optional(),
    viewWrites: z.boolean().optional(),
    allowedLanguages: z.array(z.string()).optional(),
    /**
     * false: read every event of a CloudWatch log group with FilterLogEvents. By default, with a database configured
     * (so its views and large tables are known), Logs Insights drops plain reads and writes where the log lives.
     */
    insights: z.boolean().optional(),
    /** With pgaudit.log_rows: a read returning more rows than this is a bulk read (data-exfiltration). */
    bulkRows: z.number().int().nonnegative().optional(),
    /** A statement whose logged duration (log_min_duration_statement, log_duration) reaches this is long-running. */
    longRunning: z.string().refine((text) => (durationMs(text) ?? 0) > 0, { message: 'expected a duration such as 5m' }).optional(),
    /** Client addresses and subnets (CIDR) logins are expected from; a login from elsewhere is unexpected-client. */
    allowedClients: z
      .array(z.string().refine((entry) => isIP(entry.split('/')[0]!) !== 0 && (!entry.includes('/') || /^\d{1,3}$/.test(entry.split('/')[1]!)), { message: 'expected an IP address or a CIDR such as 10.0.0.0/8' }))
      .optional(),
    /** Failed logins per user and per client: the count past which failed-login alerts (daily.failed-auth's bounds). */
    failedLogins: z
      .object({ monitorAbove: z.number().int().nonnegative().default(5), investigateAbove: z.number().int().nonnegative().default(20) })
      .strict()
      .refine((b) => b.monitorAbove <= b.investigateAbove, { message: 'monitorAbove must not be above investigateAbove' })
      .optional(),
  })
  .strict();

export type ActivityConfig = z.infer<typeof ActivityConfigSchema>;
type Allow = z.infer<typeof AllowSchema>;

export interface RuleInput {
  useCase: UseCase;
  command: string;
  highRisk: boolean;
  user?: string;
  database?: string;
  application?: string;
  objects: string[];
  time?: Date;
  /** For a use case judged per event (failed-login's bounds, why a session ended): its level here; null: recorded only. */
  level?: AlertStatus | null;
  severity: Severity;
}

export interface Alert {
  status: AlertStatus;
  rule: string;
}

/** The alert an event raises under the config's rules, or null when it is only recorded. */
export function alertFor(event: RuleInput, config: ActivityConfig): Alert | null {
  const rule = config.rules?.[event.useCase];
  let status: RuleStatus = rule?.status ?? DEFAULT_RULES[event.useCase];
  let id = `activity.${event.useCase}`;
  if (event.useCase === 'alter-table' && event.highRisk && status !== 'log') {
    status = config.highRiskAlterTable ?? 'investigate';
    id = 'activity.alter-table.high-risk';
  }
  // A REVOKE takes access away, which restores a control far more often than it breaks one: recorded, not alerted.
  if (event.useCase === 'privileged-operation' && event.command === 'REVOKE' && rule?.status === undefined) status = 'log';
  // An ALTER ROLE that grants no power (a password, NOSUPERUSER, VALID UNTIL) is seen, not escalated, like a REVOKE.
  if (event.useCase === 'privileged-operation' && event.command === 'ALTER ROLE' && !event.highRisk && rule?.status === undefined) {
    status = 'monitor';
    id = 'activity.privileged-operation.role-change';
  }
  if (event.level !== undefined && status !== 'log') {
    if (event.level === null) return null;
    status = event.level;
  }
  if (status === 'log') return null;
  if (config.minSeverity && severityRank(event.severity) < severityRank(config.minSeverity)) return null;
  if ((rule?.allow ?? []).some((allow) => allowed(allow, event))) return null;
  return { status, rule: id };
}

function allowed(allow: Allow, event: RuleInput): boolean {
  if (allow.roles && !matchesAny(event.user, allow.roles)) return false;
  if (allow.databases && !matchesAny(event.database, allow.databases)) return false;
  if (allow.applications && !matchesAny(event.application, allow.applications)) return false;
  if (allow.objects && !(event.objects.length > 0 && event.objects.every((o) => matchesAny(o, allow.objects!)))) return false;
  if (allow.hours && !(event.time && inWindow(event.time, allow.hours))) return false;
  return true;
}

function inWindow(time: Date, window: string): boolean {
  const [, h1, m1, h2, m2] = HOURS.exec(window)!.map(Number) as number[];
  const minute = time.getUTCHours() * 60 + time.getUTCMinutes();
  const from = h1! * 60 + m1!;
  const to = h2! * 60 + m2!;
  return from <= to ? minute >= from && minute < to : minute >= from || minute < to;
}
