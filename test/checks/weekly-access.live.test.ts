import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import dbUsers from '../../src/checks/weekly/db-users.js';
import tablePrivileges from '../../src/checks/weekly/table-privileges.js';
import { createRoles, ROLES } from '../../src/sandbox/pg-scenario.js';
import { runCheck, statuses } from '../helpers/run-check.js';
import { logSince, logSize, servers, sql } from '../helpers/servers.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeQuietLog } from '../helpers/quiet-log.js';

const dir = mkdtempSync(join(tmpdir(), 'dbsec-weekly-access-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Each server gets its own database and roles, created for real; the checks run as the pg_monitor auditor or as the superuser. */
describe.each(servers().map((server) => [server.flavor, server] as const))('weekly access checks on %s', (_flavor, server) => {
  const db = 'weekly_access';
  const asAuditor = () => ({ databaseUrl: server.url({ user: ROLES.auditor.name, password: ROLES.auditor.password, database: db }) });
  const asSuperuser = () => ({ databaseUrl: server.url({ database: db }) });

  beforeAll(async () => {
    await createRoles(server);
    await sql(server, `DROP DATABASE IF EXISTS ${db}`);
    await sql(server, `CREATE DATABASE ${db}`);
    for (const role of ['wk_admin', 'wk_rogue', 'wk_nopass', 'wk_expired', 'wk_reader']) await sql(server, `DROP ROLE IF EXISTS ${role}`);
  });

  describe('weekly.db-users', () => {
    it('is ok when only expected roles hold privileges, and lists every role', async () => {
      const findings = await runCheck(dbUsers, asAuditor());
      expect(statuses(findings)).toEqual(['ok']);
      expect(findings[0]!.evidence.map((r) => r.role)).toContain(ROLES.app.name);
      expect(findings[0]!.summary).toContain('Passwords could not be checked');
    });

    it('flags a superuser outside the admin list, a login without password and an expired password', async () => {
      await sql(server, `CREATE ROLE wk_admin LOGIN SUPERUSER PASSWORD 'a'; CREATE ROLE wk_rogue LOGIN SUPERUSER PASSWORD 'b'`);
      await sql(server, `CREATE ROLE wk_nopass LOGIN; CREATE ROLE wk_expired LOGIN PASSWORD 'c' VALID UNTIL '2020-01-01'`);
      try {
        const findings = await runCheck(dbUsers, asSuperuser(), { admins: ['wk_admin'] });
        const byRole = Object.fromEntries(findings.map((f) => [f.resource, f]));
        expect(byRole['role wk_rogue']).toMatchObject({ status: 'investigate', title: 'Role wk_rogue is SUPERUSER' });
        expect(byRole['role wk_nopass']).toMatchObject({ status: 'investigate', title: 'Role wk_nopass can log in without a password' });
        expect(byRole['role wk_expired']).toMatchObject({ status: 'monitor', title: 'Role wk_expired has a password that expired on 2020-01-01' });
        expect(byRole['role wk_admin']).toBeUndefined();
        expect(byRole['role postgres']).toBeUndefined();
      } finally {
        await sql(server, 'DROP ROLE wk_admin; DROP ROLE wk_rogue; DROP ROLE wk_nopass; DROP ROLE wk_expired');
      }
    });

    it('flags membership in a powerful role as investigate and CREATEROLE as monitor', async () => {
      await sql(server, `CREATE ROLE wk_reader LOGIN PASSWORD 'r' CREATEROLE; GRANT pg_read_server_files TO wk_reader`);
      try {
        const findings = await runCheck(dbUsers, asAuditor());
        const reader = findings.find((f) => f.resource === 'role wk_reader')!;
        expect(reader.status).toBe('investigate');
        expect(reader.title).toBe('Role wk_reader is a member of pg_read_server_files; has CREATEROLE');
        await sql(server, 'REVOKE pg_read_server_files FROM wk_reader');
        const after = await runCheck(dbUsers, asAuditor());
        expect(after.find((f) => f.resource === 'role wk_reader')).toMatchObject({ status: 'monitor', title: 'Role wk_reader has CREATEROLE' });
      } finally {
        await sql(server, 'DROP ROLE wk_reader');
      }
    });

    it("finds a login role whose password is its own name (SCRAM) or a well-known one (md5), offline, without saying which", async () => {
      await sql(server, `CREATE ROLE wk_named LOGIN PASSWORD 'wk_named'; SET password_encryption = 'md5'; CREATE ROLE wk_weak LOGIN PASSWORD 'changeme'; CREATE ROLE wk_strong LOGIN PASSWORD 'Zq8-not-in-any-list'`);
      try {
        const mark = await logSize(server);
        const findings = await runCheck(dbUsers, asSuperuser());
        const byRole = Object.fromEntries(findings.map((f) => [f.resource, f]));
        expect(byRole['role wk_named']).toMatchObject({ status: 'investigate', title: 'Role wk_named has a default or well-known password' });
        expect(byRole['role wk_weak']).toMatchObject({ status: 'investigate', title: 'Role wk_weak has a default or well-known password' });
        expect(byRole['role wk_strong']).toBeUndefined();
        expect(JSON.stringify(findings.map((f) => [f.title, f.summary, f.evidence]))).not.toContain('changeme');
        // offline: the candidates were tested against pg_authid, no login was tried
        expect(readFileSync(await logSince(server, mark, join(dir, `${_flavor}-offline.log`)), 'utf8')).not.toMatch(/authentication failed/);
        // a role that cannot read pg_authid says so instead of passing the roles
        expect((await runCheck(dbUsers, asAuditor())).find((f) => f.resource === 'role wk_named')).toBeUndefined();
      } finally {
        await sql(server, 'DROP ROLE wk_named; DROP ROLE wk_weak; DROP ROLE wk_strong');
      }
    });

    it('is an error when the database cannot be reached', async () => {
      const findings = await runCheck(dbUsers, { databaseUrl: server.url({ database: 'no_such_db' }) });
      expect(findings[0]!.status).toBe('error');
      expect(findings[0]!.summary).toMatch(/database "no_such_db" does not exist; check PGDATABASE/);
    });

    it('flags login roles that did not log in during the window when connection logs are available', async () => {
      const mark = await logSize(server);
      await sql({ ...server, url: () => server.url({ user: ROLES.app.name, password: ROLES.app.password }) }, 'SELECT 1');
      const logFiles = [await logSince(server, mark, join(dir, `${_flavor}-logins.log`))];
      const findings = await runCheck(dbUsers, { ...asAuditor(), logFiles }, { serviceAccounts: ['mc_*', 'wk_*'] });
      const byRole = Object.fromEntries(findings.map((f) => [f.resource, f]));
      expect(byRole[`role ${ROLES.reporting.name}`]).toMatchObject({ status: 'monitor', title: `Role ${ROLES.reporting.name} did not log in during the window (unused account)` });
      expect(byRole[`role ${ROLES.app.name}`]).toBeUndefined();
      expect(byRole['role postgres']).toBeUndefined();
    });

    it('says unused accounts cannot be checked when the log has no connection lines', async () => {
      const quiet = join(dir, `${_flavor}-quiet.log`);
      writeQuietLog(quiet);
      const findings = await runCheck(dbUsers, { ...asAuditor(), logFiles: [quiet] });
      expect(findings[0]!.summary).toContain('Unused accounts could not be checked: no "connection authorized" line');
    });
  });

  describe('weekly.table-privileges', () => {
    const inDb = (text: string) => sql({ ...server, url: (o = {}) => server.url({ ...o, database: db }) }, text);

    it('is ok with no grants beyond the owners, leaving out what an extension grants to PUBLIC', async () => {
      await inDb('DROP TABLE IF EXISTS orders, customers; CREATE TABLE orders (id int); CREATE TABLE customers (id int)');
      await inDb('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
      expect(statuses(await runCheck(tablePrivileges, asAuditor()))).toEqual(['ok']);
    });

    it('rates a grant to an unexpected role as monitor and to an expected one as ok', async () => {
      await inDb(`GRANT SELECT, INSERT ON orders TO ${ROLES.app.name}; GRANT SELECT ON customers TO ${ROLES.reporting.name} WITH GRANT OPTION`);
      const findings = await runCheck(tablePrivileges, asAuditor(), { expectedGrantees: [ROLES.app.name] });
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({ status: 'monitor', title: `${ROLES.reporting.name} holds 1 table privilege, 1 WITH GRANT OPTION` });
      expect(findings[0]!.evidence).toEqual([{ table: 'public.customers', owner: 'postgres', grantee: ROLES.reporting.name, privilege: 'SELECT', grantable: true }]);
    });

    it('rates any privilege granted to PUBLIC as investigate, per table', async () => {
      await inDb('GRANT SELECT, UPDATE ON customers TO PUBLIC');
      const findings = await runCheck(tablePrivileges, asAuditor(), { expectedGrantees: [ROLES.app.name, ROLES.reporting.name] });
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({ status: 'investigate', resource: `${db}: public.customers`, title: 'PUBLIC holds SELECT, UPDATE on public.customers' });
    });

    it('is skipped without a database', async () => {
      expect(statuses(await runCheck(tablePrivileges, {}))).toEqual(['skipped']);
    });
  });
});
