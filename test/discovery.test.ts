import { describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { AWS_RECORDED_AT, fleetInstance } from '../src/sandbox/aws-scenario.js';
import type { Report } from '../src/report.js';
import { endpointLifecycle, trailEvent, useEndpoint } from './helpers/aws.js';
import { bufferIo } from './helpers/io.js';
import { fastRetries } from './helpers/run-check.js';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { passwordCatcher } from './helpers/pg-wire.js';
import { Ajv } from 'ajv';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

const SCHEMA = JSON.parse(readFileSync(fileURLToPath(new URL('../schema/report.schema.json', import.meta.url)), 'utf8'));

/**
 * --all-instances through the real RDS and EC2 clients against the local endpoint, which serves each region its own
 * instances (by the region the request is signed for), paged. The instances are the recorded one under other names,
 * so the clock is pinned to its recording.
 */
endpointLifecycle();

const FLEET = {
  'us-east-1': [fleetInstance('prod-a', 'us-east-1', 'postgres', { env: 'prod' }), fleetInstance('dev-a', 'us-east-1', 'postgres', { env: 'dev' }), fleetInstance('prod-c', 'us-east-1', 'postgres', { env: 'prod' })],
  'eu-west-1': [fleetInstance('prod-b', 'eu-west-1', 'aurora-postgresql', { env: 'prod' }), fleetInstance('prod-mysql', 'eu-west-1', 'mysql', { env: 'prod' })],
};

async function daily(...args: string[]) {
  const io = bufferIo(AWS_RECORDED_AT, { ...process.env, COLUMNS: '120' });
  io.awsRetryStrategy = fastRetries;
  const code = await main(['node', 'dbsec', 'daily', '--only', 'daily.cpu', '--format', 'json', ...args], io);
  return { code, out: io.out(), err: io.err() };
}

describe('--all-instances', () => {
  it('reviews every PostgreSQL instance of the regions that carries the tags, describing each once', async () => {
    const endpoint = await useEndpoint({ instancesByRegion: FLEET, pageSize: 2 });
    const { out, err } = await daily('--all-instances', '--regions', 'us-east-1,eu-west-1', '--tag', 'env=prod');
    expect(err).toBe('');
    const report = JSON.parse(out) as Report;
    expect(report.targets.map((t) => [t.name, t.rdsInstance, t.region])).toEqual([
      ['us-east-1/prod-a', 'prod-a', 'us-east-1'],
      ['us-east-1/prod-c', 'prod-c', 'us-east-1'],
      ['eu-west-1/prod-b', 'prod-b', 'eu-west-1'],
    ]);
    expect(new Set(report.findings.map((f) => f.target))).toEqual(new Set(['us-east-1/prod-a', 'us-east-1/prod-c', 'eu-west-1/prod-b']));
    const listings = endpoint.requests.filter((r) => r.operation === 'DescribeDBInstances');
    // us-east-1 in two pages of two, eu-west-1 in one (the regions listed concurrently); no target described again
    expect(listings.map((r) => [r.region, r.input.DBInstanceIdentifier ?? null, r.input.Marker ?? null]).sort((a, b) => String(a).localeCompare(String(b)))).toEqual([
      ['eu-west-1', null, null],
      ['us-east-1', null, null],
      ['us-east-1', null, 'page-2'],
    ]);
    expect(listings[0]!.input).toMatchObject({ 'Filters.Filter.1.Name': 'engine', 'Filters.Filter.1.Values.Value.1': 'postgres', 'Filters.Filter.1.Values.Value.2': 'aurora-postgresql' });
  });

  it('takes name globs, "all" regions from EC2, and the connection template of the config', async () => {
    const endpoint = await useEndpoint({ instancesByRegion: FLEET });
    const config = join(mkdtempSync(join(tmpdir(), 'dbsec-discovery-')), 'dbsec.yaml');
    writeFileSync(config, stringify({ discovery: { databaseUrl: 'postgres://dbsec_auditor@{endpoint}:{port}/{db}?sslmode=verify-full' } }));
    const { out } = await daily('--all-instances', '--regions', 'all', '--name', 'prod-*', '--name', 'dev-a', '-c', config);
    const report = JSON.parse(out) as Report;
    expect(endpoint.count('DescribeRegions')).toBe(1);
    expect(report.targets.map((t) => [t.name, t.database])).toEqual([
      ['eu-west-1/prod-b', 'postgres://dbsec_auditor@prod-b.c1a2b3c4d5e6.eu-west-1.rds.amazonaws.com:5432/appdb?sslmode=verify-full'],
      ['us-east-1/prod-a', 'postgres://dbsec_auditor@prod-a.c1a2b3c4d5e6.us-east-1.rds.amazonaws.com:5432/appdb?sslmode=verify-full'],
      ['us-east-1/dev-a', 'postgres://dbsec_auditor@dev-a.c1a2b3c4d5e6.us-east-1.rds.amazonaws.com:5432/appdb?sslmode=verify-full'],
      ['us-east-1/prod-c', 'postgres://dbsec_auditor@prod-c.c1a2b3c4d5e6.us-east-1.rds.amazonaws.com:5432/appdb?sslmode=verify-full'],
    ]);
  });

  it('heads the table with the fleet: one row per target, worst first, a letter per check', async () => {
    await useEndpoint({ instancesByRegion: FLEET, alarms: { MetricAlarms: [] } });
    const io = bufferIo(AWS_RECORDED_AT, { ...process.env, COLUMNS: '80' });
    io.awsRetryStrategy = fastRetries;
    await main(['node', 'dbsec', 'daily', '--all-instances', '--regions', 'us-east-1,eu-west-1', '--tag', 'env=prod', '--only', 'daily.cpu,daily.cloudwatch-alarms', '--no-color'], io);
    const table = io.out();
    const summary = table.split('\n── ')[0]!;
    expect(summary).toMatch(/^ {21}1 {2}2$/m);
    expect(summary).toMatch(/^ {2}eu-west-1\/prod-b {3}M {2}M {2}2 monitor$/m);
    expect(summary).toMatch(/^ {2}1 daily\.cloudwatch-alarms · 2 daily\.cpu \(I investigate, M monitor, E error, -\n {2}skipped, ✓ ok\)$/m);
    expect(summary.split('\n').every((line) => line.length <= 80)).toBe(true);

    // the JSON report heads its findings with the same rows, for jq and CI
    const json = bufferIo(AWS_RECORDED_AT, process.env);
    json.awsRetryStrategy = fastRetries;
    await main(['node', 'dbsec', 'daily', '--all-instances', '--regions', 'us-east-1,eu-west-1', '--tag', 'env=prod', '--only', 'daily.cpu,daily.cloudwatch-alarms', '--format', 'json'], json);
    const report = JSON.parse(json.out()) as Report;
    expect(Object.keys(report).indexOf('fleet')).toBe(Object.keys(report).indexOf('findings') - 1);
    expect(report.fleet![0]).toEqual({ target: 'eu-west-1/prod-b', worst: 'monitor', counts: { ok: 0, monitor: 2, investigate: 0, skipped: 0, error: 0 }, checks: { 'daily.cloudwatch-alarms': 'monitor', 'daily.cpu': 'monitor' } });
    expect(report.fleet!.map((row) => row.target).sort()).toEqual(report.targets.map((t) => t.name).sort());
    expect(new Ajv({ strict: false }).validate(SCHEMA, report)).toBe(true);
  });

  it('reports a region it cannot list as an error of its own and reviews the others', async () => {
    const endpoint = await useEndpoint({ instancesByRegion: FLEET });
    endpoint.inject('DescribeDBInstances', 'access-denied', 1);
    const { code, out } = await daily('--all-instances', '--regions', 'us-east-1,eu-west-1', '--tag', 'env=prod');
    const report = JSON.parse(out) as Report;
    expect(code).toBe(3);
    expect(report.targets.map((t) => t.name)).toEqual(['eu-west-1/prod-b']);
    expect(report.findings.find((f) => f.checkId === 'discovery')).toMatchObject({ status: 'error', target: 'us-east-1', title: 'Instances in us-east-1 could not be listed', summary: expect.stringMatching(/^AWS denied rds:DescribeDBInstances .* Its instances were not reviewed\.$/) });
    // in the table's fleet summary the failed region is a row of its own, after the target with problems
    endpoint.inject('DescribeDBInstances', 'access-denied', 1);
    const io = bufferIo(AWS_RECORDED_AT, { ...process.env, COLUMNS: '100' });
    io.awsRetryStrategy = fastRetries;
    await main(['node', 'dbsec', 'daily', '--all-instances', '--regions', 'us-east-1,eu-west-1', '--tag', 'env=prod', '--only', 'daily.cpu', '--no-color'], io);
    const rows = io.out().split('\n── ')[0]!.split('\n').filter((line) => /^ {2}(eu-west-1\/prod-b|us-east-1) /.test(line));
    // columns: 1 daily.cpu, 2 discovery
    expect(rows).toEqual(['  eu-west-1/prod-b   M     1 monitor', '  us-east-1             E  1 error']);
  });

  it('assumes the role of each listed account, for the listing and for every call about its instances', async () => {
    const endpoint = await useEndpoint({
      instancesByRegion: { '111111111111:us-east-1': [fleetInstance('acct-a', 'us-east-1', 'postgres', { env: 'prod' })], '222222222222:us-east-1': [fleetInstance('acct-b', 'us-east-1')] },
      refusedRoles: ['arn:aws:iam::222222222222:role/dbsec-audit'],
    });
    const config = join(mkdtempSync(join(tmpdir(), 'dbsec-accounts-')), 'dbsec.yaml');
    writeFileSync(
      config,
      stringify({
        discovery: {
          regions: ['us-east-1'],
          accounts: [
            { id: '111111111111', roleArn: 'arn:aws:iam::111111111111:role/dbsec-audit', externalId: 'dbsec-ext-1' },
            { id: '222222222222', roleArn: 'arn:aws:iam::222222222222:role/dbsec-audit' },
          ],
        },
      }),
    );
    const { code, out } = await daily('--all-instances', '-c', config);
    const report = JSON.parse(out) as Report;
    expect(report.targets.map((t) => t.name)).toEqual(['111111111111/us-east-1/acct-a']);
    expect(report.findings.find((f) => f.checkId === 'discovery')).toMatchObject({ status: 'error', target: '222222222222/us-east-1', summary: expect.stringMatching(/^Cannot assume arn:aws:iam::222222222222:role\/dbsec-audit \(sts:AssumeRole\): .*not authorized to perform: sts:AssumeRole.*; check that the role trusts this caller\. Its instances were not reviewed\.$/) });
    expect(code).toBe(3);
    const assumed = endpoint.requests.filter((r) => r.operation === 'AssumeRole');
    expect(assumed[0]!.input).toMatchObject({ RoleArn: 'arn:aws:iam::111111111111:role/dbsec-audit', RoleSessionName: 'dbsec', ExternalId: 'dbsec-ext-1' });
    // the instance's own checks run in its account too
    const cpu = endpoint.requests.filter((r) => r.operation === 'GetMetricStatistics');
    expect(cpu.length).toBeGreaterThan(0);
    expect(cpu.every((r) => r.accessKeyId === 'ASIA111111111111')).toBe(true);
  });

  it("shares an account's role and each region's listings among its instances, and paces LookupEvents at 2 a second", async () => {
    const at = (hours: number) => new Date(AWS_RECORDED_AT.getTime() - hours * 3600_000);
    const endpoint = await useEndpoint({
      instancesByRegion: {
        '111111111111:us-east-1': ['fleet-a', 'fleet-b', 'fleet-c'].map((id) => fleetInstance(id, 'us-east-1')),
        '111111111111:eu-west-1': ['fleet-d', 'fleet-e'].map((id) => fleetInstance(id, 'eu-west-1')),
      },
      // one page per event: each region's RDS events take several LookupEvents calls
      pageSize: 1,
      trailEvents: ['fleet-a', 'fleet-b', 'fleet-c', 'fleet-a', 'fleet-d', 'fleet-e'].map((id, i) => trailEvent(`ev-${i}`, 'ModifyDBInstance', 'mallory', 'rds.amazonaws.com', id, false, at(i + 1))),
      alarms: { MetricAlarms: [{ AlarmName: 'fleet-a-cpu', StateValue: 'ALARM', StateReason: 'CPU above 80', MetricName: 'CPUUtilization' }, { AlarmName: 'fleet-d-cpu', StateValue: 'OK', StateReason: '', MetricName: 'CPUUtilization' }] },
    });
    const config = join(mkdtempSync(join(tmpdir(), 'dbsec-pool-')), 'dbsec.yaml');
    writeFileSync(config, stringify({ discovery: { regions: ['us-east-1', 'eu-west-1'], accounts: [{ id: '111111111111', roleArn: 'arn:aws:iam::111111111111:role/dbsec-audit' }] } }));
    const { out } = await daily('--all-instances', '-c', config, '--only', 'daily.cloudwatch-alarms,daily.cloudtrail-rds-changes');
    const report = JSON.parse(out) as Report;
    // each instance still sees only its own alarms and events
    const mine = (target: string, checkId: string) => report.findings.filter((f) => f.target === `111111111111/${target}` && f.checkId === checkId);
    expect(mine('us-east-1/fleet-a', 'daily.cloudwatch-alarms').map((f) => [f.status, f.resource])).toEqual([['investigate', 'fleet-a-cpu']]);
    expect(mine('eu-west-1/fleet-d', 'daily.cloudwatch-alarms').map((f) => [f.status, f.title])).toEqual([['ok', 'None of 1 alarms is in ALARM']]);
    expect(mine('us-east-1/fleet-a', 'daily.cloudtrail-rds-changes').map((f) => f.resource)).toEqual(['ev-3', 'ev-0']);
    expect(mine('eu-west-1/fleet-e', 'daily.cloudtrail-rds-changes').map((f) => f.resource)).toEqual(['ev-5']);
    // one AssumeRole for the account; per region one alarm listing (no prefix) and one read of its RDS events
    expect(endpoint.count('AssumeRole')).toBe(1);
    const asked = (operation: string) => endpoint.requests.filter((r) => r.operation === operation).map((r) => JSON.stringify([r.region, r.input]));
    for (const operation of ['DescribeAlarms', 'LookupEvents', 'DescribeDBInstances']) expect(new Set(asked(operation)).size, operation).toBe(asked(operation).length);
    expect(endpoint.requests.filter((r) => r.operation === 'DescribeAlarms').every((r) => r.input.AlarmNamePrefix === undefined)).toBe(true);
    // LookupEvents, per account and region: no third call within a second of the one two before it
    for (const region of ['us-east-1', 'eu-west-1']) {
      const times = endpoint.requests.filter((r) => r.operation === 'LookupEvents' && r.region === region).map((r) => r.receivedAt!);
      expect(times.length).toBeGreaterThan(3);
      for (let i = 2; i < times.length; i++) expect(times[i]! - times[i - 2]!).toBeGreaterThan(900);
    }
  });

  it('absorbs throttling across the fleet: every third request throttled, every target still reviewed', async () => {
    const endpoint = await useEndpoint({ instancesByRegion: FLEET });
    endpoint.throttleEvery = 3;
    const io = bufferIo(AWS_RECORDED_AT, process.env);
    // Enough attempts that a call whose every try lands on a throttled turn cannot run out of them (the turns are global).
    io.awsRetryStrategy = new ConfiguredRetryStrategy(10, () => 0);
    await main(['node', 'dbsec', 'daily', '--all-instances', '--regions', 'us-east-1,eu-west-1', '--only', 'daily.cpu,daily.cloudwatch-alarms', '--format', 'json'], io);
    const report = JSON.parse(io.out()) as Report;
    expect(report.targets).toHaveLength(4);
    expect(report.findings.filter((f) => f.status === 'error')).toEqual([]);
    expect(Math.floor(endpoint.requests.length / 3)).toBeGreaterThan(2);
  });

  it("reviews the organization's active accounts through the named role, and says so when it cannot list them", async () => {
    const endpoint = await useEndpoint({
      instancesByRegion: { '111111111111:us-east-1': [fleetInstance('org-a', 'us-east-1')], '222222222222:us-east-1': [fleetInstance('org-suspended', 'us-east-1')], '333333333333:us-east-1': [fleetInstance('org-c', 'us-east-1')] },
      organizationAccounts: [
        { Id: '123456789012', State: 'ACTIVE' },
        { Id: '111111111111', State: 'ACTIVE' },
        { Id: '222222222222', State: 'SUSPENDED' },
        { Id: '333333333333', State: 'ACTIVE' },
      ],
      pageSize: 1,
      refusedRoles: ['arn:aws:iam::333333333333:role/dbsec-audit'],
    });
    const config = join(mkdtempSync(join(tmpdir(), 'dbsec-org-')), 'dbsec.yaml');
    writeFileSync(config, stringify({ discovery: { regions: ['us-east-1'], organization: { roleName: 'dbsec-audit', externalId: 'org-ext', exclude: ['123456789012'] } } }));
    const { code, out } = await daily('--all-instances', '-c', config);
    const report = JSON.parse(out) as Report;
    expect(code).toBe(3);
    expect(report.targets.map((t) => t.name)).toEqual(['111111111111/us-east-1/org-a']);
    expect(report.findings.filter((f) => f.checkId === 'discovery').map((f) => f.target)).toEqual(['333333333333/us-east-1']);
    // four accounts in four pages; roles assumed in the two active ones left
    expect(endpoint.count('ListAccounts')).toBe(4);
    expect(endpoint.requests.filter((r) => r.operation === 'AssumeRole').map((r) => [r.input.RoleArn, r.input.ExternalId]).sort()).toEqual([
      ['arn:aws:iam::111111111111:role/dbsec-audit', 'org-ext'],
      ['arn:aws:iam::333333333333:role/dbsec-audit', 'org-ext'],
    ]);

    // Not the management account: one error finding, and the accounts listed by hand are still reviewed.
    endpoint.inject('ListAccounts', 'access-denied', 1);
    writeFileSync(config, stringify({ discovery: { regions: ['us-east-1'], organization: { roleName: 'dbsec-audit' }, accounts: [{ id: '111111111111', roleArn: 'arn:aws:iam::111111111111:role/dbsec-audit' }] } }));
    const denied = JSON.parse((await daily('--all-instances', '-c', config)).out) as Report;
    expect(denied.targets.map((t) => t.name)).toEqual(['111111111111/us-east-1/org-a']);
    expect(denied.findings.find((f) => f.checkId === 'discovery')).toMatchObject({ target: 'organization', summary: expect.stringMatching(/^AWS denied organizations:ListAccounts/), remediation: expect.stringMatching(/^Run from the management account/) });
  });

  it("connects to each instance with an IAM auth token signed by its account's role, never a password", async () => {
    await useEndpoint({ instancesByRegion: { '111111111111:eu-west-1': [fleetInstance('iam-a', 'eu-west-1')] } });
    const rds = await passwordCatcher();
    try {
      const config = join(mkdtempSync(join(tmpdir(), 'dbsec-iam-')), 'dbsec.yaml');
      writeFileSync(config, stringify({ discovery: { regions: ['eu-west-1'], iamAuth: true, accounts: [{ id: '111111111111', roleArn: 'arn:aws:iam::111111111111:role/dbsec-audit' }], databaseUrl: `postgres://dbsec_auditor@127.0.0.1:${rds.port}/{db}` } }));
      const { out } = await daily('--all-instances', '-c', config, '--only', 'daily.connections');
      const report = JSON.parse(out) as Report;
      expect(report.findings.map((f) => [f.status, f.summary])).toEqual([['error', `PostgreSQL at dbsec_auditor@127.0.0.1:${rds.port}/appdb refused the IAM auth token; grant rds_iam to the user and allow rds-db:connect on its dbuser ARN to the credentials dbsec runs with.`]]);
      // the token RDS would check: a SigV4 presigned connect for this host, port and user, in the instance's region and account
      const token = new URL(`https://${rds.passwords[0]}`);
      expect(`${token.host}${token.pathname}`).toBe(`127.0.0.1:${rds.port}/`);
      expect(Object.fromEntries(token.searchParams)).toMatchObject({ Action: 'connect', DBUser: 'dbsec_auditor', 'X-Amz-Algorithm': 'AWS4-HMAC-SHA256', 'X-Amz-Expires': '900', 'X-Amz-Security-Token': 'token-111111111111', 'X-Amz-Signature': expect.stringMatching(/^[0-9a-f]{64}$/) });
      expect(token.searchParams.get('X-Amz-Credential')).toMatch(/^ASIA111111111111\/\d{8}\/eu-west-1\/rds-db\/aws4_request$/);
      expect(out).not.toContain(rds.passwords[0]!.split('X-Amz-Signature=')[1]);
    } finally {
      await rds.stop();
    }
  });

  it('refuses, in one sentence with exit 2, a fleet that is empty or a target named beside it', async () => {
    await useEndpoint({ instancesByRegion: FLEET });
    const none = await daily('--all-instances', '--regions', 'eu-west-1', '--tag', 'env=staging');
    expect([none.code, none.err]).toEqual([2, 'dbsec: --all-instances found no RDS for PostgreSQL or Aurora PostgreSQL instance in eu-west-1 tagged env=staging.\n']);
    const both = await daily('--all-instances', '--rds-instance', 'prod-a');
    expect([both.code, both.err]).toEqual([2, 'dbsec: --all-instances finds its own targets: drop --rds-instance, --database-url, --log-file and --log-group.\n']);
    const tag = await daily('--all-instances', '--tag', 'env');
    expect([tag.code, tag.err]).toEqual([2, 'dbsec: --tag "env" must be KEY=VALUE, e.g. --tag env=prod.\n']);
  });
});
