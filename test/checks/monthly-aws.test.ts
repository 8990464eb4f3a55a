import { describe, expect, it } from 'vitest';
import instanceConfig from '../../src/checks/monthly/instance-config.js';
import alarmCoverage from '../../src/checks/monthly/alarm-coverage.js';
import { AWS_RECORDED_AT, SANDBOX_INSTANCE, fixture } from '../../src/sandbox/aws-scenario.js';
import network from '../../src/checks/monthly/network.js';
import encryption from '../../src/checks/monthly/encryption.js';
import loggingConfig from '../../src/checks/monthly/logging-config.js';
import compliance from '../../src/checks/monthly/compliance.js';
import accessControl from '../../src/checks/monthly/access-control.js';
import lifecycle from '../../src/checks/monthly/lifecycle.js';
import auroraCluster from '../../src/checks/monthly/aurora-cluster.js';
import eventSubscriptions from '../../src/checks/monthly/event-subscriptions.js';
import { pinClock, runCheck, runChecksOn, statuses } from '../helpers/run-check.js';
import { endpointLifecycle, instanceWith, useEndpoint } from '../helpers/aws.js';

endpointLifecycle();
pinClock(AWS_RECORDED_AT);
const target = { rdsInstance: SANDBOX_INSTANCE };

function alarm(metric: string, overrides: Record<string, unknown> = {}) {
  return {
    AlarmName: `${SANDBOX_INSTANCE}-${metric}`,
    MetricName: metric,
    Namespace: 'AWS/RDS',
    StateValue: 'OK',
    ActionsEnabled: true,
    AlarmActions: ['arn:aws:sns:us-east-1:123456789012:db-alerts'],
    Dimensions: [{ Name: 'DBInstanceIdentifier', Value: SANDBOX_INSTANCE }],
    ...overrides,
  };
}

describe('monthly.instance-config', () => {
  it('is ok for the recorded instance, listing every control', async () => {
    await useEndpoint();
    const findings = await runCheck(instanceConfig, target);
    expect(statuses(findings)).toEqual(['ok']);
    expect(findings[0]!.evidence).toContainEqual({ setting: 'PubliclyAccessible', value: 'false', expected: 'false', pass: true });
  });

  it('rates a public, unencrypted instance as investigate, one finding per setting', async () => {
    await useEndpoint({ instanceXml: instanceWith({ PubliclyAccessible: 'true', StorageEncrypted: 'false' }) });
    const findings = await runCheck(instanceConfig, target);
    expect(findings.map((f) => [f.status, f.resource])).toEqual([
      ['investigate', `${SANDBOX_INSTANCE} PubliclyAccessible`],
      ['investigate', `${SANDBOX_INSTANCE} StorageEncrypted`],
    ]);
  });

  it('rates missing deletion protection and a default parameter group as monitor, an old engine as investigate', async () => {
    await useEndpoint({ instanceXml: instanceWith({ DeletionProtection: 'false', DBParameterGroupName: 'default.postgres15' }) });
    const findings = await runCheck(instanceConfig, target, { minEngineVersion: '15.10' });
    expect(findings.map((f) => [f.status, f.title])).toEqual([
      ['investigate', `EngineVersion is 15.8 on ${SANDBOX_INSTANCE}`],
      ['monitor', `DeletionProtection is false on ${SANDBOX_INSTANCE}`],
      ['monitor', `DBParameterGroups is default.postgres15 on ${SANDBOX_INSTANCE}`],
    ]);
  });

  it('is an error when the instance does not exist', async () => {
    await useEndpoint();
    const findings = await runCheck(instanceConfig, { rdsInstance: 'gone-db' });
    expect(findings[0]!.summary).toMatch(/RDS instance gone-db was not found/);
  });
});

describe('monthly.alarm-coverage', () => {
  it('finds the recorded instance has no FreeableMemory alarm', async () => {
    await useEndpoint();
    const findings = await runCheck(alarmCoverage, target);
    expect(findings.map((f) => [f.status, f.title])).toEqual([['investigate', `No alarm on FreeableMemory for ${SANDBOX_INSTANCE}`]]);
  });

  it('is ok when every required metric has an alarm with an action', async () => {
    await useEndpoint({ alarms: { MetricAlarms: ['CPUUtilization', 'DatabaseConnections', 'FreeStorageSpace', 'FreeableMemory'].map((m) => alarm(m)) } });
    expect(statuses(await runCheck(alarmCoverage, target))).toEqual(['ok']);
  });

  it('rates an alarm with no action or stuck in INSUFFICIENT_DATA as monitor', async () => {
    await useEndpoint({ alarms: { MetricAlarms: [alarm('CPUUtilization', { AlarmActions: [] }), alarm('FreeableMemory', { StateValue: 'INSUFFICIENT_DATA' })] } });
    const findings = await runCheck(alarmCoverage, target, { requiredMetrics: ['CPUUtilization', 'FreeableMemory'] });
    expect(findings.map((f) => [f.status, f.title])).toEqual([
      ['monitor', `Alarm ${SANDBOX_INSTANCE}-CPUUtilization notifies nobody`],
      ['monitor', `Alarm ${SANDBOX_INSTANCE}-FreeableMemory has insufficient data`],
    ]);
  });

  it('is an error when CloudWatch keeps throttling', async () => {
    const endpoint = await useEndpoint();
    endpoint.inject('DescribeAlarms', 'throttle', Infinity);
    const findings = await runCheck(alarmCoverage, target);
    expect(findings[0]!.summary).toMatch(/^AWS kept throttling cloudwatch:DescribeAlarms after 3 attempts/);
  });
});

const KEY_ARN = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

describe('monthly.network', () => {
  it('is ok for private subnets (main table via NAT, explicit table local only) with flow logs on the VPC', async () => {
    await useEndpoint();
    const findings = await runCheck(network, target);
    expect(statuses(findings)).toEqual(['ok']);
    expect(findings[0]!.evidence).toEqual([
      { subnet: 'subnet-0aa11bb22cc33dd44', routeTable: 'rtb-0main0000000000001', internetRoutes: '', defaultRoute: '0.0.0.0/0 → nat-0a1b2c3d4e5f60001' },
      { subnet: 'subnet-0bb22cc33dd44ee55', routeTable: 'rtb-0private000000002', internetRoutes: '', defaultRoute: 'none' },
    ]);
  });

  it('rates a DB subnet routed to an internet gateway as investigate', async () => {
    await useEndpoint({ routeTablesXml: fixture('ec2-describe-route-tables.xml').replace('subnet-0pub11bb22cc33dd4', 'subnet-0aa11bb22cc33dd44') });
    const findings = await runCheck(network, target);
    expect(findings.map((f) => [f.status, f.title, f.value])).toEqual([
      ['investigate', `Subnet subnet-0aa11bb22cc33dd44 of ${SANDBOX_INSTANCE} routes to the internet`, '0.0.0.0/0 → igw-0c1d2e3f4a5b60001'],
    ]);
  });

  it('rates a VPC without flow logs as monitor', async () => {
    await useEndpoint({ flowLogsXml: '<DescribeFlowLogsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>x</requestId><flowLogSet/></DescribeFlowLogsResponse>' });
    const findings = await runCheck(network, target);
    expect(findings.map((f) => [f.status, f.title])).toEqual([['monitor', 'VPC flow logs are not enabled for vpc-0123456789abcdef0']]);
  });

  it('is an error naming the EC2 permission when it is denied', async () => {
    const endpoint = await useEndpoint();
    endpoint.inject('DescribeRouteTables', 'access-denied', Infinity);
    const findings = await runCheck(network, target);
    expect(statuses(findings)).toEqual(['error']);
    expect(findings[0]!.summary).toMatch(/ec2:DescribeRouteTables/);
  });
});

describe('monthly.encryption on RDS', () => {
  it('is ok with a customer managed key with rotation and rds.force_ssl = 1', async () => {
    await useEndpoint();
    const findings = await runCheck(encryption, target);
    expect(statuses(findings)).toEqual(['ok']);
    expect(findings[0]!.evidence).toEqual([{ key: KEY_ARN, uses: 'storage, Performance Insights', state: 'Enabled', manager: 'CUSTOMER', rotation: true }]);
  });

  it('rates an AWS managed key as monitor, and a customer key without rotation as monitor', async () => {
    await useEndpoint({ kmsKey: { KeyManager: 'AWS' } });
    expect((await runCheck(encryption, target)).map((f) => [f.status, f.title])).toEqual([
      ['monitor', `The storage and Performance Insights key of ${SANDBOX_INSTANCE} is an AWS managed key`],
    ]);
    await useEndpoint({ keyRotation: false });
    expect((await runCheck(encryption, target)).map((f) => [f.status, f.title])).toEqual([
      ['monitor', `Automatic rotation is off for the storage and Performance Insights key of ${SANDBOX_INSTANCE}`],
    ]);
  });

  it('rates rds.force_ssl = 0, a key pending deletion and unencrypted storage as investigate', async () => {
    await useEndpoint({ parameters: { 'rds.force_ssl': '0' }, kmsKey: { KeyState: 'PendingDeletion', Enabled: false } });
    // the fix of an RDS instance, not of pg_hba.conf
    expect((await runCheck(encryption, target))[0]!.remediation).toMatch(/^At rest: .*aws rds copy-db-snapshot.*rds\.force_ssl = 1 in the parameter group\.$/);
    expect((await runCheck(encryption, target)).map((f) => [f.status, f.resource])).toEqual([
      ['investigate', KEY_ARN],
      ['investigate', `${SANDBOX_INSTANCE} rds.force_ssl`],
    ]);
    await useEndpoint({ instanceXml: instanceWith({ StorageEncrypted: 'false', PerformanceInsightsEnabled: 'false' }) });
    expect((await runCheck(encryption, target)).map((f) => [f.status, f.title])).toEqual([['investigate', `${SANDBOX_INSTANCE} is not encrypted at rest`]]);
  });

  it('reads the engine default of rds.force_ssl by major version', async () => {
    await useEndpoint({ parameters: { 'rds.force_ssl': null }, instanceXml: instanceWith({ EngineVersion: '14.12' }) });
    expect((await runCheck(encryption, target)).map((f) => f.title)).toEqual([`rds.force_ssl is 0 (engine default) on ${SANDBOX_INSTANCE}`]);
  });

  it('is an error naming the KMS permission when it is denied', async () => {
    const endpoint = await useEndpoint();
    endpoint.inject('DescribeKey', 'access-denied', Infinity);
    const findings = await runCheck(encryption, target);
    expect(statuses(findings)).toEqual(['error']);
    expect(findings[0]!.summary).toMatch(/kms:DescribeKey/);
  });
});

describe('monthly.logging-config on RDS', () => {
  it('is ok with the export, 30-day retention and the logging parameters, read across parameter pages', async () => {
    const endpoint = await useEndpoint({ pageSize: 4 });
    const findings = await runCheck(loggingConfig, target);
    expect(statuses(findings)).toEqual(['ok']);
    expect(findings[0]!.evidence.map((r) => r.pass)).toEqual([true, true, true, true, true]);
    expect(endpoint.count('DescribeDBParameters')).toBe(3);
  });

  it('rates a missing export and no statement logging as investigate, short retention as monitor', async () => {
    await useEndpoint({ logExports: ['upgrade'], logRetentionDays: 7, parameters: { log_statement: 'none', 'pgaudit.log': 'none' } });
    const findings = await runCheck(loggingConfig, target);
    expect(findings.map((f) => [f.status, f.resource])).toEqual([
      ['investigate', `postgresql log export of ${SANDBOX_INSTANCE}`],
      ['investigate', 'statement logging'],
      ['monitor', `log group /aws/rds/instance/${SANDBOX_INSTANCE}/postgresql`],
    ]);
    expect(findings[0]!.summary).toMatch(/failed-login and DDL reviews see nothing/);
  });

  it('reads an Aurora instance through its cluster parameter group', async () => {
    const aurora = instanceWith({}).replace('<DBInstanceIdentifier>', '<DBClusterIdentifier>dbsec-demo-cluster</DBClusterIdentifier><DBInstanceIdentifier>');
    await useEndpoint({ instanceXml: aurora, parameters: { log_connections: null }, clusterParameters: { log_connections: '0' } });
    const findings = await runCheck(loggingConfig, target);
    expect(findings.map((f) => [f.status, f.title])).toEqual([['investigate', 'log_connections is 0']]);
    expect(findings[0]!.summary).toContain('parameter group dbsec-demo-cluster-pg + dbsec-demo-pg15');
  });

  it('is an error when the parameter group cannot be read', async () => {
    const endpoint = await useEndpoint();
    endpoint.inject('DescribeDBParameters', 'expired', Infinity);
    const findings = await runCheck(loggingConfig, target);
    expect(statuses(findings)).toEqual(['error']);
    expect(findings[0]!.summary).toMatch(/expired/i);
  });
});

describe('monthly.compliance', () => {
  it('is ok when every control is assessed and compliant, noting AWS Config is not set up', async () => {
    await useEndpoint({ awsConfig: false });
    const findings = await runChecksOn([instanceConfig, compliance], target);
    const rollup = findings.find((f) => f.checkId === 'monthly.compliance')!;
    expect(rollup).toMatchObject({ status: 'ok', title: '1 of 1 controls compliant' });
    expect(rollup.summary).toContain('0 not assessed. AWS Config: not set up in this account and region, skipped.');
  });

  it('is never ok while a control could not be assessed, and an error when none could', async () => {
    await useEndpoint({ awsConfig: false });
    const findings = await runChecksOn([instanceConfig, accessControl, compliance], target);
    const rollup = findings.find((f) => f.checkId === 'monthly.compliance')!;
    expect(rollup).toMatchObject({ status: 'monitor', title: '1 of 1 controls compliant, 1 not assessed' });
    expect(rollup.summary).toContain('1 not assessed: compliance cannot be stated until they are. AWS Config: not set up in this account and region, skipped.');
    expect(rollup.evidence.map((r) => [r.control, r.result])).toEqual([
      ['monthly.access-control', 'not assessed'],
      ['monthly.instance-config', 'compliant'],
    ]);
    const endpoint = await useEndpoint({ awsConfig: false });
    endpoint.inject('DescribeDBInstances', 'throttle', Infinity);
    const blind = (await runChecksOn([instanceConfig, accessControl, compliance], target)).find((f) => f.checkId === 'monthly.compliance')!;
    expect(blind).toMatchObject({ status: 'error', summary: 'None of the 2 controls could be assessed (their checks were skipped or failed): compliance cannot be stated; fix the sources those findings name.' });
  });

  it('is investigate when a control is, naming its remediation; a NON_COMPLIANT AWS Config rule is monitor', async () => {
    await useEndpoint();
    const findings = await runChecksOn([instanceConfig, alarmCoverage, compliance], target);
    const rollups = findings.filter((f) => f.checkId === 'monthly.compliance');
    expect(rollups.map((f) => [f.status, f.title])).toEqual([
      ['investigate', '1 of 2 controls compliant'],
      ['monitor', 'AWS Config rule rds-logging-enabled is NON_COMPLIANT'],
    ]);
    expect(rollups[0]!.evidence).toContainEqual(expect.objectContaining({ control: 'monthly.alarm-coverage', result: 'non-compliant', remediation: alarmCoverage.meta.remediation }));
  });

  it('notes a denied AWS Config call instead of failing the roll-up', async () => {
    const endpoint = await useEndpoint();
    endpoint.inject('DescribeConfigurationRecorders', 'access-denied', Infinity);
    const [rollup] = (await runChecksOn([instanceConfig, compliance], target)).filter((f) => f.checkId === 'monthly.compliance');
    expect(rollup).toMatchObject({ status: 'ok' });
    expect(rollup!.summary).toMatch(/AWS Config: .*config:DescribeConfigurationRecorders/);
  });
});

describe('monthly.lifecycle through DescribeDBMajorEngineVersions and DescribeCertificates', () => {
  it('is ok for the recorded instance: PostgreSQL 15 and rds-ca-rsa2048-g1', async () => {
    const endpoint = await useEndpoint();
    const findings = await runCheck(lifecycle, target);
    expect(findings.map((f) => [f.status, f.title])).toEqual([
      ['ok', 'postgres 15 is in standard support until 2028-02-29'],
      ['ok', 'rds-ca-rsa2048-g1 and the server certificate are valid until 2027-08-30'],
    ]);
    const asked = endpoint.requests.find((r) => r.operation === 'DescribeDBMajorEngineVersions')!;
    expect(asked.input).toMatchObject({ Engine: 'postgres', MajorEngineVersion: '15' });
  });

  it('flags PostgreSQL 13.20 past standard support and an instance on the expired rds-ca-2019', async () => {
    const instanceXml = instanceWith({ EngineVersion: '13.20', CACertificateIdentifier: 'rds-ca-2019', CAIdentifier: 'rds-ca-2019', ValidTill: '2024-08-22T17:08:50Z' });
    await useEndpoint({ instanceXml });
    const findings = await runCheck(lifecycle, target);
    expect(findings.map((f) => [f.status, f.title])).toEqual([
      ['investigate', `postgres 13 on ${SANDBOX_INSTANCE} is past standard support (ended 2026-02-28)`],
      ['investigate', `The CA of ${SANDBOX_INSTANCE} (rds-ca-2019) expired on 2024-08-22`],
    ]);
    expect(findings[0]!.summary).toMatch(/^It runs on paid RDS Extended Support until 2029-02-28/);
  });

  it('is an error in one sentence when RDS refuses the calendar', async () => {
    const endpoint = await useEndpoint();
    endpoint.inject('DescribeDBMajorEngineVersions', 'access-denied', Infinity);
    const findings = await runCheck(lifecycle, target);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ status: 'error', summary: expect.stringMatching(/^AWS denied rds:DescribeDBMajorEngineVersions/) });
  });
});

describe('monthly.event-subscriptions through DescribeEventSubscriptions', () => {
  it('is ok for the recorded subscriptions, and names what a lone disabled one leaves out', async () => {
    await useEndpoint();
    expect(statuses(await runCheck(eventSubscriptions, target))).toEqual(['ok']);
    const disabled = fixture('rds-describe-event-subscriptions.xml').replace(/<EventSubscription>(?:(?!<\/EventSubscription>)[\s\S])*parameter-group-changes[\s\S]*?<\/EventSubscription>/, '').replace('<Enabled>true</Enabled>', '<Enabled>false</Enabled>');
    await useEndpoint({ eventSubscriptionsXml: disabled });
    const findings = await runCheck(eventSubscriptions, target);
    expect(findings.map((f) => [f.status, f.title])).toEqual([['monitor', 'No active RDS event subscription: nobody is told of configuration changes, deletions or security events']]);
    expect(findings[0]!.summary).toContain('db-parameter-group dbsec-demo-pg15: configuration change');
  });

  it('is an error in one sentence when the call is denied', async () => {
    const endpoint = await useEndpoint();
    endpoint.inject('DescribeEventSubscriptions', 'access-denied', Infinity);
    const findings = await runCheck(eventSubscriptions, target);
    expect(findings[0]).toMatchObject({ status: 'error', summary: expect.stringMatching(/^AWS denied rds:DescribeEventSubscriptions/) });
  });
});

describe('monthly.encryption: the keys of manual snapshots', () => {
  it('flags a manual copy under a key of another account, without asking KMS about that key', async () => {
    const foreign = 'arn:aws:kms:us-east-1:444455556666:key/9f8e7d6c-0000-4000-8000-000000000001';
    const snapshotsXml = fixture('rds-describe-db-snapshots.xml').replace(/(<DBSnapshotIdentifier>dbsec-demo-db-manual-copy<\/DBSnapshotIdentifier>[\s\S]*?<KmsKeyId>)[^<]*(<\/KmsKeyId>)/, `$1${foreign}$2`);
    const endpoint = await useEndpoint({ snapshotsXml });
    const findings = await runCheck(encryption, target);
    expect(findings.map((f) => [f.status, f.title])).toEqual([['investigate', `Manual snapshot dbsec-demo-db-manual-copy of ${SANDBOX_INSTANCE} is encrypted with a key of another account (444455556666)`]]);
    expect(endpoint.requests.filter((r) => r.operation === 'DescribeKey').map((r) => r.input.KeyId)).not.toContain(foreign);
    expect(endpoint.requests.find((r) => r.operation === 'DescribeDBSnapshots')!.input).toMatchObject({ SnapshotType: 'manual', DBInstanceIdentifier: SANDBOX_INSTANCE });
  });
});

describe('monthly.aurora-cluster through DescribeDBClusters and the cluster snapshots', () => {
  const aurora = () => instanceWith({}).replace('<DBInstanceIdentifier>', '<DBClusterIdentifier>dbsec-demo-cluster</DBClusterIdentifier><DBInstanceIdentifier>');
  const cluster = (changes: Record<string, string>) => {
    let xml = fixture('rds-describe-db-clusters.xml');
    for (const [tag, value] of Object.entries(changes)) xml = xml.replace(new RegExp(`<${tag}>[\\s\\S]*?</${tag}>`), value === '' ? '' : `<${tag}>${value}</${tag}>`);
    return xml;
  };

  it('is ok for the recorded cluster: encrypted, logged, protected, its activity stream started', async () => {
    await useEndpoint({ instanceXml: aurora() });
    const findings = await runCheck(auroraCluster, target);
    expect(findings.map((f) => [f.status, f.title])).toEqual([['ok', 'Aurora cluster dbsec-demo-cluster: encrypted, logged, protected, activity stream started']]);
  });

  it("rates the cluster's own settings: no log export and a public snapshot investigate, no activity stream monitor", async () => {
    await useEndpoint({
      instanceXml: aurora(),
      clusterXml: cluster({ EnabledCloudwatchLogsExports: '', ActivityStreamStatus: 'stopped', DeletionProtection: 'false' }),
      snapshotShares: { 'dbsec-demo-cluster-before-upgrade': ['all'] },
    });
    const findings = await runCheck(auroraCluster, target);
    expect(findings.map((f) => [f.status, f.title])).toEqual([
      ['investigate', 'Aurora cluster dbsec-demo-cluster does not export its postgresql log to CloudWatch'],
      ['investigate', 'Cluster snapshot dbsec-demo-cluster-before-upgrade is public'],
      ['monitor', 'Deletion protection is off on Aurora cluster dbsec-demo-cluster'],
      ['monitor', 'No Database Activity Stream on Aurora cluster dbsec-demo-cluster (stopped)'],
    ]);
  });

  it('is skipped for an instance outside any cluster, and an error when the cluster cannot be read', async () => {
    await useEndpoint();
    expect((await runCheck(auroraCluster, target))[0]).toMatchObject({ status: 'skipped', summary: expect.stringContaining(`${SANDBOX_INSTANCE} is not a member of an Aurora cluster`) });
    const endpoint = await useEndpoint({ instanceXml: aurora() });
    endpoint.inject('DescribeDBClusters', 'access-denied', Infinity);
    const denied = await runCheck(auroraCluster, target);
    expect(denied[0]).toMatchObject({ status: 'error', summary: expect.stringMatching(/^AWS denied rds:DescribeDBClusters/) });
  });
});
