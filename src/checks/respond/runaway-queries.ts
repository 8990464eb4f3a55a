import { z } from 'zod';
import { defineCheck, durationOption, type FindingDraft } from '../types.js';
import { activitySnapshot, visibilityProblem } from '../../sources/pg-activity.js';
import { DbsecError } from '../../errors.js';
import { durationMs } from '../../time.js';
import { safeText } from '../../redact.js';

export default defineCheck({
  meta: {
    id: 'respond.runaway-queries',
    title: 'Active and runaway queries with their wait events',
    area: 'alert-response',
    cadence: 'respond',
    sources: ['postgres'],
    sees: 'present',
    runbook: 'Security Alert Response §3: High CPU Alert',
    remediation: 'Cancel a runaway query (SELECT pg_cancel_backend(pid)) or terminate its session (dbsec respond high-cpu --pid PID --execute); then find why it ran away (missing index, a changed plan, an attack).',
  },
  options: z.object({ runawayAfter: durationOption('5m'), queryChars: z.number().int().min(40).default(200) }),
  collect: (ctx) => activitySnapshot(ctx),
  evaluate(snapshot, options): FindingDraft[] {
    const problem = visibilityProblem(snapshot);
    if (problem) throw new DbsecError(problem);
    const active = snapshot.backends.filter((b) => b.state === 'active').sort((a, b) => (b.querySeconds ?? 0) - (a.querySeconds ?? 0));
    const limit = durationMs(options.runawayAfter)! / 1000;
    const row = (b: (typeof active)[number]) => ({ pid: b.pid, user: b.user, client: b.client, seconds: Math.round(b.querySeconds ?? 0), waitEvent: b.waitEvent, query: safeText(b.query ?? '', options.queryChars) });
    const runaway = active.filter((b) => (b.querySeconds ?? 0) > limit);
    if (runaway.length > 0) {
      return runaway.map((b) => ({ status: 'investigate', resource: `pid ${b.pid}`, title: `Query of ${b.user ?? '?'} running ${Math.round(b.querySeconds ?? 0)} s (pid ${b.pid})`, summary: safeText(b.query ?? '', options.queryChars), value: Math.round(b.querySeconds ?? 0), expected: `under ${options.runawayAfter}`, evidence: [row(b)] }));
    }
    return [{ status: 'ok', resource: 'pg_stat_activity', title: `${active.length} active queries, none over ${options.runawayAfter}`, summary: 'The load is not one runaway query.', value: active.length, evidence: active.slice(0, 10).map(row) }];
  },
});
