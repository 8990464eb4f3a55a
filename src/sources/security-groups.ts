import type { SecurityGroup } from '@aws-sdk/client-ec2';
import type { CheckContext } from '../context.js';
import { awsCall } from './aws.js';

/** The instance's VPC security groups and its port, described once per run (weekly review, evidence, containment). */
export function instanceSecurityGroups(ctx: CheckContext): Promise<{ port: number; groups: SecurityGroup[] }> {
  return ctx.memo('security-groups', async () => {
    const instance = await ctx.rdsInstance();
    const ids = (instance.VpcSecurityGroups ?? []).map((g) => g.VpcSecurityGroupId!).filter(Boolean);
    const port = instance.Endpoint?.Port ?? 5432;
    if (ids.length === 0) return { port, groups: [] };
    const { sdk, client } = await ctx.aws().ec2();
    const reply = await awsCall('ec2:DescribeSecurityGroups', () => client.send(new sdk.DescribeSecurityGroupsCommand({ GroupIds: ids })));
    return { port, groups: reply.SecurityGroups ?? [] };
  });
}
