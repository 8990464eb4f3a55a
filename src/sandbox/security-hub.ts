import { errorReply, jsonReply, queryReply, type AwsEndpoint } from './aws-endpoint.js';
import { systemClock } from '../clock.js';

export const SANDBOX_ACCOUNT = '123456789012';

/**
 * STS GetCallerIdentity and Security Hub's BatchImportFindings as the services answer them. Each finding is checked
 * for what the AWS Security Finding Format requires (its documented required attributes, their limits, the Types
 * taxonomy and the product ARN of the caller's own account); a finding that fails is returned in FailedFindings with
 * InvalidInput, as Security Hub does, and the others are kept in `imported`.
 */
export function serveSecurityHub(endpoint: AwsEndpoint, imported: Array<Record<string, any>>, refuses: readonly string[]): void {
  endpoint.on('sts.GetCallerIdentity', (request) => {
    const account = accountOf(request.accessKeyId);
    return queryReply('GetCallerIdentity', `<Arn>arn:aws:iam::${account}:user/auditor</Arn><UserId>AIDASANDBOX</UserId><Account>${account}</Account>`);
  });
  endpoint.on('securityhub.BatchImportFindings', (request) => {
    const findings = (request.input.Findings ?? []) as Array<Record<string, any>>;
    if (findings.length === 0 || findings.length > 100) return errorReply(request, 400, 'InvalidInputException', 'Findings must hold 1 to 100 findings');
    const failed = findings.flatMap((finding) => {
      const problem = refuses.includes(finding.Id) ? 'the product is not enabled for this finding' : asffProblem(finding);
      return problem ? [{ Id: String(finding.Id ?? ''), ErrorCode: 'InvalidInput', ErrorMessage: problem }] : [];
    });
    imported.push(...findings.filter((f) => !failed.some((x) => x.Id === f.Id)));
    return jsonReply(request, { FailedCount: failed.length, SuccessCount: findings.length - failed.length, FailedFindings: failed });
  });
}

/** The account a request is signed for: the sandbox's assumed-role keys are ASIA + the account id. */
export function accountOf(accessKeyId: string | undefined): string {
  return /^ASIA(\d{12})$/.exec(accessKeyId ?? '')?.[1] ?? SANDBOX_ACCOUNT;
}

/**
 * STS AssumeRole into another account of the fleet: temporary keys that name the account, valid an hour (the real
 * clock, as STS's), unless the role is one the scenario refuses.
 */
export function serveAssumeRole(endpoint: AwsEndpoint, refused: readonly string[]): void {
  endpoint.on('sts.AssumeRole', (request) => {
    const roleArn = String(request.input.RoleArn ?? '');
    if (refused.includes(roleArn)) return errorReply(request, 403, 'AccessDenied', `User: arn:aws:iam::${SANDBOX_ACCOUNT}:user/auditor is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);
    const account = /^arn:aws:iam::(\d{12}):role\//.exec(roleArn)?.[1] ?? SANDBOX_ACCOUNT;
    const role = roleArn.split('/').pop();
    const expires = new Date(systemClock().getTime() + 3600_000).toISOString();
    return queryReply(
      'AssumeRole',
      `<Credentials><AccessKeyId>ASIA${account}</AccessKeyId><SecretAccessKey>sandbox-${account}</SecretAccessKey><SessionToken>token-${account}</SessionToken><Expiration>${expires}</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>AROASANDBOX:${request.input.RoleSessionName}</AssumedRoleId><Arn>arn:aws:sts::${account}:assumed-role/${role}/${request.input.RoleSessionName}</Arn></AssumedRoleUser>`,
    );
  });
}

const REQUIRED = ['AwsAccountId', 'CreatedAt', 'Description', 'GeneratorId', 'Id', 'ProductArn', 'Resources', 'SchemaVersion', 'Severity', 'Title', 'Types', 'UpdatedAt'];
const NAMESPACES = ['Software and Configuration Checks', 'TTPs', 'Effects', 'Unusual Behaviors', 'Sensitive Data Identifications'];
const LIMITS: Record<string, number> = { Title: 256, Description: 1024, Id: 512, GeneratorId: 512 };

function asffProblem(finding: Record<string, any>): string | undefined {
  const missing = REQUIRED.filter((key) => finding[key] === undefined || finding[key] === '');
  if (missing.length > 0) return `missing required attributes: ${missing.join(', ')}`;
  if (finding.SchemaVersion !== '2018-10-08') return `SchemaVersion ${finding.SchemaVersion} is not 2018-10-08`;
  for (const [key, max] of Object.entries(LIMITS)) if (String(finding[key]).length > max) return `${key} is longer than ${max} characters`;
  if (finding.ProductArn !== `arn:aws:securityhub:${/^arn:aws:securityhub:([^:]+):/.exec(finding.ProductArn)?.[1]}:${finding.AwsAccountId}:product/${finding.AwsAccountId}/default`) return `ProductArn ${finding.ProductArn} is not this account's default product`;
  const badType = (finding.Types as string[]).find((type) => type.split('/').length > 3 || !NAMESPACES.includes(type.split('/')[0]!));
  if (badType !== undefined) return `Types entry "${badType}" is not namespace/category/classifier`;
  if (!['INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'].includes(finding.Severity?.Label)) return 'Severity.Label is missing or unknown';
  if (!Array.isArray(finding.Resources) || finding.Resources.length === 0 || finding.Resources.some((r: any) => !r.Type || !r.Id)) return 'every resource needs a Type and an Id';
  if (Number.isNaN(Date.parse(finding.CreatedAt)) || Number.isNaN(Date.parse(finding.UpdatedAt))) return 'CreatedAt and UpdatedAt must be ISO-8601 times';
  return undefined;
}
