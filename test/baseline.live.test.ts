import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { servers, sql } from './helpers/servers.js';

const BIN = new URL('../bin/dbsec', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'dbsec-baseline-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function dbsec(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH!, HOME: dir, ...env }, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const KEY = { BASELINE_KEY: 'k3y-for-tests' };

describe.each(servers().map((server) => [server.flavor, server] as const))('dbsec baseline on %s', (flavor, server) => {
  const db = 'baseline_db';
  const url = server.url({ database: db });
  const inDb = (text: string) => sql({ ...server, url: (o = {}) => server.url({ ...o, database: db }) }, text);
  const file = join(dir, `${flavor}.json`);

  beforeAll(async () => {
    await sql(server, `DROP DATABASE IF EXISTS ${db}`);
    await sql(server, `DROP ROLE IF EXISTS bl_newcomer`);
    await sql(server, `CREATE DATABASE ${db}`);
    await inDb(`CREATE TABLE accounts (id int); CREATE FUNCTION balance(int) RETURNS int LANGUAGE sql AS $$ SELECT 1 $$`);
  });

  afterAll(async () => {
    await sql(server, `ALTER SYSTEM RESET log_min_duration_statement`);
    await sql(server, `SELECT pg_reload_conf()`);
    await sql(server, `DROP DATABASE IF EXISTS ${db}`);
    await sql(server, `DROP ROLE IF EXISTS bl_newcomer`);
  });

  it('captures a stable, hashed, signed snapshot and finds nothing changed right after', async () => {
    const run = await dbsec(['baseline', 'capture', '--database-url', url, '-o', file, '--sign-key-env', 'BASELINE_KEY'], KEY);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/functions, .* roles, .* grants, .* settings, .* pg_hba rules; SHA-256 [0-9a-f]{64}, signed\.\n$/);
    const baseline = JSON.parse(readFileSync(file, 'utf8'));
    expect(baseline.content.functions['public.balance(integer)']).toMatchObject({ language: 'sql', securityDefiner: false, bodySha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const again = join(dir, `${flavor}-again.json`);
    await dbsec(['baseline', 'capture', '--database-url', url, '-o', again]);
    expect(JSON.parse(readFileSync(again, 'utf8')).contentSha256).toBe(baseline.contentSha256);
    const diff = await dbsec(['baseline', 'diff', file, '--database-url', url, '--sign-key-env', 'BASELINE_KEY', '--format', 'json'], KEY);
    expect(diff.code).toBe(0);
    expect(JSON.parse(diff.stdout).findings.map((f: { status: string; title: string }) => [f.status, f.title])).toEqual([['ok', 'Nothing changed since the baseline']]);
  });

  it('names each real change and nothing else', async () => {
    await inDb(`CREATE OR REPLACE FUNCTION balance(int) RETURNS int LANGUAGE sql AS $$ SELECT 2 $$`);
    await inDb(`GRANT SELECT ON accounts TO PUBLIC`);
    await sql(server, `CREATE ROLE bl_newcomer LOGIN`);
    await sql(server, `ALTER SYSTEM SET log_min_duration_statement = 1234`);
    await sql(server, `SELECT pg_reload_conf()`);
    await new Promise((r) => setTimeout(r, 300));
    const diff = await dbsec(['baseline', 'diff', file, '--database-url', url, '--sign-key-env', 'BASELINE_KEY', '--format', 'json'], KEY);
    const findings = JSON.parse(diff.stdout).findings;
    expect(findings.map((f: { status: string; resource: string }) => [f.status, f.resource]).sort()).toEqual(
      [
        ['investigate', 'functions public.balance(integer)'],
        ['investigate', 'acls table accounts PUBLIC SELECT'],
        ['monitor', 'roles bl_newcomer'],
        ['investigate', 'settings log_min_duration_statement'],
      ].sort(),
    );
    const setting = findings.find((f: { resource: string }) => f.resource === 'settings log_min_duration_statement');
    expect([setting.expected, setting.value]).toEqual(['value=-1', 'value=1234']);
    expect(diff.code).toBe(1);
  });

  it('refuses a tampered or forged baseline in one sentence', async () => {
    const baseline = JSON.parse(readFileSync(file, 'utf8'));
    const tampered = join(dir, `${flavor}-tampered.json`);
    baseline.content.functions['public.balance(integer)'].bodySha256 = '0'.repeat(64);
    writeFileSync(tampered, JSON.stringify(baseline));
    const run = await dbsec(['baseline', 'diff', tampered, '--database-url', url]);
    expect(run).toMatchObject({ code: 2, stderr: expect.stringContaining('was changed after it was captured') });
    // a forger who also recomputes the hash is caught by the signature
    const { createHash } = await import('node:crypto');
    const { canonical } = await import('../src/seal.js');
    baseline.contentSha256 = createHash('sha256').update(canonical(baseline.content)).digest('hex');
    writeFileSync(tampered, JSON.stringify(baseline));
    expect((await dbsec(['baseline', 'diff', tampered, '--database-url', url])).code).not.toBe(2);
    const forged = await dbsec(['baseline', 'diff', tampered, '--database-url', url, '--sign-key-env', 'BASELINE_KEY'], KEY);
    expect(forged).toMatchObject({ code: 2, stderr: expect.stringContaining('signature that does not match the key') });
  });
});

describe('dbsec baseline with an RDS instance', () => {
  it('captures the parameter group and reports a parameter that moved', async () => {
    const { sandboxEndpoint, sandboxAwsEnv, SANDBOX_INSTANCE } = await import('../src/sandbox/aws-scenario.js');
    const [server] = servers();
    const run = async (parameters: Record<string, string | null>, args: string[]) => {
      const endpoint = sandboxEndpoint({ now: new Date(), parameters });
      const url = await endpoint.start();
      try {
        return await dbsec(args, { ...sandboxAwsEnv(url), AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', AWS_CONFIG_FILE: '/nonexistent', AWS_EC2_METADATA_DISABLED: 'true' });
      } finally {
        await endpoint.stop();
      }
    };
    const file = join(dir, 'rds.json');
    await run({}, ['baseline', 'capture', '--database-url', server!.url(), '--rds-instance', SANDBOX_INSTANCE, '-o', file]);
    expect(JSON.parse(readFileSync(file, 'utf8')).content.rdsParameters['rds.force_ssl']).toEqual({ value: '1' });
    const diff = await run({ 'rds.force_ssl': '0' }, ['baseline', 'diff', file, '--database-url', server!.url(), '--rds-instance', SANDBOX_INSTANCE, '--format', 'json']);
    expect(JSON.parse(diff.stdout).findings.map((f: { resource: string; summary: string }) => [f.resource, f.summary])).toEqual([['rdsParameters rds.force_ssl', 'Moved from 1 to 0.']]);
  });
});

describe('dbsec baseline diff of two files', () => {
  it('compares baselines of different majors with a warning, not an error', async () => {
    const [a, b] = servers();
    const fileA = join(dir, 'major-a.json');
    const fileB = join(dir, 'major-b.json');
    await dbsec(['baseline', 'capture', '--database-url', a!.url(), '-o', fileA]);
    await dbsec(['baseline', 'capture', '--database-url', b!.url(), '-o', fileB]);
    const run = await dbsec(['baseline', 'diff', fileA, fileB, '--format', 'json']);
    expect(run.stderr).toMatch(/warning: the baseline is from PostgreSQL \d+\.\d+ and is compared with \d+\.\d+/);
    expect(JSON.parse(run.stdout).command).toBe('baseline diff');
    expect([0, 1]).toContain(run.code);
    const bad = await dbsec(['baseline', 'diff', join(dir, 'nope.json'), fileB]);
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringContaining('no such file') });
  });
});
