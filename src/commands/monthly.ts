import type { Io } from '../io.js';
import { runReview, type ReviewFlags } from './review.js';

/** dbsec monthly: the runbook's "Monthly Security Audit" (the checks built so far: see `dbsec checks`). */
export function monthly(flags: ReviewFlags, io: Io, version: string): Promise<number> {
  return runReview('monthly', flags, io, version);
}
