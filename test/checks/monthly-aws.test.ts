import { describe, expect, it } from 'vitest';
import instanceConfig from '../../src/checks/monthly/instance-config.js';
import alarmCoverage from '../../src/checks/monthly/alarm-coverage.js';
import { SANDBOX_INSTANCE, fixture } from '../../src/sandbox/aws-scenario.js';
import { runCheck, statuses } from '../helpers/run-check.js';
import { endpointLifecycle, useEndpoint } from '../helpers/aws.js';

endpointLifecycle();
const target = { rdsInstance: SANDBOX_INSTANCE };

/** The recorded instance with some elements changed, e.g. { PubliclyAccessible: 'true' }. */
function instanceWith(changes: Record<string, string>): string {
  let xml = fixture('rds-describe-db-instances.xml');
  for (const [tag, value] of Object.entries(changes)) xml = xml.replace(new RegExp(`<${tag}>[^<]*</${tag}>`), `<${tag}>${value}</${tag}>`);
  return xml;
}

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
