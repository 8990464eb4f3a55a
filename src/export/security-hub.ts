import type { AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import { DbsecError } from '../errors.js';
import { awsCall, type AwsClients } from '../sources/aws.js';
import type { AwsIdentity } from '../reports/asff.js';

/** BatchImportFindings takes at most 100 findings per call. */
export const IMPORT_BATCH = 100;

/** The account and partition of the caller's credentials (STS GetCallerIdentity), with the region findings go to. */
export async function awsIdentity(clients: AwsClients): Promise<AwsIdentity> {
  const { sdk, client } = await clients.sts();
  const caller = await awsCall('sts:GetCallerIdentity', () => client.send(new sdk.GetCallerIdentityCommand({})));
  const partition = caller.Arn?.split(':')[1];
  if (!caller.Account || !partition) throw new DbsecError('STS GetCallerIdentity answered without an account or ARN; check the AWS credentials dbsec runs with.');
  return { accountId: caller.Account, partition, region: clients.region! };
}

export interface ImportResult {
  imported: number;
  failed: Array<{ id: string; code: string; message: string }>;
}

/** Sends the findings to Security Hub in batches of 100; the findings it refuses are listed, not thrown. */
export async function importFindings(clients: AwsClients, findings: readonly AwsSecurityFinding[]): Promise<ImportResult> {
  const { sdk, client } = await clients.securityHub();
  const result: ImportResult = { imported: 0, failed: [] };
  for (let start = 0; start < findings.length; start += IMPORT_BATCH) {
    const batch = findings.slice(start, start + IMPORT_BATCH);
    const answer = await awsCall('securityhub:BatchImportFindings', () => client.send(new sdk.BatchImportFindingsCommand({ Findings: batch })));
    result.imported += answer.SuccessCount ?? 0;
    for (const failure of answer.FailedFindings ?? []) result.failed.push({ id: failure.Id ?? '?', code: failure.ErrorCode ?? '?', message: failure.ErrorMessage ?? '' });
  }
  return result;
}
