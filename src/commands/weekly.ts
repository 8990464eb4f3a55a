import type { Io } from '../io.js';
import { runReview, type ReviewFlags } from './review.js';

/** dbsec weekly: the runbook's "Weekly Security Review" (the checks built so far: see `dbsec checks`). */
export function weekly(flags: ReviewFlags, io: Io, version: string): Promise<number> {
  return runReview('weekly', flags, io, version);
}
