import { describe, expect, it } from 'vitest';
import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { AWS_RECORDED_AT, SANDBOX_INSTANCE, SANDBOX_REGION, filterPatternMatcher, logEventsOf } from '../../src/sandbox/aws-scenario.js';
import { endpointLifecycle, useEndpoint } from '../helpers/aws.js';
import { filterPatternFor } from '../../src/sources/logs/cloudwatch-reader.js';

endpointLifecycle();

describe('the local AWS endpoint, read back through the real SDK', () => {
  it('serves DescribeDBInstances with every list the checks read non-empty (element names as the SDK models them)', async () => {
    await useEndpoint();
    const client = new RDSClient({ region: SANDBOX_REGION });
    const reply = await client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: SANDBOX_INSTANCE }));
    const db = reply.DBInstances![0]!;
    expect(db).toMatchObject({
      DBInstanceIdentifier: SANDBOX_INSTANCE,
      StorageEncrypted: true,
      PubliclyAccessible: false,
      BackupRetentionPeriod: 7,
      EnabledCloudwatchLogsExports: ['postgresql', 'upgrade'],
      VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-0a1b2c3d4e5f60718', Status: 'active' }],
      DBParameterGroups: [{ DBParameterGroupName: 'dbsec-demo-pg15', ParameterApplyStatus: 'in-sync' }],
    });
    expect(db.DBSubnetGroup?.Subnets?.[0]?.SubnetIdentifier).toBe('subnet-0aa11bb22cc33dd44');
    expect(db.InstanceCreateTime).toBeInstanceOf(Date);
    client.destroy();
  });

  it('answers an unknown instance with the fault the SDK names DBInstanceNotFoundFault', async () => {
    await useEndpoint();
    const client = new RDSClient({ region: SANDBOX_REGION, maxAttempts: 1 });
    await expect(client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'nope' }))).rejects.toMatchObject({ name: 'DBInstanceNotFoundFault' });
    client.destroy();
  });

  it('serves CloudTrail times as epoch seconds, parsed to dates in the window', async () => {
    await useEndpoint();
    const client = new CloudTrailClient({ region: SANDBOX_REGION });
    const recorded = AWS_RECORDED_AT.getTime();
    const reply = await client.send(new LookupEventsCommand({ StartTime: new Date(recorded - 86400_000), EndTime: AWS_RECORDED_AT }));
    expect(reply.Events!.length).toBe(7);
    for (const event of reply.Events!) {
      expect(event.EventTime!.getTime()).toBeGreaterThan(recorded - 86400_000);
      expect(event.EventTime!.getTime()).toBeLessThan(recorded);
    }
    client.destroy();
  });
});

describe('the fixtures added for the monthly audit, read back through the real SDK', () => {
  it('serves route tables, flow logs, parameters, KMS and AWS Config with every field the checks read', async () => {
    await useEndpoint({ pageSize: 5 });
    const { EC2Client, DescribeRouteTablesCommand, DescribeFlowLogsCommand } = await import('@aws-sdk/client-ec2');
    const { paginateDescribeDBParameters } = await import('@aws-sdk/client-rds');
    const { KMSClient, DescribeKeyCommand, GetKeyRotationStatusCommand } = await import('@aws-sdk/client-kms');
    const { ConfigServiceClient, GetComplianceDetailsByResourceCommand, DescribeConfigurationRecordersCommand } = await import('@aws-sdk/client-config-service');
    const ec2 = new EC2Client({ region: SANDBOX_REGION });
    const tables = (await ec2.send(new DescribeRouteTablesCommand({}))).RouteTables!;
    expect(tables.map((t) => t.RouteTableId)).toEqual(['rtb-0main0000000000001', 'rtb-0private000000002', 'rtb-0public0000000003']);
    expect(tables[0]!.Associations![0]).toMatchObject({ Main: true });
    expect(tables[0]!.Routes![1]).toMatchObject({ DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: 'nat-0a1b2c3d4e5f60001', State: 'active' });
    expect(tables[2]!.Routes![1]).toMatchObject({ GatewayId: 'igw-0c1d2e3f4a5b60001' });
    expect(tables[2]!.Associations![0]).toMatchObject({ SubnetId: 'subnet-0pub11bb22cc33dd4', Main: false });
    expect((await ec2.send(new DescribeFlowLogsCommand({}))).FlowLogs).toEqual([
      expect.objectContaining({ FlowLogId: 'fl-0123456789abcdef0', FlowLogStatus: 'ACTIVE', ResourceId: 'vpc-0123456789abcdef0', TrafficType: 'ALL' }),
    ]);
    const rds = new RDSClient({ region: SANDBOX_REGION });
    const pages = [];
    for await (const page of paginateDescribeDBParameters({ client: rds }, { DBParameterGroupName: 'dbsec-demo-pg15' })) pages.push(page);
    expect(pages.length).toBe(3);
    const parameters = pages.flatMap((p) => p.Parameters!);
    expect(parameters.length).toBe(12);
    expect(parameters.find((p) => p.ParameterName === 'shared_preload_libraries')).toMatchObject({ ParameterValue: 'pg_stat_statements,pgaudit', ApplyType: 'static', Source: 'user' });
    const engineDefault = parameters.find((p) => p.ParameterName === 'log_hostname')!;
    expect([engineDefault.Source, engineDefault.ParameterValue]).toEqual(['engine-default', undefined]);
    const kms = new KMSClient({ region: SANDBOX_REGION });
    const key = (await kms.send(new DescribeKeyCommand({ KeyId: 'alias-less-1234abcd-12ab-34cd-56ef-1234567890ab' }))).KeyMetadata!;
    expect(key).toMatchObject({ KeyManager: 'CUSTOMER', KeyState: 'Enabled' });
    expect(key.CreationDate!.getUTCFullYear()).toBe(2025);
    expect((await kms.send(new GetKeyRotationStatusCommand({ KeyId: key.Arn! }))).KeyRotationEnabled).toBe(true);
    const config = new ConfigServiceClient({ region: SANDBOX_REGION });
    expect((await config.send(new DescribeConfigurationRecordersCommand({}))).ConfigurationRecorders![0]!.name).toBe('default');
    const results = (await config.send(new GetComplianceDetailsByResourceCommand({ ResourceType: 'AWS::RDS::DBInstance', ResourceId: 'db-ABCDEFGHIJKLMNOPQRSTUVWXYZ' }))).EvaluationResults!;
    expect(results.map((r) => [r.EvaluationResultIdentifier!.EvaluationResultQualifier!.ConfigRuleName, r.ComplianceType])).toEqual([
      ['rds-storage-encrypted', 'COMPLIANT'],
      ['rds-instance-public-access-check', 'COMPLIANT'],
      ['rds-logging-enabled', 'NON_COMPLIANT'],
    ]);
    expect(results[0]!.ResultRecordedTime).toBeInstanceOf(Date);
    for (const client of [ec2, rds, kms, config]) client.destroy();
  });
});

describe('filter patterns', () => {
  it('matches what dbsec sends, as CloudWatch Logs would', () => {
    const match = filterPatternMatcher(filterPatternFor(['authentication failed', 'no pg_hba.conf entry']));
    expect(match({ timestamp: 0, message: 'FATAL:  password authentication failed for user "a"' })).toBe(true);
    expect(match({ timestamp: 0, message: 'FATAL:  no pg_hba.conf entry for host "1.2.3.4"' })).toBe(true);
    expect(match({ timestamp: 0, message: 'LOG:  connection authorized' })).toBe(false);
  });

  it('keeps continuation lines with their entry', () => {
    const events = logEventsOf('2026-11-22 10:00:00 UTC:1.2.3.4(5):u@d:[1]:LOG:  statement: SELECT 1,\n\t2\n2026-11-22 10:00:01 UTC:1.2.3.4(5):u@d:[1]:LOG:  x\n');
    expect(events).toEqual([
      { timestamp: Date.parse('2026-11-22T10:00:00Z'), message: '2026-11-22 10:00:00 UTC:1.2.3.4(5):u@d:[1]:LOG:  statement: SELECT 1,\n\t2' },
      { timestamp: Date.parse('2026-11-22T10:00:01Z'), message: '2026-11-22 10:00:01 UTC:1.2.3.4(5):u@d:[1]:LOG:  x' },
    ]);
  });
});
