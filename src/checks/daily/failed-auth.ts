import { counted } from '../../plural.js';
import { z } from 'zod';
import { boundsOptions, defineCheck, type FindingDraft } from '../types.js';
import { AUTH_FAILURE_PHRASES, authFailureOf } from '../../sources/logs/auth-failures.js';
import { levelAbove } from '../../status.js';
import { queriesForRegion, unlessRefused, type InsightsRow } from '../../sources/logs/insights.js';
import { RDS_LOG_LINE_PREFIX } from '../../sources/logs/prefix.js';
import { skippedInput } from '../../sources/logs/pipeline.js';

/** The failures of one user from one address. */
interface Attempts {
  user: string;
  client: string;
  count: number;
  firstSeen?: Date;
  lastSeen?: Date;
}

interface FailedAuthData {
  origin: string;
  attempts: Attempts[];
  /** What was read, for "No authentication failure …": "among 812 log lines read", or how Insights counted. */
  read: string;
  /** What the read left out, as a sentence (or ''). */
  skipped: string;
  queries?: string[];
}

type Tally = {
  by: 'user' | 'client';
  name: string;
  count: number;
  firstSeen?: Date;
  lastSeen?: Date;
};

export default defineCheck({
  meta: {
    id: 'daily.failed-auth',
    title: 'Failed connection attempts',
    area: 'authentication',
    cadence: 'daily',
    sources: ['logs'],
    sees: 'window',
    logPhrases: AUTH_FAILURE_PHRASES,
    runbook: 'Daily Security Checks §2: Review Failed Connection Attempts',
    remediation:
      'Look for a pattern: one user from many addresses (password spraying) or many users from one address (brute force). Block the address in the security group or pg_hba.conf, rotate the targeted credentials, and run `dbsec respond failed-auth`.',
  },
  options: z.object({
    ...boundsOptions(5, 20),
    top: z.number().int().min(1).max(100).default(10),
    /** false: read an RDS instance's failures from its events (FilterLogEvents) rather than count them with Logs Insights. */
    insights: z.boolean().default(true),
  }),
  async collect(ctx, options): Promise<FailedAuthData> {
    // An RDS log group has RDS's fixed prefix, which the query parses: counted where the log lives.
    const rdsPrefix = !ctx.target.logLinePrefix || ctx.target.logLinePrefix === RDS_LOG_LINE_PREFIX;
    const useInsights = options.insights && rdsPrefix && ctx.target.rdsInstance && ctx.target.logFiles.length === 0 && ctx.target.logGroup;
    const tried = useInsights ? await unlessRefused(() => queriesForRegion(ctx, 'failed-auth', [{ query: FAILED_LOGINS_QUERY, window: ctx.window }])) : { refused: '' };
    if (tried.answer && !tried.answer.full[0]) {
      return { origin: ctx.target.logGroup!, attempts: tried.answer.rows[0]!.map(attemptsOf), read: 'in the window (counted by CloudWatch Logs Insights; --verbose shows the query)', skipped: '', queries: tried.answer.queries };
    }
    const scan = await ctx.scanLogs(AUTH_FAILURE_PHRASES);
    const byPair = new Map<string, Attempts>();
    for await (const record of scan.records) {
      const failure = authFailureOf(record);
      if (!failure) continue;
      const key = JSON.stringify([failure.user, failure.client]);
      const attempts = byPair.get(key) ?? byPair.set(key, { user: failure.user, client: failure.client, count: 0 }).get(key)!;
      merge(attempts, { count: 1, firstSeen: failure.time, lastSeen: failure.time });
    }
    return { origin: scan.origin, attempts: [...byPair.values()], read: `among ${scan.stats.lines} log lines read`, skipped: `${skippedInput(scan.stats)}${tried.refused}` };
  },
  evaluate(data: FailedAuthData, options): FindingDraft[] {
    const count = data.attempts.reduce((sum, a) => sum + a.count, 0);
    const evidence = [...tally(data.attempts, 'user', options.top), ...tally(data.attempts, 'client', options.top)];
    const users = new Set(data.attempts.map((a) => a.user)).size;
    const clients = new Set(data.attempts.map((a) => a.client)).size;
    return [
      {
        status: levelAbove(count, options),
        resource: data.origin,
        title: `${count} failed connection attempt${count === 1 ? '' : 's'}`,
        summary: count ? `${counted(count, 'failure')} for ${counted(users, 'user')} from ${counted(clients, 'address', 'addresses')}.${data.skipped}` : `No authentication failure ${data.read}.${data.skipped}`,
        value: count,
        expected: `at most ${options.monitorAbove}`,
        evidence,
        ...(data.queries ? { queries: data.queries } : {}),
      },
    ];
  },
});

/**
 * Failed logins (FATAL) by log group, user and address, with the first and last time, parsed from RDS's prefix
 * (%t:%r:%u@%d:[%p]:) and message: "… authentication failed for user "u"" takes the address from the prefix, "no
 * pg_hba.conf entry for host "a", user "u"" names both.
 */
const FAILED_LOGINS_QUERY = [
  'fields @log',
  '| filter @message like /:FATAL: +(\\w+ authentication failed for user|no pg_hba\\.conf entry for)/',
  '| parse @message /^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d \\w+:(?<client>[^(:]*)[^:]*:[^:]*:\\[\\d*\\]:FATAL: +(\\w+ authentication failed for user "(?<user>[^"]*)"|no pg_hba\\.conf entry for (replication connection from )?host "(?<host>[^"]*)", user "(?<hbaUser>[^"]*)")/',
  '| stats count(*) as n, min(@timestamp) as first, max(@timestamp) as last by @log, user, hbaUser, client, host',
].join('\n');

/** One row of the query as the failures of one user from one address. */
function attemptsOf(row: InsightsRow): Attempts {
  const time = (stamp: string | undefined) => (stamp ? new Date(`${stamp.replace(' ', 'T')}Z`) : undefined);
  return { user: row.user || row.hbaUser || '?', client: row.host || row.client || 'unknown', count: Number(row.n), firstSeen: time(row.first), lastSeen: time(row.last) };
}

function merge(into: Omit<Attempts, 'user' | 'client'>, more: Omit<Attempts, 'user' | 'client'>): void {
  into.count += more.count;
  if (more.firstSeen && (!into.firstSeen || more.firstSeen < into.firstSeen)) into.firstSeen = more.firstSeen;
  if (more.lastSeen && (!into.lastSeen || more.lastSeen > into.lastSeen)) into.lastSeen = more.lastSeen;
}

function tally(attempts: readonly Attempts[], by: 'user' | 'client', top: number): Tally[] {
  const rows = new Map<string, Tally>();
  for (const attempt of attempts) {
    const name = attempt[by];
    const row = rows.get(name) ?? rows.set(name, { by, name, count: 0 }).get(name)!;
    merge(row, attempt);
  }
  return [...rows.values()].sort((a, b) => b.count - a.count || a.name.localeCompare(b.name)).slice(0, top);
}
