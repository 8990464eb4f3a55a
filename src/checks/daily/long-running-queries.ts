import { z } from 'zod';
import { defineCheck, durationOption, type FindingDraft } from '../types.js';
import { activitySnapshot, visibilityProblem, type ActivitySnapshot, type BackendRow } from '../../sources/pg-activity.js';
import { DbsecError } from '../../errors.js';
import { durationMs, formatDuration } from '../../time.js';
import { safeText } from '../../redact.js';

const IDLE_IN_TRANSACTION = /^idle in transaction/;

export default defineCheck({
  meta: {
    id: 'daily.long-running-queries',
    title: 'Long-running queries and idle transactions',
    area: 'connections',
    cadence: 'daily',
    sources: ['postgres'],
    sees: 'present',
    runbook: 'Daily Security Checks §3: Check for long-running queries',
    remediation:
      'Ask the owner what the query does; if it is runaway or unknown, cancel it with SELECT pg_cancel_backend(pid) or end it with pg_terminate_backend(pid). Set idle_in_transaction_session_timeout for applications that leave transactions open.',
  },
  options: z.object({
    minDuration: durationOption('5m'),
    idleInTransaction: durationOption('5m'),
    queryChars: z.number().int().min(20).max(10_000).default(200),
  }),
  collect: (ctx) => activitySnapshot(ctx),
  evaluate(snapshot: ActivitySnapshot, options): FindingDraft[] {
    const problem = visibilityProblem(snapshot);
    if (problem) throw new DbsecError(problem);
    const runningLimit = durationMs(options.minDuration)! / 1000;
    const idleLimit = durationMs(options.idleInTransaction)! / 1000;
    const findings: FindingDraft[] = [];
    for (const backend of snapshot.backends) {
      if (!backend.state || backend.state === 'idle') continue;
      const idle = IDLE_IN_TRANSACTION.test(backend.state);
      const seconds = idle ? backend.stateSeconds : backend.querySeconds;
      const limit = idle ? idleLimit : runningLimit;
      if (seconds === null || seconds <= limit) continue;
      findings.push(finding(backend, seconds, idle, idle ? options.idleInTransaction : options.minDuration, options.queryChars));
    }
    findings.sort((a, b) => Number(b.value) - Number(a.value));
    if (findings.length > 0) return findings;
    return [
      {
        status: 'ok',
        resource: 'pg_stat_activity',
        title: 'No long-running query or idle transaction',
        summary: `No query ran longer than ${options.minDuration}; no transaction sat idle longer than ${options.idleInTransaction}.`,
        value: 0,
      },
    ];
  },
});

function finding(backend: BackendRow, seconds: number, idle: boolean, limit: string, queryChars: number): FindingDraft {
  const duration = formatDuration(seconds);
  return {
    status: 'investigate',
    resource: `pid ${backend.pid}`,
    title: idle ? `Transaction idle for ${duration} (pid ${backend.pid})` : `Query running for ${duration} (pid ${backend.pid})`,
    summary: `${backend.user ?? '?'} from ${backend.client ?? 'local socket'} via ${backend.application || 'no application name'}: ${safeText(backend.query ?? '', 80)}`,
    value: Math.round(seconds),
    expected: `at most ${limit}`,
    evidence: [
      {
        pid: backend.pid,
        user: backend.user,
        application: backend.application,
        client: backend.client ?? 'local',
        duration,
        state: backend.state,
        wait: backend.waitEvent,
        query: safeText(backend.query ?? '', queryChars),
      },
    ],
  };
}
