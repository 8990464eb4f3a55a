import { z } from 'zod';
import { defineCheck, type FindingDraft } from '../types.js';
import { activitySnapshot, visibilityProblem, type ActivitySnapshot } from '../../sources/pg-activity.js';
import { DbsecError } from '../../errors.js';
import { levelAt } from '../../status.js';

export default defineCheck({
  meta: {
    id: 'daily.connections',
    title: 'Current database connections',
    area: 'connections',
    cadence: 'daily',
    sources: ['postgres'],
    sees: 'present',
    runbook: 'Daily Security Checks §3: Check Current Database Connections',
    remediation: {
      rds: 'Find the application or client behind the connections (dbsec respond high-connections), fix connection leaks or add a pooler (RDS Proxy); require SSL for every client with rds.force_ssl = 1 in the parameter group.',
      selfHosted: "Find the application or client behind the connections (dbsec respond high-connections), fix connection leaks or add a pooler (PgBouncer); require SSL for every TCP client: 'hostssl' instead of 'host' in pg_hba.conf.",
    },
  },
  options: z.object({
    monitorAtPercent: z.number().min(0).max(100).default(80),
    investigateAtPercent: z.number().min(0).max(100).default(95),
    /** Sessions over TCP without SSL are a finding unless the client address is listed here. */
    allowNonSslClients: z.array(z.string()).default([]),
  }),
  collect: (ctx) => activitySnapshot(ctx),
  evaluate(snapshot: ActivitySnapshot, options): FindingDraft[] {
    const problem = visibilityProblem(snapshot);
    if (problem) throw new DbsecError(problem);
    const total = snapshot.backends.length;
    const percent = snapshot.maxConnections > 0 ? Math.round((total / snapshot.maxConnections) * 1000) / 10 : 0;
    const byUser = new Map<string, { user: string; total: number; active: number; idleInTransaction: number }>();
    for (const backend of snapshot.backends) {
      const user = backend.user ?? '(unknown)';
      const row = byUser.get(user) ?? { user, total: 0, active: 0, idleInTransaction: 0 };
      row.total++;
      if (backend.state && backend.state !== 'idle') row.active++;
      if (backend.state?.startsWith('idle in transaction')) row.idleInTransaction++;
      byUser.set(user, row);
    }
    const evidence = [...byUser.values()].sort((a, b) => b.active - a.active || b.total - a.total);
    const usage: FindingDraft = {
      status: levelAt(percent, { monitorAt: options.monitorAtPercent, investigateAt: options.investigateAtPercent }),
      resource: 'pg_stat_activity',
      title: `${total} of ${snapshot.maxConnections} connections in use (${percent}%)`,
      summary: `${snapshot.backends.filter((b) => b.state && b.state !== 'idle').length} non-idle sessions across ${byUser.size} users.`,
      value: percent,
      expected: `below ${options.monitorAtPercent}% of max_connections`,
      evidence,
    };
    const nonSsl = snapshot.backends.filter(
      (b) => b.client !== null && b.ssl === false && !options.allowNonSslClients.includes(b.client),
    );
    const ssl: FindingDraft = nonSsl.length
      ? {
          status: 'monitor',
          resource: 'pg_stat_ssl',
          title: `${nonSsl.length} TCP session${nonSsl.length === 1 ? '' : 's'} without SSL`,
          summary: `Clients ${[...new Set(nonSsl.map((b) => b.client))].join(', ')} connect without encryption.`,
          value: nonSsl.length,
          expected: 'every TCP session uses SSL',
          evidence: nonSsl.map((b) => ({ pid: b.pid, user: b.user, client: b.client, application: b.application })),
        }
      : {
          status: 'ok',
          resource: 'pg_stat_ssl',
          title: 'Every TCP session uses SSL',
          summary: `${snapshot.backends.filter((b) => b.client !== null).length} TCP sessions checked.`,
          value: 0,
        };
    return [usage, ssl];
  },
});
