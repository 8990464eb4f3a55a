import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { SANDBOX_INSTANCE, sandboxAwsEnv, sandboxEndpoint } from '../src/sandbox/aws-scenario.js';
import type { AwsEndpoint } from '../src/sandbox/aws-endpoint.js';
import { createRoles } from '../src/sandbox/pg-scenario.js';
import { servers, sql } from './helpers/servers.js';
import { runCli } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'dbsec-incident-'));
const server = servers()[0]!;
let endpoint: AwsEndpoint;
let env: Record<string, string>;

function dbsec(args: string[]) {
  return runCli(args, { PATH: process.env.PATH!, HOME: dir, ...env });
}

const target = () => ['--rds-instance', SANDBOX_INSTANCE, '--database-url', server.url()];

beforeAll(async () => {
  await createRoles(server);
  await sql(server, `DROP ROLE IF EXISTS inc_mallory; CREATE ROLE inc_mallory LOGIN PASSWORD 'm4llory'`);
  endpoint = sandboxEndpoint({ now: new Date(), logFile: server.logFile, snapshotDelayMs: 1500 });
  env = { ...sandboxAwsEnv(await endpoint.start()), AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', AWS_CONFIG_FILE: '/nonexistent', AWS_EC2_METADATA_DISABLED: 'true' };
});

afterAll(async () => {
  await endpoint.stop();
  await sql(server, `DROP ROLE IF EXISTS inc_mallory`);
  rmSync(dir, { recursive: true, force: true });
});

describe('dbsec incident', () => {
  const out = join(dir, 'INC-7');

  it('start preserves every item, seals it, and with --execute waits for the RDS snapshot', async () => {
    const dry = await dbsec(['incident', 'start', '--id', 'INC-6', '-o', join(dir, 'INC-6'), ...target()]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/snapshot {3}dry run: would create the RDS snapshot incident-INC-6-\d{8}-\d{6} of dbsec-demo-db; add --execute/);
    const run = await dbsec(['incident', 'start', '--id', 'INC-7', '--severity', 'critical', '-o', out, '--execute', ...target()]);
    expect(run.code).toBe(0);
    expect(run.stdout.match(/^ {2}collected /gm)).toHaveLength(10);
    const incident = JSON.parse(readFileSync(join(out, 'incident.json'), 'utf8'));
    expect(incident).toMatchObject({ incident: 'INC-7', severity: 'critical', snapshot: { status: 'available', id: expect.stringMatching(/^incident-INC-7-\d{8}-\d{6}$/) } });
    expect(endpoint.count('CreateDBSnapshot')).toBe(1);
    expect(endpoint.count('DescribeDBSnapshots')).toBeGreaterThanOrEqual(2);
    expect(readFileSync(join(out, 'MANIFEST.sha256'), 'utf8')).toMatch(/ {2}baseline\.json\n[\s\S]* {2}incident\.json\n[\s\S]* {2}sessions\.json\n/);
    expect(readFileSync(join(out, 'sessions.json'), 'utf8')).not.toContain('m4llory');
  });

  it('contain shows the steps, refuses to act unconfirmed, then terminates, locks and revokes, each logged', async () => {
    const sessions = await Promise.all(
      [1, 2, 3].map(async () => {
        const c = new pg.Client(server.url({ user: 'inc_mallory', password: 'm4llory' }));
        c.on('error', () => undefined);
        await c.connect();
        return c;
      }),
    );
    const args = ['incident', 'contain', out, '--id', 'INC-7', '--user', 'inc_mallory', '--revoke-cidr', '0.0.0.0/0', ...target()];
    const dry = await dbsec(args);
    expect(dry.stdout).toContain('  - ALTER ROLE "inc_mallory" NOLOGIN\n');
    expect(dry.stdout).toContain('Dry run: add --execute');
    expect(await dbsec([...args, '--execute'])).toMatchObject({ code: 2, stderr: expect.stringContaining('pass --yes in scripts') });
    const run = await dbsec([...args, '--execute', '--yes']);
    expect(run.stdout).toContain('terminated 3 of 3 sessions');
    expect(run.stdout).toContain('inc_mallory can no longer log in (NOLOGIN)');
    expect(run.stdout).toContain('revoked 1 security group rule admitting 0.0.0.0/0');
    expect((await sql(server, `SELECT rolcanlogin FROM pg_roles WHERE rolname = 'inc_mallory'`)).rows[0].rolcanlogin).toBe(false);
    const revoke = endpoint.requests.find((r) => r.operation === 'RevokeSecurityGroupIngress')!;
    expect(revoke.input).toMatchObject({ GroupId: 'sg-0a1b2c3d4e5f60718', 'IpPermissions.1.IpRanges.1.CidrIp': '0.0.0.0/0', 'IpPermissions.1.FromPort': '5432' });
    const actions = readFileSync(join(out, 'actions.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(actions.map((a) => a.action)).toEqual(['rds:CreateDBSnapshot', 'pg_terminate_backend', 'pg_terminate_backend', 'pg_terminate_backend', 'ALTER ROLE NOLOGIN', 'ec2:RevokeSecurityGroupIngress']);
    await Promise.all(sessions.map((c) => c.end().catch(() => undefined)));
  });

  it('report writes the timeline and the checklists, marking what dbsec verified', async () => {
    const run = await dbsec(['incident', 'report', out, '--id', 'INC-7']);
    expect(run.code).toBe(0);
    const text = readFileSync(join(out, 'incident-report.md'), 'utf8');
    expect(text).toContain('# Incident INC-7 (critical)');
    expect(text).toContain('- Evidence seal (MANIFEST.sha256): intact');
    expect(text).toMatch(/- \[x\] Current state secured .*verified by dbsec: \d+ files sealed/);
    expect(text).toMatch(/- \[x\] Restoration point secured .*snapshot incident-INC-7-/);
    expect(text).toMatch(/- \[x\] Phase 2, containment: .*6 actions in actions\.jsonl/);
    expect(text).toMatch(/- \[ \] Software checksums compared \(not verified by dbsec/);
    expect(text).toContain('- [x] Rights of system tables examined (verified by dbsec: every system object grants what a fresh cluster grants)');
    expect(text).toContain('| action ALTER ROLE NOLOGIN \\{"role":"inc\\_mallory"\\}: inc\\_mallory can no longer log in (NOLOGIN) |');
    expect(text).toContain('- inc\\_mallory');
  });

  it('notify tells the users through the webhook, records each notice, and the report checks "Users informed"', async () => {
    const { createServer } = await import('node:http');
    const received: Array<Record<string, unknown>> = [];
    const replies = [200, 404];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push(JSON.parse(body));
        res.writeHead(replies.shift() ?? 404).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const hook = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/services/T000/B000/secret-token`;
    try {
      const message = 'The reporting database is being examined; reports may be late until 14:00 UTC.';
      const sent = await dbsec(['incident', 'notify', out, '--id', 'INC-7', '--notify', hook, '--message', message]);
      expect(sent).toMatchObject({ code: 0, stdout: `Notice for INC-7 sent to ${new URL(hook).origin}/… and recorded in ${join(out, 'actions.jsonl')}.\n` });
      expect(received[0]).toMatchObject({ text: `[INC-7] ${message}`, incident: 'INC-7', message });
      // a refused notice is one sentence, exit 2, and recorded as failed; the webhook's secret path never shows
      const refused = await dbsec(['incident', 'notify', out, '--id', 'INC-7', '--notify', hook, '--message', 'Still under examination.']);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/^dbsec: The notification to http:\/\/127\.0\.0\.1:\d+\/… failed: HTTP 404; .* recorded in .*actions\.jsonl as failed; run it again\.\n$/);
      const log = readFileSync(join(out, 'actions.jsonl'), 'utf8');
      expect(log).not.toContain('secret-token');
      expect(log.trim().split('\n').slice(-2).map((l) => [JSON.parse(l).action, JSON.parse(l).result.slice(0, 6)])).toEqual([['notify users', 'sent'], ['notify users', 'failed']]);
      expect(await dbsec(['incident', 'notify', out, '--id', 'INC-9', '--notify', hook, '--message', 'x'])).toMatchObject({ code: 2, stderr: `dbsec: ${out} holds incident INC-7, not INC-9: check --id and the directory.\n` });
      expect((await dbsec(['incident', 'report', out, '--id', 'INC-7'])).code).toBe(0);
      expect(readFileSync(join(out, 'incident-report.md'), 'utf8')).toMatch(/- \[x\] Users informed .*1 notice\(s\), the last at 20\d\d-/);
    } finally {
      receiver.close();
    }
  });

  it('start on a self-hosted server: the AWS items are n/a, not missing, and the exit code stays 0', async () => {
    const run = await dbsec(['incident', 'start', '--id', 'INC-8', '-o', join(dir, 'INC-8'), '--database-url', server.url()]);
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain('MISSING');
    expect(run.stdout).toMatch(/^ {2}n\/a {8}\S+ {2}no RDS instance/m);
    expect(run.stdout).toMatch(/^ {2}collected /m);
  });

  it('verify names the files written after the seal apart, and a changed file as tampering', async () => {
    const clean = await dbsec(['incident', 'verify', out]);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain('after the seal (not evidence): actions.jsonl');
    appendFileSync(join(out, 'sessions.json'), ' ');
    const tampered = await dbsec(['incident', 'verify', out]);
    expect(tampered).toMatchObject({ code: 1, stdout: expect.stringContaining('CHANGED  sessions.json') });
    expect(await dbsec(['incident', 'start', '--id', 'INC-7', '-o', out, ...target()])).toMatchObject({ code: 2, stderr: expect.stringContaining('evidence is never overwritten') });
  });
});
