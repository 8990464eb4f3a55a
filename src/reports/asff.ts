import type { AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import { findingSeverity, isDetection, type Finding, type Report, type ReportTarget } from '../report.js';
import type { Severity } from '../status.js';

/** The AWS account, partition and region findings are imported into (from STS GetCallerIdentity and the region). */
export interface AwsIdentity {
  accountId: string;
  partition: string;
  region: string;
}

/**
 * The AWS Security Finding Format (the shape BatchImportFindings takes, typed by the SDK's own model) for every finding
 * that states a result: problems as FAILED or WARNING, ok ones as PASSED and RESOLVED, so Security Hub closes what was
 * fixed; suppressed ones SUPPRESSED. Errors and skips say nothing about the resource and are left out. Text is cut to
 * the service's limits (title 256, description 1024, recommendation 512 characters).
 */
export function asffFindings(report: Report, aws: AwsIdentity): AwsSecurityFinding[] {
  const productArn = `arn:${aws.partition}:securityhub:${aws.region}:${aws.accountId}:product/${aws.accountId}/default`;
  const seen = new Map<string, number>();
  return report.findings
    .filter((f) => f.status !== 'error' && f.status !== 'skipped')
    .map((finding): AwsSecurityFinding => {
      // Findings that share a fingerprint (rows of one table) stay apart: the Id must be unique per product.
      const repeat = (seen.get(finding.fingerprint) ?? 0) + 1;
      seen.set(finding.fingerprint, repeat);
      const target = report.targets.find((t) => t.name === finding.target);
      const detection = isDetection(finding);
      return {
        SchemaVersion: '2018-10-08',
        Id: `dbsec/${finding.fingerprint}${repeat > 1 ? `/${repeat}` : ''}`,
        ProductArn: productArn,
        ProductName: 'dbsec',
        CompanyName: 'dbsec',
        GeneratorId: `dbsec/${finding.checkId}`,
        AwsAccountId: aws.accountId,
        Types: [detection ? 'Unusual Behaviors/Database' : 'Software and Configuration Checks/Industry and Regulatory Standards/dbsec'],
        CreatedAt: report.finishedAt,
        UpdatedAt: report.finishedAt,
        Severity: { Label: LABELS[findingSeverity(finding)], Original: finding.severity ?? finding.status },
        Title: cut(finding.title, 256),
        Description: cut(finding.summary || finding.title, 1024),
        Remediation: { Recommendation: { Text: cut(finding.remediation, 512) } },
        ProductFields: {
          'dbsec/checkId': finding.checkId,
          'dbsec/status': finding.status,
          'dbsec/fingerprint': finding.fingerprint,
          'dbsec/runbook': cut(finding.runbook, 1024),
          ...(finding.change ? { 'dbsec/change': finding.change } : {}),
        },
        Resources: [resourceOf(finding, target, aws)],
        ...(detection ? {} : { Compliance: { Status: finding.status === 'ok' ? 'PASSED' : finding.status === 'investigate' ? 'FAILED' : 'WARNING' } }),
        Workflow: { Status: finding.suppressed ? 'SUPPRESSED' : finding.status === 'ok' ? 'RESOLVED' : 'NEW' },
        RecordState: 'ACTIVE',
        ...(finding.suppressed ? { Note: { Text: cut(`Suppressed: ${finding.suppressed.reason}`, 512), UpdatedBy: cut(finding.suppressed.owner ?? 'dbsec', 512), UpdatedAt: report.finishedAt } } : {}),
      };
    });
}

export function formatAsff(report: Report, options: { aws?: AwsIdentity }): string {
  if (!options.aws) throw new Error('formatAsff needs the AWS identity');
  return `${JSON.stringify(asffFindings(report, options.aws), null, 2)}\n`;
}

const LABELS: Record<Severity, 'CRITICAL' | 'HIGH' | 'MEDIUM' | 'LOW' | 'INFORMATIONAL'> = { critical: 'CRITICAL', high: 'HIGH', medium: 'MEDIUM', low: 'LOW', info: 'INFORMATIONAL' };

/** An RDS instance by its ARN; anything else (a self-hosted server, a log file) as "Other", named by target and resource. */
function resourceOf(finding: Finding, target: ReportTarget | undefined, aws: AwsIdentity) {
  if (target?.rdsInstance) {
    const region = target.region ?? aws.region;
    return { Type: 'AwsRdsDbInstance', Id: `arn:${aws.partition}:rds:${region}:${aws.accountId}:db:${target.rdsInstance}`, Partition: aws.partition as 'aws', Region: region, ...(finding.resource ? { Details: { Other: { 'dbsec/resource': cut(finding.resource, 1024) } } } : {}) };
  }
  return { Type: 'Other', Id: cut(finding.resource ? `${finding.target}/${finding.resource}` : finding.target, 512), Partition: aws.partition as 'aws', Region: aws.region };
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
