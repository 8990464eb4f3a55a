import { describe, expect, it } from 'vitest';
import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { SANDBOX_INSTANCE, SANDBOX_REGION, filterPatternMatcher, logEventsOf } from '../../src/sandbox/aws-scenario.js';
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
    const reply = await client.send(new LookupEventsCommand({ StartTime: new Date(Date.now() - 86400_000), EndTime: new Date() }));
    expect(reply.Events!.length).toBe(7);
    for (const event of reply.Events!) {
      expect(event.EventTime!.getTime()).toBeGreaterThan(Date.now() - 86400_000);
      expect(event.EventTime!.getTime()).toBeLessThan(Date.now());
    }
    client.destroy();
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
