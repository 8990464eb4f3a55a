import { createHash } from 'node:crypto';
import type { Level, Severity, Status } from './status.js';
import { safeRow, safeText } from './redact.js';
import type { Finding } from './report.js';

/** What a check (or a command) says about one thing; makeFinding adds the rest. */
export interface FindingDraft {
  status: Level;
  /** The exact resource: alarm name, pid, event id, log group… */
  resource: string;
  title: string;
  summary: string;
  severity?: Severity;
  value?: number | string;
  expected?: string;
  evidence?: Array<Record<string, unknown>>;
  /**
   * The facts that make this finding the same problem in another run when the resource alone does not (a grantee and
   * a privilege, a statement's text): never wording, counts or times that change from run to run.
   */
  identity?: ReadonlyArray<string | number>;
  /** What to do about this finding when it is more precise than the check's remediation (a CloudTrail act's fix). */
  remediation?: string;
  /** The Logs Insights queries its counts came from. */
  queries?: string[];
}

/** Who says it: the check (or command) id, the target, and what to do about it. */
export interface FindingSource {
  checkId: string;
  target: string;
  remediation: string;
  runbook: string;
}

/**
 * The only Finding constructor: every string that came from a database, a log or AWS is redacted and made safe
 * for a terminal, and the finding gets its fingerprint.
 */
export function makeFinding(draft: Omit<FindingDraft, 'status' | 'resource'> & { status: Status; resource: string | null }, source: FindingSource, thresholds?: Record<string, unknown>): Finding {
  const resource = draft.resource === null ? null : safeText(draft.resource);
  return {
    ...source,
    ...(draft.remediation ? { remediation: safeText(draft.remediation) } : {}),
    status: draft.status,
    title: safeText(draft.title),
    summary: safeText(draft.summary),
    resource,
    fingerprint: fingerprintOf(source.checkId, source.target, resource, draft.identity ?? []),
    ...(draft.severity ? { severity: draft.severity } : {}),
    ...(draft.value !== undefined ? { value: typeof draft.value === 'string' ? safeText(draft.value) : draft.value } : {}),
    ...(draft.expected !== undefined ? { expected: safeText(draft.expected) } : {}),
    ...(thresholds ? { thresholds } : {}),
    ...(draft.queries?.length ? { queries: draft.queries } : {}),
    evidence: (draft.evidence ?? []).map(safeRow),
  };
}

/**
 * A stable id for "the same problem": SHA-256 over the check id, the target, the resource and the identifying facts
 * (not the wording, not the status), so a finding keeps its fingerprint from run to run and between formats.
 */
export function fingerprintOf(checkId: string, target: string, resource: string | null, identity: ReadonlyArray<string | number>): string {
  return createHash('sha256').update(JSON.stringify([checkId, target, resource, ...identity])).digest('hex').slice(0, 32);
}
