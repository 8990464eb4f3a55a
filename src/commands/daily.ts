import type { Io } from '../io.js';
import { runReview, type ReviewFlags } from './review.js';

/** dbsec daily: the runbook's "Daily Security Checks". */
export function daily(flags: ReviewFlags, io: Io, version: string): Promise<number> {
  return runReview('daily', flags, io, version);
}
