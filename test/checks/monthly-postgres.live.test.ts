import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import accessControl from '../../src/checks/monthly/access-control.js';
import encryption from '../../src/checks/monthly/encryption.js';
import loggingConfig from '../../src/checks/monthly/logging-config.js';
import logSummary from '../../src/checks/monthly/log-summary.js';
import { createRoles, failLogins, ROLES } from '../../src/sandbox/pg-scenario.js';
import { runCheck, statuses } from '../helpers/run-check.js';
import { logSince, logSize, servers, sql } from '../helpers/servers.js';

const dir = mkdtempSync(join(tmpdir(), 'dbsec-monthly-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const RECORDED_LOG = new URL('../../fixtures/logs/rds-prefix-pg18.log', import.meta.url).pathname;

describe.each(servers().map((server) => [server.flavor, server] as const))('monthly PostgreSQL checks on %s', (flavor, server) => {
  const db = 'monthly_pg';
  const asAuditor = () => ({ databaseUrl: server.url({ user: ROLES.auditor.name, password: ROLES.auditor.password, database: db }) });
  const asSuperuser = () => ({ databaseUrl: server.url({ database: db }) });
  const inDb = (text: string) => sql({ ...server, url: (o = {}) => server.url({ ...o, database: db }) }, text);

  beforeAll(async () => {
    await createRoles(server);
    await sql(server, `DROP DATABASE IF EXISTS ${db}`);
    await sql(server, `DROP ROLE IF EXISTS mc_app`);
    await sql(server, `DROP ROLE IF EXISTS mc_granter`);
    await sql(server, `CREATE DATABASE ${db}`);
    await sql(server, `CREATE ROLE mc_app LOGIN PASSWORD 'mc'`);
    await inDb(`CREATE TABLE orders (id int); CREATE TABLE invoices (id int); GRANT SELECT, INSERT, UPDATE, DELETE ON orders, invoices TO mc_app`);
  });

  afterAll(async () => {
    await sql(server, `DROP DATABASE IF EXISTS ${db}`);
    await sql(server, `DROP ROLE IF EXISTS mc_app`);
  });

  describe('monthly.access-control', () => {
    it('is ok when the application role holds only its allowed privileges', async () => {
      const findings = await runCheck(accessControl, asAuditor(), { applicationRole: 'mc_app' });
      expect(statuses(findings)).toEqual(['ok']);
      expect(findings[0]!.summary).toContain('mc_app holds only SELECT, INSERT, UPDATE, DELETE on 2 tables');
    });

    it('rates extra privileges and ownership of the application role as monitor', async () => {
      await inDb(`GRANT REFERENCES ON orders TO mc_app; CREATE TABLE app_owned (id int); ALTER TABLE app_owned OWNER TO mc_app`);
      try {
        const findings = await runCheck(accessControl, asAuditor(), { applicationRole: 'mc_app' });
        expect(findings.map((f) => [f.status, f.title])).toEqual([
          ['monitor', 'Application role mc_app owns 1 table'],
          ['monitor', 'Application role mc_app has REFERENCES on 1 table'],
        ]);
        expect(findings[1]!.evidence).toEqual([{ table: 'orders', privilege: 'REFERENCES' }]);
      } finally {
        await inDb(`REVOKE REFERENCES ON orders FROM mc_app; DROP TABLE app_owned`);
      }
    });

    it('rates CREATE for PUBLIC, TRUNCATE and CREATEDB of the application role as investigate', async () => {
      await inDb(`GRANT CREATE ON SCHEMA public TO PUBLIC; GRANT TRUNCATE ON invoices TO mc_app; ALTER ROLE mc_app CREATEDB`);
      try {
        const findings = await runCheck(accessControl, asAuditor(), { applicationRole: 'mc_app' });
        expect(findings.map((f) => [f.status, f.title])).toEqual([
          ['investigate', 'Every role (PUBLIC) can CREATE in schema public'],
          ['investigate', 'Application role mc_app has CREATEDB'],
          ['investigate', 'Application role mc_app has TRUNCATE on 1 table'],
        ]);
      } finally {
        await inDb(`REVOKE CREATE ON SCHEMA public FROM PUBLIC; REVOKE TRUNCATE ON invoices FROM mc_app; ALTER ROLE mc_app NOCREATEDB`);
      }
    });

    it('rates an ADMIN OPTION outside the admins and a missing application role as monitor', async () => {
      await sql(server, `CREATE ROLE mc_granter; GRANT ${ROLES.reporting.name} TO mc_granter WITH ADMIN OPTION`);
      try {
        const findings = await runCheck(accessControl, asAuditor(), { applicationRole: 'no_such_role' });
        expect(findings.map((f) => [f.status, f.title])).toEqual([
          ['monitor', `mc_granter can grant membership in ${ROLES.reporting.name}`],
          ['monitor', 'Application role no_such_role does not exist'],
        ]);
        expect(statuses(await runCheck(accessControl, asAuditor(), { admins: ['mc_*'] }))).toEqual(['ok']);
      } finally {
        await sql(server, `DROP ROLE mc_granter`);
      }
    });

    it('is an error when the database cannot be reached', async () => {
      const findings = await runCheck(accessControl, { databaseUrl: server.url({ database: 'no_such_db' }) });
      expect(statuses(findings)).toEqual(['error']);
      expect(findings[0]!.summary).toMatch(/no_such_db/);
    });
  });

  describe('monthly.encryption, self-hosted', () => {
    it('is ok with ssl on and only loopback host rules', async () => {
      const findings = await runCheck(encryption, asSuperuser());
      expect(statuses(findings)).toEqual(['ok']);
      expect(findings[0]!.summary).toMatch(/^\d+ pg_hba rules, none allowing remote connections without TLS/);
    });

    it('notes that pg_hba cannot be read without the privilege', async () => {
      const findings = await runCheck(encryption, asAuditor());
      expect(findings[0]).toMatchObject({ status: 'ok', summary: expect.stringContaining('pg_hba rules could not be read') });
    });

    it('rates a remote host rule as monitor and a hostnossl rule as investigate', async () => {
      const [{ hba_file: hbaFile }] = (await sql(server, 'SHOW hba_file')).rows;
      const original = readFileSync(hbaFile, 'utf8');
      writeFileSync(hbaFile, `${original}\nhost all all 10.0.0.0/8 scram-sha-256\nhostnossl all all 192.0.2.0/24 scram-sha-256\n`);
      try {
        const findings = await runCheck(encryption, asSuperuser());
        expect(findings.map((f) => [f.status, f.value])).toEqual([
          ['investigate', 'hostnossl'],
          ['monitor', 'host'],
        ]);
        expect(findings[1]!.title).toMatch(/^pg_hba.conf line \d+ allows non-TLS connections from 10.0.0.0$/);
        // the fix of a self-hosted server, not an RDS parameter group or snapshot copy
        expect(findings[0]!.remediation).toMatch(/^Set ssl = on .*'hostssl'/);
        expect(findings[0]!.remediation).not.toMatch(/aws rds|rds\.force_ssl/);
      } finally {
        writeFileSync(hbaFile, original);
      }
    });

    it('is skipped without a database or instance', async () => {
      const findings = await runCheck(encryption, { logFiles: ['/dev/null'] });
      expect(findings[0]).toMatchObject({ status: 'skipped', summary: expect.stringContaining('--rds-instance ID or --database-url') });
    });
  });

  describe('monthly.logging-config, self-hosted', () => {
    it('is ok once the database logs DDL', async () => {
      await sql(server, `ALTER DATABASE ${db} SET log_statement = 'ddl'`);
      try {
        const findings = await runCheck(loggingConfig, asAuditor());
        expect(statuses(findings)).toEqual(['ok']);
        expect(findings[0]!.summary).toBe('Read from pg_settings.');
      } finally {
        await sql(server, `ALTER DATABASE ${db} RESET log_statement`);
      }
    });

    it('rates log_statement = none as investigate and log_disconnections off as monitor', async () => {
      // log_disconnections is fixed at connection start: a superuser session sets it through the startup options.
      const databaseUrl = `${server.url({ database: db })}?options=${encodeURIComponent('-c log_disconnections=off')}`;
      const findings = await runCheck(loggingConfig, { databaseUrl });
      expect(findings.map((f) => [f.status, f.title])).toEqual([
        ['investigate', 'statement logging is log_statement = none'],
        ['monitor', 'log_disconnections is off'],
      ]);
    });

    it('is an error when the server cannot be reached', async () => {
      const findings = await runCheck(loggingConfig, { databaseUrl: 'postgres://nobody:secret-pw@127.0.0.1:1/x' });
      expect(statuses(findings)).toEqual(['error']);
      expect(findings[0]!.summary).not.toContain('secret-pw');
    });
  });

  describe('monthly.log-summary', () => {
    it('counts real failed logins and DDL; many where there were none before is investigate', async () => {
      const mark = await logSize(server);
      await failLogins(server, 12);
      // One query string is logged (or not) as a whole, before its SET takes effect: send them apart.
      await sql(server, `ALTER ROLE ${ROLES.reporting.name} SET log_statement = 'all'`);
      const asReporting = { ...server, url: () => server.url({ user: ROLES.reporting.name, password: ROLES.reporting.password, database: db }) };
      await sql(server, `GRANT CREATE ON DATABASE ${db} TO ${ROLES.reporting.name}`);
      await sql(asReporting, `CREATE SCHEMA mc_tmp_schema; CREATE TABLE mc_tmp_schema.t (id int); ALTER TABLE mc_tmp_schema.t ADD COLUMN x int; DROP SCHEMA mc_tmp_schema CASCADE`);
      await sql(server, `ALTER ROLE ${ROLES.reporting.name} RESET log_statement`);
      const logFiles = [await logSince(server, mark, join(dir, `${flavor}-summary.log`))];
      const findings = await runCheck(logSummary, { logFiles }, {}, { since: 30 * 86400_000 });
      expect(findings.map((f) => [f.status, f.resource])).toEqual([['investigate', `${logFiles[0]} failedAuth`]]);
      expect(findings[0]!.summary).toContain('12 failed authentications (none before), 1 DROP statement (none before), 1 ALTER statement (none before)');
      // The day the server stamped on its lines, not a second reading of the clock (which may be past midnight).
      const loggedDay = /^\d{4}-\d{2}-\d{2}/.exec(readFileSync(logFiles[0]!, 'utf8').split('\n').find((line) => line.includes('password authentication failed'))!)![0];
      expect(findings[0]!.evidence).toEqual([expect.objectContaining({ day: loggedDay, failedAuth: 12, drop: 1, alter: 1 })]);

      const monitor = await runCheck(logSummary, { logFiles }, { investigateAbove: 5000 }, { since: 30 * 86400_000 });
      expect(statuses(monitor)).toEqual(['monitor']);
      const ok = await runCheck(logSummary, { logFiles }, { minCount: 100 }, { since: 30 * 86400_000 });
      expect(statuses(ok)).toEqual(['ok']);
    });
  });
});

describe('monthly.log-summary over the previous window', () => {
  it('counts a recorded log that falls in the previous window, and a fall is ok', async () => {
    const recordedAt = new Date(readFileSync(RECORDED_LOG, 'utf8').slice(0, 19).replace(' ', 'T') + 'Z');
    const findings = await runCheck(logSummary, { logFiles: [RECORDED_LOG] }, {}, { since: 30 * 86400_000, now: new Date(recordedAt.getTime() + 31 * 86400_000) });
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ status: 'ok', value: 0 });
    expect(findings[0]!.summary).toContain('0 failed authentications (-100%)');
    expect(findings[0]!.summary).toContain('0 connections authorized (-100%)');
  });

  it('is an error when the log file cannot be read', async () => {
    const findings = await runCheck(logSummary, { logFiles: [join(dir, 'missing.log')] });
    expect(findings[0]).toMatchObject({ status: 'error', summary: expect.stringContaining('no such file') });
  });
});
