import { findingSeverity, isDetection, type Finding, type Report } from '../report.js';
import type { Severity } from '../status.js';

/** The OCSF release the events follow (fixtures/schemas/ocsf-1.2.0-findings.schema.json is compiled from it). */
export const OCSF_VERSION = '1.2.0';
const COMPLIANCE_FINDING = 2003;
const DETECTION_FINDING = 2004;
const CREATE = 1;

/**
 * OCSF JSON lines for Security Lake and SIEMs, one event per finding that states a result: a check's finding is a
 * Compliance Finding (class 2003) whose compliance status is Pass, Warning or Fail; an activity alert, incident or a
 * CloudTrail change is a Detection Finding (class 2004). The finding's fingerprint is finding_info.uid, so a SIEM
 * correlates the same problem across runs; a suppressed finding has status Suppressed, an ok one Resolved. Errors and
 * skips say nothing about the resource and are left out.
 */
export function formatOcsf(report: Report): string {
  const time = Date.parse(report.finishedAt);
  return report.findings
    .filter((f) => f.status !== 'error' && f.status !== 'skipped')
    .map((finding) => `${JSON.stringify(eventOf(finding, report, time))}\n`)
    .join('');
}

function eventOf(finding: Finding, report: Report, time: number) {
  const detection = isDetection(finding);
  const classUid = detection ? DETECTION_FINDING : COMPLIANCE_FINDING;
  const severityId = SEVERITY_IDS[findingSeverity(finding)];
  const statusId = finding.suppressed ? 3 : finding.status === 'ok' ? 4 : 1;
  const resource = { name: finding.resource ?? finding.target, type: resourceType(finding, report), uid: `${finding.target}${finding.resource ? `/${finding.resource}` : ''}` };
  return {
    class_uid: classUid,
    class_name: detection ? 'Detection Finding' : 'Compliance Finding',
    category_uid: 2,
    category_name: 'Findings',
    activity_id: CREATE,
    activity_name: 'Create',
    type_uid: classUid * 100 + CREATE,
    time,
    severity_id: severityId,
    severity: SEVERITY_NAMES[severityId],
    status_id: statusId,
    status: STATUS_NAMES[statusId],
    message: finding.title,
    metadata: { version: OCSF_VERSION, product: { name: 'dbsec', vendor_name: 'dbsec', version: report.tool.version }, log_name: report.command, original_time: report.finishedAt },
    finding_info: {
      uid: finding.fingerprint,
      title: finding.title,
      desc: finding.summary,
      types: [finding.checkId],
      created_time: time,
    },
    remediation: { desc: finding.remediation },
    ...(detection
      ? { resources: [resource] }
      : {
          resource,
          compliance: {
            standards: ['dbsec security runbook'],
            control: finding.checkId,
            requirements: [finding.runbook],
            status_id: finding.status === 'ok' ? 1 : finding.status === 'monitor' ? 2 : 3,
            status: finding.status === 'ok' ? 'Pass' : finding.status === 'monitor' ? 'Warning' : 'Fail',
          },
        }),
    unmapped: { status: finding.status, target: finding.target, ...(finding.severity ? { severity: finding.severity } : {}), ...(finding.change ? { change: finding.change } : {}), ...(finding.suppressed ? { suppressed: finding.suppressed } : {}), ...(finding.evidence.length ? { evidence: finding.evidence } : {}) },
  };
}

/** OCSF severity_id: 1 Informational, 2 Low, 3 Medium, 4 High, 5 Critical. */
const SEVERITY_IDS: Record<Severity, number> = { info: 1, low: 2, medium: 3, high: 4, critical: 5 };
const SEVERITY_NAMES: Record<number, string> = { 1: 'Informational', 2: 'Low', 3: 'Medium', 4: 'High', 5: 'Critical' };
const STATUS_NAMES: Record<number, string> = { 1: 'New', 3: 'Suppressed', 4: 'Resolved' };

function resourceType(finding: Finding, report: Report): string {
  const target = report.targets.find((t) => t.name === finding.target);
  return target?.rdsInstance ? 'AWS::RDS::DBInstance' : 'PostgreSQL';
}
