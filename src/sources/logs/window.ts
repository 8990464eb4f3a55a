import type { TimeWindow } from '../../time.js';
import type { LogRecord, LogStats } from './record.js';

/** What decides which records a reader keeps: a LogPlan's window, run time, own role and follow. */
export interface WindowRule {
  window?: TimeWindow;
  now: Date;
  ownRole?: string;
  follow?: unknown;
}

/** Clock skew a record may show before it counts as stamped in the future. */
const FUTURE_SLACK_MS = 60_000;

/** The application name dbsec's sessions carry (src/sources/postgres.ts). */
const OWN_APPLICATION = 'dbsec';

/**
 * Records in the plan's window, less dbsec's own: a session named dbsec counts as dbsec's only under the role dbsec
 * connects as, so a session that merely calls itself dbsec is never hidden.
 */
export async function* inWindow(batches: AsyncIterable<LogRecord[]>, plan: WindowRule, stats: LogStats): AsyncGenerator<LogRecord[]> {
  const { ownRole } = plan;
  const theirs = (batch: LogRecord[]) => {
    if (ownRole === undefined) return batch;
    const kept = batch.filter((record) => record.application !== OWN_APPLICATION || record.user !== ownRole);
    stats.own += batch.length - kept.length;
    return kept;
  };
  if (plan.follow) {
    for await (const batch of batches) yield theirs(batch);
    return;
  }
  const future = plan.now.getTime() + FUTURE_SLACK_MS;
  const from = plan.window?.from.getTime() ?? -Infinity;
  const to = plan.window?.to.getTime() ?? Infinity;
  for await (const batch of batches) {
    const kept = batch.filter((record) => {
      if (!record.time) return true;
      const time = record.time.getTime();
      if (time > future) stats.future++;
      if (time >= from && time <= to) return true;
      stats.outOfWindow++;
      return false;
    });
    if (kept.length > 0) yield theirs(kept);
  }
}
