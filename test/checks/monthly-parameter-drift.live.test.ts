import { describe, expect, it } from 'vitest';
import parameterDrift from '../../src/checks/monthly/parameter-drift.js';
import { AWS_RECORDED_AT, SANDBOX_INSTANCE } from '../../src/sandbox/aws-scenario.js';
import { pinClock, runCheck, statuses } from '../helpers/run-check.js';
import { endpointLifecycle, instanceWith, useEndpoint } from '../helpers/aws.js';
import { servers } from '../helpers/servers.js';

/** The recorded parameter group against a real running server: the server's settings are present state. */
endpointLifecycle();
pinClock(AWS_RECORDED_AT);
const target = { rdsInstance: SANDBOX_INSTANCE };

describe('monthly.parameter-drift', () => {
  const server = servers()[0]!;
  const withDatabase = { ...target, databaseUrl: server.url() };

  it('is ok when the group and the running server agree', async () => {
    await useEndpoint();
    const findings = await runCheck(parameterDrift, withDatabase, { parameters: ['log_connections', 'log_disconnections', 'ssl', 'log_hostname'] });
    expect(statuses(findings)).toEqual(['ok']);
    expect(findings[0]!.evidence.map((r) => [r.parameter, r.verdict])).toEqual([
      ['log_connections', 'same'],
      ['log_disconnections', 'same'],
      ['ssl', 'same'],
      ['log_hostname', 'engine default'],
    ]);
  });

  it('rates a value the server does not run as investigate', async () => {
    await useEndpoint();
    const findings = await runCheck(parameterDrift, withDatabase, { parameters: ['log_statement', 'log_connections'] });
    expect(findings.map((f) => [f.status, f.title])).toEqual([['investigate', 'log_statement is none on the server but ddl in dbsec-demo-pg15']]);
  });

  it('rates a group pending reboot and a static parameter waiting for it as monitor', async () => {
    await useEndpoint({ instanceXml: instanceWith({ ParameterApplyStatus: 'pending-reboot' }) });
    const findings = await runCheck(parameterDrift, withDatabase, { parameters: ['shared_preload_libraries'] });
    expect(findings.map((f) => [f.status, f.resource])).toEqual([
      ['monitor', `${SANDBOX_INSTANCE} dbsec-demo-pg15`],
      ['monitor', `${SANDBOX_INSTANCE} shared_preload_libraries`],
    ]);
  });

  it('is skipped without a database and an error when RDS denies the parameters', async () => {
    const endpoint = await useEndpoint();
    expect(statuses(await runCheck(parameterDrift, target))).toEqual(['skipped']);
    endpoint.inject('DescribeDBParameters', 'access-denied', Infinity);
    const findings = await runCheck(parameterDrift, withDatabase);
    expect(findings[0]).toMatchObject({ status: 'error', summary: expect.stringMatching(/rds:DescribeDBParameters/) });
  });
});
