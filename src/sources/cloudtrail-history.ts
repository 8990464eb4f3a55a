import { DbsecError } from '../errors.js';
import type { TimeWindow } from '../time.js';

/** LookupEvents reads CloudTrail's event history, which keeps 90 days of management events back from now. */
export const CLOUDTRAIL_HISTORY_DAYS = 90;

/**
 * The part of a window that LookupEvents can still see at `now`, and a sentence for the part it cannot; a window
 * entirely older than the history is an error (the trail's own S3 logs are the only record of it).
 */
export function cloudTrailReach(window: TimeWindow, now: Date): { window: TimeWindow; blind?: string } {
  const oldest = new Date(now.getTime() - CLOUDTRAIL_HISTORY_DAYS * 86_400_000);
  if (window.to <= oldest) {
    throw new DbsecError(
      `CloudTrail's event history keeps ${CLOUDTRAIL_HISTORY_DAYS} days (from ${oldest.toISOString()}), so LookupEvents cannot see a window ending ${window.to.toISOString()}: query the trail's S3 logs (Athena) for it.`,
    );
  }
  if (window.from >= oldest) return { window };
  return {
    window: { from: oldest, to: window.to },
    blind: `CloudTrail's event history keeps ${CLOUDTRAIL_HISTORY_DAYS} days: events before ${oldest.toISOString()} were not seen (the trail's S3 logs hold them).`,
  };
}
