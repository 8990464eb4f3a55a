import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import ddl from '../../src/checks/weekly/ddl-statements.js';
import { createRoles, ROLES } from '../../src/sandbox/pg-scenario.js';
import { SANDBOX_INSTANCE } from '../../src/sandbox/aws-scenario.js';
import { runCheck, statuses } from '../helpers/run-check.js';
import { logSince, logSize, servers, sql } from '../helpers/servers.js';
import { endpointLifecycle, useEndpoint } from '../helpers/aws.js';
import type { SandboxPostgres } from '../../src/sandbox/postgres.js';
import { writeQuietLog } from '../helpers/quiet-log.js';

const dir = mkdtempSync(join(tmpdir(), 'dbsec-ddl-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
endpointLifecycle();

async function as(server: SandboxPostgres, user: string, password: string, text: string): Promise<void> {
  const client = new pg.Client(server.url({ user, password, database: 'ddl_review' }));
  await client.connect();
  await client.query(text).finally(() => client.end());
}

describe.each(servers().map((server) => [server.flavor, server] as const))('weekly.ddl-statements on %s', (flavor, server) => {
  const auditor = () => server.url({ user: ROLES.auditor.name, password: ROLES.auditor.password });
  const setLogStatement = async (value: string) => {
    await sql(server, `ALTER SYSTEM SET log_statement = '${value}'`);
    await sql(server, 'SELECT pg_reload_conf()');
    await new Promise((resolve) => setTimeout(resolve, 200));
  };

  beforeAll(async () => {
    await createRoles(server);
    await sql(server, 'DROP DATABASE IF EXISTS ddl_review');
    await sql(server, `CREATE DATABASE ddl_review OWNER ${ROLES.app.name}`);
    await setLogStatement('mod');
  });
  afterAll(async () => {
    await setLogStatement('none');
  });

  it('finds real DROP, ALTER and TRUNCATE by a role outside the allow-list as investigate, and accepts the migration role', async () => {
    const mark = await logSize(server);
    await as(server, ROLES.app.name, ROLES.app.password, 'CREATE TABLE t1 (id int)');
    await as(server, ROLES.app.name, ROLES.app.password, 'ALTER TABLE t1 ADD COLUMN note text');
    await as(server, ROLES.app.name, ROLES.app.password, 'TRUNCATE t1; DROP TABLE t1');
    const log = await logSince(server, mark, join(dir, `${flavor}-ddl.log`));
    const findings = await runCheck(ddl, { databaseUrl: auditor(), logFiles: [log] }, { allowRoles: ['migrator'] });
    expect(findings.map((f) => f.value)).toEqual(['ALTER TABLE', 'TRUNCATE TABLE', 'DROP TABLE']);
    expect(new Set(statuses(findings))).toEqual(new Set(['investigate']));
    expect(findings[0]!.evidence[0]).toMatchObject({ user: ROLES.app.name, database: 'ddl_review', client: '127.0.0.1' });
    const allowed = await runCheck(ddl, { databaseUrl: auditor(), logFiles: [log] }, { allowRoles: [ROLES.app.name] });
    expect(allowed).toHaveLength(1);
    expect(allowed[0]).toMatchObject({ status: 'ok', title: '3 DDL statements, all by allow-listed roles' });
  });

  it('reads the same statements from CloudWatch Logs', async () => {
    const mark = await logSize(server);
    await as(server, ROLES.app.name, ROLES.app.password, 'CREATE TABLE t2 (id int); DROP TABLE t2');
    await useEndpoint({ logFile: await logSince(server, mark, join(dir, `${flavor}-cw.log`)) });
    const findings = await runCheck(ddl, { rdsInstance: SANDBOX_INSTANCE });
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ status: 'investigate', value: 'DROP TABLE' });
  });

  it('is ok on a quiet log and says that ddl logging misses TRUNCATE', async () => {
    await setLogStatement('ddl');
    try {
      const empty = join(dir, 'quiet.log');
      writeQuietLog(empty);
      const findings = await runCheck(ddl, { databaseUrl: auditor(), logFiles: [empty] });
      expect(findings[0]).toMatchObject({ status: 'ok', summary: 'log_statement = ddl: TRUNCATE is not logged (it needs mod or all).' });
    } finally {
      await setLogStatement('mod');
    }
  });

  it('is an error, not a quiet ok, when the server logs no statements at all', async () => {
    await setLogStatement('none');
    try {
      const findings = await runCheck(ddl, { databaseUrl: auditor(), logFiles: [join(dir, 'quiet.log')] });
      expect(findings[0]!.status).toBe('error');
      expect(findings[0]!.summary).toMatch(/log_statement = none and without pgaudit/);
    } finally {
      await setLogStatement('mod');
    }
  });
});
