import { findingSeverity, type Finding, type Report } from '../report.js';
import type { Severity } from '../status.js';
import { evidenceColumns } from './evidence.js';

/**
 * SARIF 2.1.0 (fixtures/schemas/sarif-schema-2.1.0.json), as GitHub code scanning reads it: one rule per check, with
 * its remediation as help and its runbook step; one result per problem (monitor, investigate), with the finding's
 * fingerprint as partialFingerprints so an alert keeps its identity from run to run; suppressed findings carry a SARIF
 * suppression, and --compare/--state's marks become baselineState. Errors and skips are the tool's notifications, not
 * results: they say what dbsec could not look at. A database has no source file: each result points at a path named
 * for its target (dbsec/TARGET), and at the resource as a logical location.
 */
export function formatSarif(report: Report): string {
  const checkIds = [...new Set(report.findings.map((f) => f.checkId))].sort();
  const problems = report.findings.filter((f) => f.status === 'investigate' || f.status === 'monitor');
  const rules = checkIds.map((id) => ruleOf(id, report.findings.filter((f) => f.checkId === id)));
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'dbsec', version: report.tool.version, semanticVersion: report.tool.version, rules } },
        automationDetails: { id: `dbsec/${report.command}/${report.targets.map((t) => t.name).join('+')}/` },
        invocations: [
          {
            executionSuccessful: !report.interrupted && report.summary.error === 0,
            startTimeUtc: report.startedAt,
            endTimeUtc: report.finishedAt,
            toolExecutionNotifications: report.findings.filter((f) => f.status === 'error' || f.status === 'skipped').map(notificationOf),
            properties: { window: report.window, summary: report.summary, ...(report.interrupted ? { interrupted: true } : {}) },
          },
        ],
        results: problems.map((finding) => resultOf(finding, checkIds.indexOf(finding.checkId))),
      },
    ],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}

/** GitHub's scale for security-severity: over 9 critical, 7 high, 4 medium, above 0 low. */
const SECURITY_SEVERITY: Record<Severity, number> = { critical: 9.5, high: 8, medium: 5.5, low: 3, info: 1 };

function securitySeverity(finding: Finding): number {
  return SECURITY_SEVERITY[findingSeverity(finding)];
}

function ruleOf(checkId: string, findings: readonly Finding[]) {
  const [first] = findings as [Finding];
  const problems = findings.filter((f) => f.status === 'investigate' || f.status === 'monitor');
  return {
    id: checkId,
    name: checkId.replace(/(^|[.-])(\w)/g, (_, _sep: string, ch: string) => ch.toUpperCase()),
    shortDescription: { text: `dbsec check ${checkId}` },
    fullDescription: { text: `${first.runbook}.` },
    help: { text: first.remediation, markdown: `**Runbook:** ${first.runbook}\n\n**Remediation:** ${first.remediation}` },
    defaultConfiguration: { level: problems.some((f) => f.status === 'investigate') ? 'error' : 'warning' },
    properties: {
      tags: ['security', 'database', 'postgresql'],
      runbook: first.runbook,
      ...(problems.length > 0 ? { 'security-severity': Math.max(...problems.map(securitySeverity)).toFixed(1) } : {}),
    },
  };
}

function resultOf(finding: Finding, ruleIndex: number) {
  const where = finding.resource ? `${finding.target}/${finding.resource}` : finding.target;
  return {
    ruleId: finding.checkId,
    ruleIndex,
    level: finding.status === 'investigate' ? 'error' : 'warning',
    message: { text: finding.summary && finding.summary !== finding.title ? `${finding.title}. ${finding.summary}` : finding.title },
    locations: [
      {
        physicalLocation: { artifactLocation: { uri: `dbsec/${encodeURIComponent(finding.target)}` } },
        logicalLocations: [{ name: finding.resource ?? finding.target, fullyQualifiedName: where, kind: 'resource' }],
      },
    ],
    partialFingerprints: { 'dbsecFingerprint/v1': finding.fingerprint },
    ...(finding.change ? { baselineState: finding.change === 'changed' ? 'updated' : finding.change } : {}),
    ...(finding.suppressed ? { suppressions: [{ kind: 'external', status: 'accepted', justification: finding.suppressed.reason }] } : {}),
    properties: {
      status: finding.status,
      target: finding.target,
      ...(finding.severity ? { severity: finding.severity } : {}),
      'security-severity': securitySeverity(finding).toFixed(1),
      ...(finding.value !== undefined ? { value: finding.value } : {}),
      ...(finding.expected !== undefined ? { expected: finding.expected } : {}),
      ...(finding.suppressed ? { suppressed: finding.suppressed } : {}),
      ...(finding.evidence.length > 0 ? { evidenceColumns: evidenceColumns(finding.evidence), evidence: finding.evidence.slice(0, EVIDENCE_IN_SARIF) } : {}),
    },
  };
}

/** Evidence rows per result: code scanning shows a message, not tables; the JSON report keeps them all. */
const EVIDENCE_IN_SARIF = 50;

function notificationOf(finding: Finding) {
  return {
    level: finding.status === 'error' ? 'error' : 'note',
    message: { text: `${finding.checkId} on ${finding.target}: ${finding.summary || finding.title}` },
    descriptor: { id: finding.checkId },
  };
}
