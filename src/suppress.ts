import { z } from 'zod';
import { matchesAny } from './globs.js';
import { makeFinding } from './finding.js';
import { summarize, sortFindings, type Finding, type Report } from './report.js';

/** The problems a suppression can accept: an error says dbsec could not look, which no reason makes acceptable. */
const SUPPRESSIBLE = new Set(['monitor', 'investigate']);
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** An ISO date or time; a date alone lasts to the end of that day (UTC). */
function expiryMs(text: string): number {
  return DATE_ONLY.test(text) ? Date.parse(`${text}T00:00:00Z`) + 86_400_000 : Date.parse(text);
}

/**
 * One accepted finding in the config's `suppress` list: by fingerprint (the JSON report's, or its first 8+ hex
 * digits) or by check id glob, narrowed by resource and target globs; always with a reason.
 */
export const SuppressionSchema = z
  .object({
    // A fingerprint of digits alone (or 1e5…) reads as a YAML number, which has lost its digits by then: ask for quotes.
    fingerprint: z.string({ error: 'put the fingerprint in quotes (unquoted, YAML reads it as a number)' }).regex(/^[0-9a-f]{8,32}$/, 'expected the hex fingerprint of a finding (at least its first 8 digits)').optional(),
    check: z.string().min(1).optional(),
    resource: z.string().min(1).optional(),
    target: z.string().min(1).optional(),
    reason: z.string().min(1, 'say why the finding is accepted'),
    owner: z.string().min(1).optional(),
    expires: z.string().refine((text) => Number.isFinite(expiryMs(text)), 'expected a date (2026-12-31) or an ISO-8601 time').optional(),
  })
  .strict()
  .refine((rule) => rule.fingerprint !== undefined || rule.check !== undefined, 'a suppression needs a fingerprint or a check (id glob)');

export type Suppression = z.infer<typeof SuppressionSchema>;

function matches(rule: Suppression, finding: Finding): boolean {
  if (rule.fingerprint !== undefined && !finding.fingerprint.startsWith(rule.fingerprint)) return false;
  if (rule.check !== undefined && !matchesAny(finding.checkId, [rule.check])) return false;
  if (rule.resource !== undefined && !matchesAny(finding.resource ?? '', [rule.resource])) return false;
  return rule.target === undefined || matchesAny(finding.target, [rule.target]);
}

/** What a suppression says in a finding: enough for an auditor to see who accepted it, why and until when. */
function markOf(rule: Suppression): NonNullable<Finding['suppressed']> {
  return { reason: rule.reason, ...(rule.owner ? { owner: rule.owner } : {}), ...(rule.expires ? { expires: rule.expires } : {}) };
}

function describe(rule: Suppression): string {
  return rule.fingerprint ? `fingerprint ${rule.fingerprint}` : [`check ${rule.check}`, rule.resource && `resource ${rule.resource}`, rule.target && `target ${rule.target}`].filter(Boolean).join(', ');
}

/**
 * Marks each monitor or investigate finding that an unexpired suppression matches as suppressed (kept in the report,
 * left out of the exit code and notifications). A suppression past its date suppresses nothing and becomes a monitor
 * finding of its own on each target where it still matches a problem, so an accepted risk is looked at again.
 */
export function applySuppressions(report: Report, rules: readonly Suppression[]): Report {
  if (rules.length === 0) return report;
  const now = Date.parse(report.finishedAt);
  const expired = new Map<Suppression, Set<string>>();
  const findings = report.findings.map((finding): Finding => {
    if (!SUPPRESSIBLE.has(finding.status)) return finding;
    for (const rule of rules.filter((r) => matches(r, finding))) {
      if (rule.expires === undefined || expiryMs(rule.expires) > now) return { ...finding, suppressed: markOf(rule) };
      expired.set(rule, (expired.get(rule) ?? new Set()).add(finding.target));
    }
    return finding;
  });
  const reminders = [...expired].flatMap(([rule, targets]) =>
    [...targets].map((target) =>
      makeFinding(
        {
          status: 'monitor',
          resource: describe(rule),
          title: `A suppression expired on ${rule.expires}: its findings count again`,
          summary: `The suppression of ${describe(rule)}${rule.owner ? ` (owner ${rule.owner})` : ''} ran out on ${rule.expires}; it said: "${rule.reason}". The findings it matched are reported as problems again.`,
          identity: [rule.expires!],
        },
        { checkId: 'suppressions', target, remediation: 'Fix what the finding reports, or review the acceptance and give the suppression a new expires date (and reason) in the config.', runbook: 'Accepted risks are reviewed when they expire.' },
      ),
    ),
  );
  const all = sortFindings([...findings, ...reminders]);
  return { ...report, findings: all, summary: summarize(all) };
}
