import { counted } from '../../plural.js';
import { z } from 'zod';
import { groupBy } from '../../collections.js';
import { defineCheck, type FindingDraft } from '../types.js';
import { activitySnapshot, visibilityProblem } from '../../sources/pg-activity.js';
import { DbsecError } from '../../errors.js';
import { formatDuration } from '../../time.js';

export default defineCheck({
  meta: {
    id: 'respond.connection-sources',
    title: 'Where the connections come from, and leak signs',
    area: 'alert-response',
    cadence: 'respond',
    sources: ['postgres'],
    sees: 'present',
    runbook: 'Security Alert Response §1: High Connection Count Alert, steps 1–3',
    remediation:
      'If one address or role floods the server, terminate its sessions (dbsec respond high-connections --client-addr ADDR --execute) and revoke its security group rule; if an application leaks connections, restart it and fix its pool.',
  },
  options: z.object({
    /** One client and role holding more than this share of all sessions is suspicious. */
    dominantShare: z.number().min(0).max(1).default(0.5),
    minSessions: z.number().int().min(1).default(10),
    /** An application whose oldest session is older than this while holding many sessions may leak them. */
    leakAgeSeconds: z.number().int().min(1).default(3600),
  }),
  collect: (ctx) => activitySnapshot(ctx),
  evaluate(snapshot, options): FindingDraft[] {
    const problem = visibilityProblem(snapshot);
    if (problem) throw new DbsecError(problem);
    const sources = groupBy(snapshot.backends, (b) => `${b.client ?? 'local'} ${b.user ?? '?'}`);
    const total = snapshot.backends.length;
    const rows = [...sources].map(([key, list]) => ({ client: key.split(' ')[0]!, user: key.split(' ')[1]!, sessions: list.length, share: total ? list.length / total : 0 })).sort((a, b) => b.sessions - a.sessions);
    const findings: FindingDraft[] = [];
    const top = rows[0];
    if (top && top.sessions >= options.minSessions && top.share > options.dominantShare) {
      findings.push({
        status: 'investigate',
        resource: `${top.client} ${top.user}`,
        title: `${top.sessions} of ${total} sessions come from ${top.client} as ${top.user}`,
        summary: `One source holds ${Math.round(top.share * 100)} % of the connections: a flood, a runaway job or a leak.`,
        value: top.sessions,
        expected: `at most ${Math.round(options.dominantShare * 100)} % from one source`,
        evidence: rows.slice(0, 10).map((r) => ({ ...r, share: `${Math.round(r.share * 100)} %` })),
      });
    }
    const apps = groupBy(snapshot.backends, (b) => `${b.user ?? '?'}\u0000${b.application ?? ''}`);
    for (const [key, list] of apps) {
      const oldest = Math.max(...list.map((b) => b.backendSeconds ?? 0));
      if (list.length >= options.minSessions && oldest > options.leakAgeSeconds) {
        const [user, application] = key.split('\u0000');
        findings.push({ status: 'monitor', resource: `${user} ${application}`, title: `${application || '(no application name)'} as ${user} holds ${list.length} sessions, the oldest ${formatDuration(oldest)} old`, summary: 'Many long-lived sessions from one application: a connection leak or an oversized pool.', value: list.length });
      }
    }
    if (findings.length > 0) return findings;
    return [{ status: 'ok', resource: 'pg_stat_activity', title: `${counted(total, 'session')}, no source dominates`, summary: 'No client address and role holds most connections, and no application shows leak signs.', value: total, evidence: rows.slice(0, 10).map((r) => ({ ...r, share: `${Math.round(r.share * 100)} %` })) }];
  },
});
