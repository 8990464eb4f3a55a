/** What the human formats (table, Markdown) show of a report: --min-status and how a suppression reads. */
import type { Finding } from '../report.js';
import type { Status } from '../status.js';

export const MIN_STATUSES = ['investigate', 'monitor', 'ok'] as const;
export type MinStatus = (typeof MIN_STATUSES)[number];

const SHOWN_AT: Record<Exclude<MinStatus, 'ok'>, readonly Status[]> = { investigate: ['investigate', 'error'], monitor: ['investigate', 'monitor', 'error'] };

/** Whether --min-status lets a finding through: a suppressed one counts as accepted, shown only with everything. */
export function shownAt(minStatus: MinStatus | undefined, finding: Finding): boolean {
  return minStatus === undefined || minStatus === 'ok' || (!finding.suppressed && SHOWN_AT[minStatus].includes(finding.status));
}

/** "reason (owner, until date)": who accepted a suppressed finding, why, and for how long. */
export function acceptance({ reason, owner, expires }: NonNullable<Finding['suppressed']>): string {
  const by = [owner, expires && `until ${expires}`].filter(Boolean).join(', ');
  return by ? `${reason} (${by})` : reason;
}

