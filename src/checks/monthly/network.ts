import { z } from 'zod';
import type { RouteTable } from '@aws-sdk/client-ec2';
import { defineCheck, type FindingDraft } from '../types.js';
import { allPages } from '../../sources/aws.js';
import { DbsecError } from '../../errors.js';

interface SubnetRoute {
  subnet: string;
  routeTable: string;
  /** "0.0.0.0/0 → igw-…" for each default route to an internet gateway. */
  internetRoutes: string[];
  defaultRoute: string;
}

interface NetworkData {
  instance: string;
  vpc: string;
  publiclyAccessible: boolean;
  subnets: SubnetRoute[];
  flowLogs: Array<{ id: string; resource: string; status: string; traffic: string }>;
}

const DEFAULT_ROUTES = ['0.0.0.0/0', '::/0'];

export default defineCheck({
  meta: {
    id: 'monthly.network',
    title: 'Subnets, routes and VPC flow logs',
    area: 'network',
    cadence: 'monthly',
    sources: ['rds', 'ec2'],
    sees: 'present',
    runbook: 'Monthly Security Audit §3: Network Security Assessment',
    remediation:
      'Keep the DB subnet group on private subnets whose route tables send 0.0.0.0/0 to a NAT gateway or nowhere, never to an internet gateway (aws rds modify-db-subnet-group); enable VPC flow logs for the VPC (aws ec2 create-flow-logs --resource-type VPC --traffic-type ALL).',
  },
  options: z.object({}),
  async collect(ctx): Promise<NetworkData> {
    const instance = await ctx.rdsInstance();
    const group = instance.DBSubnetGroup;
    if (!group?.VpcId) throw new DbsecError(`RDS instance ${ctx.target.rdsInstance} reports no DB subnet group or VPC, so its network cannot be reviewed.`);
    const vpc = group.VpcId;
    const subnetIds = (group.Subnets ?? []).map((s) => s.SubnetIdentifier!).filter(Boolean);
    const { sdk, client } = await ctx.aws().ec2();
    const tables = (await allPages('ec2:DescribeRouteTables', sdk.paginateDescribeRouteTables({ client }, { Filters: [{ Name: 'vpc-id', Values: [vpc] }] }))).flatMap((p) => p.RouteTables ?? []);
    const logs = (await allPages('ec2:DescribeFlowLogs', sdk.paginateDescribeFlowLogs({ client }, { Filter: [{ Name: 'resource-id', Values: [vpc, ...subnetIds] }] }))).flatMap((p) => p.FlowLogs ?? []);
    return {
      instance: ctx.target.rdsInstance!,
      vpc,
      publiclyAccessible: instance.PubliclyAccessible === true,
      subnets: subnetIds.map((subnet) => subnetRoute(subnet, tables)),
      flowLogs: logs.map((l) => ({ id: l.FlowLogId ?? '?', resource: l.ResourceId ?? '?', status: l.FlowLogStatus ?? '?', traffic: l.TrafficType ?? '?' })),
    };
  },
  evaluate({ instance, vpc, publiclyAccessible, subnets, flowLogs }): FindingDraft[] {
    const findings: FindingDraft[] = subnets
      .filter((s) => s.internetRoutes.length > 0)
      .map((s) => ({
        status: 'investigate',
        resource: `${s.subnet} ${s.routeTable}`,
        title: `Subnet ${s.subnet} of ${instance} routes to the internet`,
        summary: `Its route table ${s.routeTable} has ${s.internetRoutes.join(', ')}: a public subnet${publiclyAccessible ? ', and the instance is PubliclyAccessible, so it is reachable from the internet' : ''}.`,
        value: s.internetRoutes.join(', '),
        expected: 'no default route to an internet gateway',
        evidence: [{ ...s, internetRoutes: s.internetRoutes.join(', ') }],
      }));
    const active = flowLogs.filter((l) => l.status === 'ACTIVE');
    if (!active.some((l) => l.resource === vpc)) {
      const partial = active.length > 0 ? ` (only on ${active.map((l) => l.resource).join(', ')})` : '';
      findings.push({ status: 'monitor', resource: vpc, title: `VPC flow logs are not enabled for ${vpc}${partial}`, summary: 'Without them no record shows which addresses reached the database during an incident.', value: active.length, expected: 'an ACTIVE flow log on the VPC' });
    }
    if (findings.length > 0) return findings;
    return [
      {
        status: 'ok',
        resource: vpc,
        title: `${subnets.length} private subnets, flow logs on ${vpc}`,
        summary: `No subnet of ${instance} has a default route to an internet gateway; flow log ${active.map((l) => l.id).join(', ')} records ${active[0]?.traffic ?? 'ALL'} traffic.`,
        value: 0,
        evidence: subnets.map((s) => ({ ...s, internetRoutes: s.internetRoutes.join(', ') })),
      },
    ];
  },
});

/** A subnet uses the table explicitly associated with it, or else the VPC's main table. */
function subnetRoute(subnet: string, tables: RouteTable[]): SubnetRoute {
  const table =
    tables.find((t) => (t.Associations ?? []).some((a) => a.SubnetId === subnet)) ?? tables.find((t) => (t.Associations ?? []).some((a) => a.Main));
  const routes = (table?.Routes ?? []).filter((r) => r.State !== 'blackhole' && DEFAULT_ROUTES.includes(r.DestinationCidrBlock ?? r.DestinationIpv6CidrBlock ?? ''));
  const target = (r: (typeof routes)[number]) => r.GatewayId ?? r.NatGatewayId ?? r.TransitGatewayId ?? r.VpcPeeringConnectionId ?? r.NetworkInterfaceId ?? '?';
  return {
    subnet,
    routeTable: table?.RouteTableId ?? '(none)',
    internetRoutes: routes.filter((r) => r.GatewayId?.startsWith('igw-')).map((r) => `${r.DestinationCidrBlock ?? r.DestinationIpv6CidrBlock} → ${r.GatewayId}`),
    defaultRoute: routes.map((r) => `${r.DestinationCidrBlock ?? r.DestinationIpv6CidrBlock} → ${target(r)}`).join(', ') || 'none',
  };
}
