import { describe, expect, it } from 'vitest';
import alarms from '../../src/checks/daily/cloudwatch-alarms.js';
import cpu from '../../src/checks/daily/cpu.js';
import cloudtrail from '../../src/checks/daily/cloudtrail-rds-changes.js';
import { AWS_RECORDED_AT, SANDBOX_INSTANCE } from '../../src/sandbox/aws-scenario.js';
import { pinClock, runCheck, statuses } from '../helpers/run-check.js';
import { endpointLifecycle, trailEvent, useEndpoint } from '../helpers/aws.js';

endpointLifecycle();
pinClock(AWS_RECORDED_AT);
const target = { rdsInstance: SANDBOX_INSTANCE };

function alarm(name: string, state: string) {
  return { AlarmName: name, StateValue: state, StateReason: `${name} is ${state}`, StateUpdatedTimestamp: Math.floor(AWS_RECORDED_AT.getTime() / 1000) - 60, MetricName: 'CPUUtilization' };
}


describe('daily.cloudwatch-alarms', () => {
  it('is ok when no alarm is in ALARM', async () => {
    await useEndpoint({ alarms: { MetricAlarms: [alarm(`${SANDBOX_INSTANCE}-cpu`, 'OK')] } });
    expect(statuses(await runCheck(alarms, target))).toEqual(['ok']);
  });

  it('is monitor when no alarm watches the instance at all', async () => {
    await useEndpoint({ alarms: { MetricAlarms: [alarm('other-db-cpu', 'ALARM')] } });
    const findings = await runCheck(alarms, target);
    expect(findings[0]).toMatchObject({ status: 'monitor', resource: `${SANDBOX_INSTANCE}*` });
  });

  it('names each alarm in ALARM as investigate, across pages', async () => {
    const many = Array.from({ length: 7 }, (_, i) => alarm(`${SANDBOX_INSTANCE}-a${i}`, i % 3 === 0 ? 'ALARM' : 'OK'));
    const endpoint = await useEndpoint({ alarms: { MetricAlarms: many }, pageSize: 3 });
    const findings = await runCheck(alarms, target);
    expect(findings.map((f) => f.resource).sort()).toEqual([`${SANDBOX_INSTANCE}-a0`, `${SANDBOX_INSTANCE}-a3`, `${SANDBOX_INSTANCE}-a6`]);
    expect(statuses(findings)).toEqual(['investigate', 'investigate', 'investigate']);
    expect(endpoint.count('DescribeAlarms')).toBe(3);
  });

  it('uses the configured alarm name prefix', async () => {
    await useEndpoint({ alarms: { MetricAlarms: [alarm('team-db-conn', 'ALARM')] } });
    const findings = await runCheck(alarms, target, { alarmNamePrefix: 'team-db' });
    expect(findings[0]).toMatchObject({ status: 'investigate', resource: 'team-db-conn' });
  });

  it('is an error naming the IAM action on AccessDenied', async () => {
    const endpoint = await useEndpoint();
    endpoint.inject('DescribeAlarms', 'access-denied', Infinity);
    const findings = await runCheck(alarms, target);
    expect(findings[0]!.status).toBe('error');
    expect(findings[0]!.summary).toMatch(/^AWS denied cloudwatch:DescribeAlarms .*allow this action in the IAM policy/);
    expect(endpoint.count('DescribeAlarms')).toBe(1);
  });

  it('is skipped without an RDS instance', async () => {
    const findings = await runCheck(alarms, {});
    expect(findings[0]!.status).toBe('skipped');
    expect(findings[0]!.summary).toContain('--rds-instance');
  });
});

describe('daily.cpu', () => {
  it.each([
    [[20, 35, 41], 'ok'],
    [[40, 72, 50], 'monitor'],
    [[60, 91, 88], 'investigate'],
  ])('rates averages %j as %s', async (averages, status) => {
    await useEndpoint({ cpuAverages: averages });
    const findings = await runCheck(cpu, target);
    expect(findings[0]).toMatchObject({ status, value: Math.max(...averages), resource: SANDBOX_INSTANCE });
    expect(findings[0]!.evidence).toHaveLength(averages.length);
  });

  it('reads unordered datapoints from the recorded fixture and sorts them', async () => {
    await useEndpoint();
    const findings = await runCheck(cpu, target);
    const times = findings[0]!.evidence.map((row) => String(row.time));
    expect(times).toEqual([...times].sort());
    expect(findings[0]!.value).toBe(78.4);
  });

  it('is an error when CloudWatch has no datapoints', async () => {
    await useEndpoint({ cpuAverages: [] });
    const findings = await runCheck(cpu, target);
    expect(findings[0]!.summary).toMatch(/no CPUUtilization datapoints for dbsec-demo-db/);
  });

  it('is an error on expired credentials, without retrying', async () => {
    const endpoint = await useEndpoint();
    endpoint.inject('GetMetricStatistics', 'expired', Infinity);
    const findings = await runCheck(cpu, target);
    expect(findings[0]!.summary).toMatch(/^AWS credentials have expired \(cloudwatch:GetMetricStatistics\): refresh them/);
  });

  it('is an error when no credentials can be found at all', async () => {
    await useEndpoint();
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    const findings = await runCheck(cpu, target);
    expect(findings[0]!.summary).toMatch(/^No AWS credentials for cloudwatch:GetMetricStatistics: set AWS_PROFILE or --profile/);
  });

  it('is an error on a malformed response, not a silent pass', async () => {
    const endpoint = await useEndpoint();
    endpoint.inject('GetMetricStatistics', 'malformed', Infinity);
    const findings = await runCheck(cpu, target);
    expect(findings[0]!.status).toBe('error');
    expect(findings[0]!.summary).toMatch(/could not read/);
  });
});

describe('daily.cloudtrail-rds-changes', () => {
  const daysAgo = (days: number) => new Date(AWS_RECORDED_AT.getTime() - days * 86_400_000);

  it('says which part of a long window is beyond the 90 days of CloudTrail event history', async () => {
    await useEndpoint({ trailEvents: [trailEvent('old', 'ModifyDBInstance', 'jdoe', undefined, undefined, false, daysAgo(100)), trailEvent('recent', 'ModifyDBInstance', 'jdoe', undefined, undefined, false, daysAgo(10))] });
    const findings = await runCheck(cloudtrail, target, {}, { since: 120 * 86_400_000 });
    expect(findings.map((f) => f.resource)).toEqual(['recent']);
    expect(findings[0]!.summary).toMatch(/CloudTrail's event history keeps 90 days: events before 2026-08-24T16:05:00\.\d{3}Z were not seen \(the trail's S3 logs hold them\)\.$/);
  });

  it('is an error for a window that ended before the event history begins, never ok', async () => {
    await useEndpoint({ trailEvents: [trailEvent('old', 'ModifyDBInstance', 'jdoe', undefined, undefined, false, daysAgo(100))] });
    const findings = await runCheck(cloudtrail, target, {}, { since: 86_400_000, until: daysAgo(95) });
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ status: 'error', summary: expect.stringMatching(/LookupEvents cannot see a window ending 2026-08-19T16:05:00\.000Z: query the trail's S3 logs \(Athena\) for it\.$/) });
  });

  it('flags the recorded scenario: unknown actors investigate, read-only and other instances ignored', async () => {
    await useEndpoint();
    const findings = await runCheck(cloudtrail, target, { allowActors: ['terraform-ci'] });
    // the gravest acts first: what exposes data at once (critical), then what weakens a control (high), then a plain change
    expect(findings.map((f) => [f.value, f.severity])).toEqual([
      ['ModifyDBSnapshotAttribute', 'critical'],
      ['AuthorizeSecurityGroupIngress', 'critical'],
      ['ModifyDBParameterGroup', 'high'],
      ['CreateDBSnapshot', undefined],
    ]);
    // each act brings its own fix; a plain change keeps the check's advice
    expect(findings[0]!.remediation).toMatch(/^Make it private at once \(aws rds modify-db-snapshot-attribute --db-snapshot-identifier dbsec-demo-db-manual-copy --attribute-name restore --values-to-remove all\)/);
    expect(findings[3]!.remediation).toBe(cloudtrail.meta.remediation);
    expect(findings.find((f) => f.value === 'ModifyDBParameterGroup')!.evidence[0]).toMatchObject({ session: null, actor: 'jdoe' });
    const all = await runCheck(cloudtrail, target);
    expect(all.find((f) => f.evidence[0]!.actor === 'terraform-ci')!.evidence[0]).toMatchObject({ session: 'session', arn: 'arn:aws:sts::123456789012:assumed-role/terraform-ci/session', accessKeyId: 'ASIAJEXAMPLEXEG2JICEA' });
    expect(new Set(statuses(findings))).toEqual(new Set(['investigate']));
    expect(findings.map((f) => f.resource)).toContain('6f708192-6666-4f70-9182-4d5e6f708192');
    // who acted and how: the access key, the client, the act read from the request
    const ingress = findings.find((f) => f.resource === '6f708192-6666-4f70-9182-4d5e6f708192')!;
    expect(ingress.evidence[0]).toMatchObject({ act: 'port 5432 of sg-0a1b2c3d4e5f60718 opened to the internet (0.0.0.0/0)', actor: 'contractor', accessKeyId: 'AKIAI44QH8DHBEXAMPLE', via: 'the AWS CLI', sourceIp: '192.0.2.77' });
    expect(ingress.summary).toMatch(/^Security group change \(AuthorizeSecurityGroupIngress\) at 2026-11-22T15:55:00\.000Z from 192\.0\.2\.77 via the AWS CLI\. This weakens a control\./);
  });

  it('is ok when every change comes from an allow-listed actor, across three pages', async () => {
    const events = Array.from({ length: 7 }, (_, i) => trailEvent(`e${i}`, 'ModifyDBInstance', 'terraform-ci'));
    const endpoint = await useEndpoint({ trailEvents: events, pageSize: 3 });
    const findings = await runCheck(cloudtrail, target, { allowActors: ['terraform-*'] });
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ status: 'ok', title: '7 changes, all by allow-listed actors' });
    expect(endpoint.count('LookupEvents')).toBe(3 + 1);
  });

  it("raises a change from an address the actor never used in the 30 days before, and says when the actor was silent", async () => {
    const before = daysAgo(10);
    const endpoint = await useEndpoint({
      trailEvents: [
        trailEvent('old', 'DescribeDBInstances', 'jdoe', undefined, undefined, true, before, '198.51.100.1'),
        trailEvent('known', 'AddTagsToResource', 'jdoe', undefined, undefined, false, undefined, '198.51.100.1'),
        trailEvent('new', 'AddTagsToResource', 'jdoe', undefined, undefined, false, undefined, '203.0.113.66'),
        trailEvent('quiet', 'AddTagsToResource', 'oncall'),
      ],
    });
    const findings = await runCheck(cloudtrail, target);
    expect(findings.map((f) => [f.resource, f.status, f.evidence[0]!.addressHistory])).toEqual([
      ['new', 'investigate', 'new-address'],
      ['known', 'monitor', 'known'],
      ['quiet', 'monitor', 'no-history'],
    ]);
    expect(findings[0]!.summary).toContain('jdoe never called from 203.0.113.66 in the 30 days before: a key used from a new place?');
    expect(findings[2]!.summary).toContain('oncall made no call in the 30 days before.');
    // one history lookup per actor, over the 30 days before the window
    const histories = endpoint.requests.filter((r) => r.operation === 'LookupEvents' && r.input.LookupAttributes[0].AttributeKey === 'Username');
    expect(histories.map((r) => r.input.LookupAttributes[0].AttributeValue).sort()).toEqual(['jdoe', 'oncall']);
  });

  it('rates a change outside the runbook list as monitor', async () => {
    await useEndpoint({ trailEvents: [trailEvent('t1', 'AddTagsToResource', 'jdoe')] });
    const findings = await runCheck(cloudtrail, target);
    expect(findings[0]).toMatchObject({ status: 'monitor', resource: 't1' });
  });

  it('retries throttling and succeeds', async () => {
    const endpoint = await useEndpoint({ trailEvents: [trailEvent('t1', 'ModifyDBInstance', 'jdoe')] });
    endpoint.inject('LookupEvents', 'throttle', 2);
    const findings = await runCheck(cloudtrail, target);
    expect(findings[0]).toMatchObject({ status: 'investigate', resource: 't1' });
  });

  it('is an error when throttling outlasts the retries', async () => {
    const endpoint = await useEndpoint();
    endpoint.inject('LookupEvents', 'throttle', Infinity);
    const findings = await runCheck(cloudtrail, target);
    expect(findings[0]!.summary).toMatch(/^AWS kept throttling cloudtrail:LookupEvents after 3 attempts/);
    expect(endpoint.count('LookupEvents')).toBe(3);
  });

  it('is an error naming the instance when it does not exist', async () => {
    await useEndpoint();
    const findings = await runCheck(cloudtrail, { rdsInstance: 'no-such-db' });
    expect(findings[0]!.summary).toMatch(/RDS instance no-such-db was not found in us-east-1/);
  });
});
