import type { DBInstance } from '@aws-sdk/client-rds';
import type { Target } from '../target.js';
import { DbsecError, SourceMissing } from '../errors.js';
import { awsCall, type AwsClients } from './aws.js';

/** DescribeDBInstances for one instance; a missing instance is one clear sentence. */
export async function describeRdsInstance(aws: AwsClients, id: string): Promise<DBInstance> {
  const { sdk, client } = await aws.rds();
  const reply = await awsCall('rds:DescribeDBInstances', () =>
    client.send(new sdk.DescribeDBInstancesCommand({ DBInstanceIdentifier: id })),
  ).catch((err: DbsecError) => {
    if (/DBInstanceNotFound/.test(err.message)) {
      throw new DbsecError(`RDS instance ${id} was not found in ${aws.region}: check --rds-instance and --region.`);
    }
    throw err;
  });
  const instance = reply.DBInstances?.find((db) => db.DBInstanceIdentifier === id);
  if (!instance) throw new DbsecError(`RDS instance ${id} was not found in ${aws.region}: check --rds-instance and --region.`);
  return instance;
}

export const NO_RDS_INSTANCE = 'no RDS instance: pass --rds-instance ID --region REGION';

/** The RDS instance id of a target, or a SourceMissing that names the flag. */
export function requireInstanceId(target: Target): string {
  if (!target.rdsInstance) throw new SourceMissing(NO_RDS_INSTANCE);
  return target.rdsInstance;
}
