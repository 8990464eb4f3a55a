import { counted } from '../../plural.js';
import { z } from 'zod';
import { boundsOptions, defineCheck, type FindingDraft } from '../types.js';
import { AUTH_FAILURE_PHRASES, authFailureOf, type AuthFailure } from '../../sources/logs/auth-failures.js';
import { levelAbove } from '../../status.js';
import type { LogStats } from '../../sources/logs/record.js';
import { skippedInput } from '../../sources/logs/pipeline.js';

interface FailedAuthData {
  origin: string;
  failures: AuthFailure[];
  stats: LogStats;
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
  options: z.object({ ...boundsOptions(5, 20), top: z.number().int().min(1).max(100).default(10) }),
  async collect(ctx): Promise<FailedAuthData> {
    const scan = await ctx.scanLogs(AUTH_FAILURE_PHRASES);
    const failures: AuthFailure[] = [];
    for await (const record of scan.records) {
      const failure = authFailureOf(record);
      if (failure) failures.push(failure);
    }
    return { origin: scan.origin, failures, stats: scan.stats };
  },
  evaluate(data: FailedAuthData, options): FindingDraft[] {
    const count = data.failures.length;
    const evidence = [...tally(data.failures, 'user', options.top), ...tally(data.failures, 'client', options.top)];
    const unparsed = skippedInput(data.stats);
    const users = new Set(data.failures.map((f) => f.user)).size;
    const clients = new Set(data.failures.map((f) => f.client)).size;
    return [
      {
        status: levelAbove(count, options),
        resource: data.origin,
        title: `${count} failed connection attempt${count === 1 ? '' : 's'}`,
        summary: count
          ? `${counted(count, 'failure')} for ${counted(users, 'user')} from ${counted(clients, 'address', 'addresses')}.${unparsed}`
          : `No authentication failure among ${data.stats.lines} log lines read.${unparsed}`,
        value: count,
        expected: `at most ${options.monitorAbove}`,
        evidence,
      },
    ];
  },
});

function tally(failures: readonly AuthFailure[], by: 'user' | 'client', top: number): Tally[] {
  const rows = new Map<string, Tally>();
  for (const failure of failures) {
    const name = failure[by];
    const row = rows.get(name) ?? { by, name, count: 0 };
    row.count++;
    if (failure.time) {
      if (!row.firstSeen || failure.time < row.firstSeen) row.firstSeen = failure.time;
      if (!row.lastSeen || failure.time > row.lastSeen) row.lastSeen = failure.time;
    }
    rows.set(name, row);
  }
  return [...rows.values()].sort((a, b) => b.count - a.count || a.name.localeCompare(b.name)).slice(0, top);
}
