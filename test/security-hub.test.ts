import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../src/cli.js';
import { AWS_RECORDED_AT, SANDBOX_INSTANCE } from '../src/sandbox/aws-scenario.js';
import type { Report } from '../src/report.js';
import { endpointLifecycle, useEndpoint } from './helpers/aws.js';
import { bufferIo } from './helpers/io.js';
import { fastRetries } from './helpers/run-check.js';

/**
 * --format asff and --security-hub through the real SDK clients (STS, Security Hub) against the local endpoint, which
 * answers BatchImportFindings as the service does and checks each finding for ASFF's required attributes and limits.
 * The AWS fixtures are served as recorded, so the clock is pinned to their recording; the story log is
 * fixtures/record-story.mjs (2026-11-30 ~17:15 UTC).
 */
endpointLifecycle();
const STORY = fileURLToPath(new URL('../fixtures/logs/activity/story-pg18.log', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'dbsec-securityhub-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function dbsec(at: Date, ...args: string[]) {
  const io = bufferIo(at, { ...process.env, COLUMNS: '120' });
  io.awsRetryStrategy = fastRetries;
  const code = await main(['node', 'dbsec', ...args], io);
  return { code, out: io.out(), err: io.err() };
}

describe('--format asff', () => {
  it("writes the findings in the AWS Security Finding Format, an RDS target's by its instance ARN", async () => {
    await useEndpoint();
    const { out } = await dbsec(AWS_RECORDED_AT, 'daily', '--rds-instance', SANDBOX_INSTANCE, '--region', 'us-east-1', '--only', 'daily.cloudtrail-rds-changes,daily.cpu', '--format', 'asff');
    const findings = JSON.parse(out);
    expect(findings.length).toBeGreaterThan(2);
    const trail = findings.find((f: any) => f.GeneratorId === 'dbsec/daily.cloudtrail-rds-changes' && f.Severity.Label === 'HIGH');
    expect(trail).toMatchObject({
      SchemaVersion: '2018-10-08',
      ProductArn: 'arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default',
      AwsAccountId: '123456789012',
      Types: ['Unusual Behaviors/Database'],
      Resources: [{ Type: 'AwsRdsDbInstance', Id: `arn:aws:rds:us-east-1:123456789012:db:${SANDBOX_INSTANCE}`, Region: 'us-east-1' }],
      Workflow: { Status: 'NEW' },
      Id: expect.stringMatching(/^dbsec\/[0-9a-f]{32}$/),
    });
    const cpu = findings.find((f: any) => f.GeneratorId === 'dbsec/daily.cpu');
    expect(cpu).toMatchObject({ Compliance: { Status: 'WARNING' }, Severity: { Label: 'MEDIUM', Original: 'monitor' }, Types: ['Software and Configuration Checks/Industry and Regulatory Standards/dbsec'] });
    expect(new Set(findings.map((f: any) => f.Id)).size).toBe(findings.length);
  });

  it('cannot be written without the AWS identity: one sentence, exit 2', async () => {
    const endpoint = await useEndpoint();
    endpoint.inject('GetCallerIdentity', 'expired', Infinity);
    const { code, err } = await dbsec(AWS_RECORDED_AT, 'activity', '--log-file', STORY, '--format', 'asff');
    expect(code).toBe(2);
    expect(err).toMatch(/^dbsec: AWS credentials have expired \(sts:GetCallerIdentity\): refresh them/);
    expect(err.split('\n').filter(Boolean)).toHaveLength(1);
  });
});

describe('--security-hub', () => {
  /** The story six times over: 144 findings, so two batches. */
  const repeated = join(dir, 'story-x6.log');
  writeFileSync(repeated, readFileSync(STORY, 'utf8').repeat(6));
  const AT = new Date('2026-11-30T23:00:00Z');

  it('imports every finding with a result, in batches of at most 100, retrying a throttled batch', async () => {
    const imported: Array<Record<string, any>> = [];
    const endpoint = await useEndpoint({ securityHubFindings: imported });
    endpoint.inject('BatchImportFindings', 'throttle', 1);
    const { code, out, err } = await dbsec(AT, 'activity', '--log-file', repeated, '--format', 'json', '--security-hub', '--region', 'eu-west-1');
    const report = JSON.parse(out) as Report;
    const sent = report.findings.filter((f) => f.status !== 'error' && f.status !== 'skipped');
    expect(sent.length).toBeGreaterThan(100);
    expect(code).toBe(1);
    const batches = endpoint.requests.filter((r) => r.operation === 'BatchImportFindings');
    // two batches, the first sent twice (throttled, then retried by the SDK)
    expect(batches.map((r) => r.input.Findings.length)).toEqual([100, 100, sent.length - 100]);
    expect(imported).toHaveLength(sent.length);
    expect(imported.every((f) => f.ProductArn === 'arn:aws:securityhub:eu-west-1:123456789012:product/123456789012/default')).toBe(true);
    expect(err).toBe(`dbsec: Security Hub (eu-west-1, account 123456789012) took ${sent.length} findings.\n`);
  });

  it('says which findings Security Hub refused, keeps the report, and costs the run its clean exit', async () => {
    const first = JSON.parse((await dbsec(AT, 'activity', '--log-file', STORY, '--format', 'json')).out) as Report;
    const refused = `dbsec/${first.findings.find((f) => f.checkId === 'activity.coverage')!.fingerprint}`;
    await useEndpoint({ securityHubRefuses: [refused] });
    const { code, out, err } = await dbsec(AT, 'activity', '--log-file', STORY, '--format', 'json', '--security-hub', '--fail-on', 'never');
    expect(code).toBe(2);
    expect(JSON.parse(out).findings).toHaveLength(first.findings.length);
    expect(err).toContain(`dbsec: Security Hub refused 1 of ${first.findings.length} findings, the first ${refused}: InvalidInput the product is not enabled for this finding.`);
  });

  it('a call that fails is one sentence; the report is still written', async () => {
    const endpoint = await useEndpoint();
    endpoint.inject('BatchImportFindings', 'access-denied', Infinity);
    const file = join(dir, 'kept.json');
    const { code, err } = await dbsec(AT, 'activity', '--log-file', STORY, '--format', 'json', '-o', file, '--quiet', '--security-hub');
    expect(code).toBe(2);
    expect(err).toMatch(/^dbsec: AWS denied securityhub:BatchImportFindings \(AccessDeniedException\): allow this action .* The findings were not sent to Security Hub\.$/m);
    expect(JSON.parse(readFileSync(file, 'utf8')).command).toBe('activity');
  });
});
