import type { KeyMetadata } from '@aws-sdk/client-kms';
import type { CheckContext } from '../context.js';
import { awsCall } from './aws.js';

export interface KmsKey {
  id: string;
  metadata: KeyMetadata;
  /** Undefined for AWS managed keys: their yearly rotation is AWS's and not every policy may query it. */
  rotation?: boolean;
}

/** DescribeKey for each key, and GetKeyRotationStatus for the customer managed ones. */
export async function describeKmsKeys(ctx: CheckContext, ids: readonly string[]): Promise<KmsKey[]> {
  const { sdk, client } = await ctx.aws().kms();
  const keys: KmsKey[] = [];
  for (const id of ids) {
    const { KeyMetadata: metadata } = await awsCall('kms:DescribeKey', () => client.send(new sdk.DescribeKeyCommand({ KeyId: id })));
    const rotation =
      metadata?.KeyManager === 'CUSTOMER'
        ? (await awsCall('kms:GetKeyRotationStatus', () => client.send(new sdk.GetKeyRotationStatusCommand({ KeyId: id })))).KeyRotationEnabled
        : undefined;
    keys.push({ id, metadata: metadata ?? { KeyId: id }, rotation });
  }
  return keys;
}
