import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres, type SandboxPostgres } from '../src/sandbox/postgres.js';
import { createRoles, ROLES } from '../src/sandbox/pg-scenario.js';
import { servers, sql } from './helpers/servers.js';

const BIN = new URL('../bin/dbsec', import.meta.url).pathname;
const TDENGINE = new URL('../fixtures/tdengine/', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'dbsec-config-review-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function dbsec(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH!, HOME: dir }, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const byItem = (stdout: string) => Object.fromEntries(JSON.parse(stdout).findings.map((f: { checkId: string; status: string }) => [f.checkId.replace(/^config\./, ''), f.status]));

describe('dbsec config on PostgreSQL', () => {
  let good: SandboxPostgres;
  beforeAll(async () => {
    // A server configured as the baseline wants it: TLS 1.2+, the logging collector, DDL logged.
    good = await startPostgres({ flavor: 'debian-15', ssl: true, settings: { logging_collector: 'on', log_statement: 'ddl', ssl_min_protocol_version: 'TLSv1.2' } });
  }, 60_000);
  afterAll(() => good?.stop());

  it('passes every item on a well-configured server', async () => {
    const run = await dbsec(['config', '--database-url', good.url(), '--format', 'json']);
    const statuses = byItem(run.stdout);
    expect(Object.entries(statuses).filter(([, s]) => s !== 'ok')).toEqual([]);
    expect(Object.keys(statuses)).toHaveLength(19);
    expect(run.code).toBe(0);
  });

  it('names each weakness of a badly configured database, with the fix', async () => {
    const [server] = servers();
    const db = 'config_bad';
    const url = server!.url({ database: db });
    await sql(server!, `DROP DATABASE IF EXISTS ${db}`);
    await sql(server!, `CREATE DATABASE ${db}`);
    await sql(server!, `ALTER DATABASE ${db} SET password_encryption = 'md5'`);
    const inDb = (text: string) => sql({ ...server!, url: (o = {}) => server!.url({ ...o, database: db }) }, text);
    await inDb(`GRANT CREATE ON SCHEMA public TO PUBLIC; CREATE FUNCTION owner_only() RETURNS int LANGUAGE sql SECURITY DEFINER AS $$ SELECT 1 $$`);
    try {
      const run = await dbsec(['config', '--database-url', url, '--format', 'json']);
      const statuses = byItem(run.stdout);
      expect(statuses).toMatchObject({
        'auth.password-encryption': 'investigate',
        'priv.public-schema-create': 'investigate',
        'priv.security-definer-search-path': 'investigate',
        'log.statements': 'investigate',
        'log.collector': 'monitor',
        'auth.hba-weak-rules': 'ok',
      });
      const finding = JSON.parse(run.stdout).findings.find((f: { checkId: string }) => f.checkId === 'config.priv.security-definer-search-path');
      expect(finding).toMatchObject({ value: 'owner_only()', remediation: expect.stringContaining('SET search_path') });
      // A title states the good state; one not met says so instead of reading backwards ("…: md5" as if it were the state).
      expect(JSON.parse(run.stdout).findings.find((f: { checkId: string }) => f.checkId === 'config.auth.password-encryption').title).toMatch(/: not met \(found md5\)$/);
      expect(run.code).toBe(1);
    } finally {
      await sql(server!, `DROP DATABASE IF EXISTS ${db}`);
    }
  });

  it('skips what needs privileges dbsec lacks, naming the grant', async () => {
    const [server] = servers();
    await createRoles(server!);
    const run = await dbsec(['config', '--database-url', server!.url({ user: ROLES.auditor.name, password: ROLES.auditor.password }), '--format', 'json']);
    const findings = JSON.parse(run.stdout).findings;
    expect(findings.find((f: { checkId: string }) => f.checkId === 'config.auth.md5-passwords')).toMatchObject({ status: 'skipped', summary: 'Skipped: needs superuser (pg_authid holds the password hashes).' });
    expect(findings.find((f: { checkId: string }) => f.checkId === 'config.auth.hba-weak-rules').summary).toContain('GRANT SELECT ON pg_hba_file_rules');
  });

  it('uses a baseline the user changed, and refuses a broken one in one sentence', async () => {
    const printed = await dbsec(['config', '--print-baseline']);
    const mine = join(dir, 'mine.yaml');
    writeFileSync(mine, printed.stdout.replace('expect: { equals: "on" }\n    level: monitor\n    why: without the collector', 'expect: { equals: "off" }\n    level: monitor\n    why: without the collector'));
    const run = await dbsec(['config', '--database-url', servers()[0]!.url(), '--baseline', mine, '--format', 'json']);
    expect(byItem(run.stdout)['log.collector']).toBe('ok');
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'engine: postgresql\nitems:\n  - id: x\n    section: s\n    title: t\n    read: { setting: ssl }\n    expect: { equal: "on" }\n    level: high\n    why: w\n    fix: f\n');
    const bad = await dbsec(['config', '--database-url', servers()[0]!.url(), '--baseline', broken]);
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringMatching(/^dbsec: Baseline .*broken.yaml: items\.0\.expect: /) });
  });
});

describe('dbsec config --engine tdengine', () => {
  const files = (kind: string) => ['taos.cfg', 'taosadapter.toml', 'taoskeeper.toml'].flatMap((f) => ['--file', join(TDENGINE, kind, f)]);

  it('passes a hardened taos.cfg, taosadapter.toml and taoskeeper.toml', async () => {
    const run = await dbsec(['config', '--engine', 'tdengine', ...files('good'), '--format', 'json']);
    expect(Object.entries(byItem(run.stdout)).filter(([, s]) => s !== 'ok')).toEqual([]);
    expect(run.code).toBe(0);
  });

  it('finds default credentials, no TLS, trace logging and the shipped defaults', async () => {
    const run = await dbsec(['config', '--engine', 'tdengine', ...files('bad'), '--format', 'json']);
    expect(byItem(run.stdout)).toEqual({
      'td.default-password': 'investigate',
      'td.adapter-tls': 'investigate',
      'td.audit': 'investigate',
      'td.keeper-tls': 'monitor',
      'td.adapter-cors': 'monitor',
      'td.adapter-debug': 'monitor',
      'td.adapter-log-level': 'monitor',
      'td.adapter-log-retention': 'monitor',
      'td.adapter-telnet': 'monitor',
      'td.monitor': 'monitor',
      'td.log-retention': 'monitor',
      'td.debug-flag': 'monitor',
      'td.core-files': 'monitor',
      'td.max-connections': 'monitor',
    });
    expect(run.code).toBe(1);
  });

  it('skips the items of files not given, and refuses a broken TOML file', async () => {
    const run = await dbsec(['config', '--engine', 'tdengine', '--file', join(TDENGINE, 'good', 'taos.cfg'), '--format', 'json']);
    const findings = JSON.parse(run.stdout).findings;
    expect(findings.filter((f: { status: string }) => f.status === 'skipped').map((f: { summary: string }) => f.summary)).toContain('Skipped: pass --file taosadapter.toml to review it.');
    const broken = join(dir, 'taosadapter.toml');
    writeFileSync(broken, '[ssl\nenable = true\n');
    const bad = await dbsec(['config', '--engine', 'tdengine', '--file', broken]);
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringContaining('is not valid TOML') });
    expect((await dbsec(['config', '--engine', 'tdengine'])).stderr).toContain('Pass the TDengine files to review');
  });
});
