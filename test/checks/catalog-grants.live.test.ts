import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import catalogGrants, { freshGrants } from '../../src/checks/monthly/catalog-grants.js';
import { runCheck, statuses } from '../helpers/run-check.js';
import { servers, sql } from '../helpers/servers.js';
import { freePort } from '../../src/sandbox/postgres.js';

/**
 * monthly.catalog-grants on each real server: a fresh cluster is ok; grants added to or revoked from system objects
 * are found with the statements that undo them, and running those statements makes the server ok again.
 */
describe.each(servers().map((server) => [server.flavor, server] as const))('monthly.catalog-grants on %s', (_flavor, server) => {
  const target = () => ({ databaseUrl: server.url() });
  const undo = async (findings: Awaited<ReturnType<typeof runCheck>>) => {
    for (const f of findings) for (const row of f.evidence) if (typeof row.statement === 'string') await sql(server, row.statement);
  };

  beforeAll(async () => {
    await sql(server, 'DROP ROLE IF EXISTS cg_monitor; CREATE ROLE cg_monitor');
  });
  afterAll(async () => {
    await sql(server, 'DROP FUNCTION IF EXISTS pg_catalog.cg_backdoor(); DROP ROLE IF EXISTS cg_monitor');
  });

  it('is ok on a cluster whose system objects hold what initdb gave them', async () => {
    const findings = await runCheck(catalogGrants, target());
    expect(statuses(findings)).toEqual(['ok']);
    expect(findings[0]!.title).toMatch(/^3[0-9]{3} system objects grant what a fresh PostgreSQL 1[58]\.\d+/);
  });

  it('finds a file-reading function granted to a role (investigate) and gives the REVOKE that restores it', async () => {
    await sql(server, 'GRANT EXECUTE ON FUNCTION pg_catalog.pg_read_file(text) TO cg_monitor');
    const findings = await runCheck(catalogGrants, target());
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ status: 'investigate', resource: 'function pg_catalog.pg_read_file(text)', title: "pg_catalog.pg_read_file(text): EXECUTE to cg_monitor beyond a fresh cluster's grants" });
    expect(findings[0]!.evidence).toEqual([{ object: 'pg_catalog.pg_read_file(text)', statement: 'REVOKE EXECUTE ON FUNCTION pg_catalog.pg_read_file(text) FROM "cg_monitor";' }]);
    await undo(findings);
    expect(statuses(await runCheck(catalogGrants, target()))).toEqual(['ok']);
  });

  it('is monitor for a harmless extra grant and for a default revoked, and PUBLIC on a sensitive table is investigate', async () => {
    await sql(server, 'GRANT EXECUTE ON FUNCTION pg_catalog.pg_stat_reset() TO cg_monitor; REVOKE SELECT ON pg_catalog.pg_roles FROM PUBLIC');
    const findings = await runCheck(catalogGrants, target());
    const byResource = Object.fromEntries(findings.map((f) => [f.resource, f]));
    expect(byResource['function pg_catalog.pg_stat_reset()']).toMatchObject({ status: 'monitor' });
    expect(byResource['relation pg_catalog.pg_roles']).toMatchObject({ status: 'monitor', title: "pg_catalog.pg_roles: SELECT to PUBLIC revoked from a fresh cluster's grants" });
    expect(byResource['relation pg_catalog.pg_roles']!.evidence).toEqual([{ object: 'pg_catalog.pg_roles', statement: 'GRANT SELECT ON pg_catalog.pg_roles TO PUBLIC;' }]);
    await undo(findings);
    await sql(server, 'GRANT SELECT ON pg_catalog.pg_authid TO PUBLIC');
    const authid = await runCheck(catalogGrants, target());
    expect(authid).toMatchObject([{ status: 'investigate', resource: 'relation pg_catalog.pg_authid' }]);
    await undo(authid);
    expect(statuses(await runCheck(catalogGrants, target()))).toEqual(['ok']);
  });

  it('lists grants to expected roles without a finding', async () => {
    await sql(server, 'GRANT EXECUTE ON FUNCTION pg_catalog.pg_stat_reset() TO cg_monitor');
    try {
      const findings = await runCheck(catalogGrants, target(), { expectedGrantees: ['cg_*'] });
      expect(statuses(findings)).toEqual(['ok']);
      expect(findings[0]!.evidence).toEqual([{ object: 'pg_catalog.pg_stat_reset()', grant: 'cg_monitor:EXECUTE' }]);
    } finally {
      await sql(server, 'REVOKE EXECUTE ON FUNCTION pg_catalog.pg_stat_reset() FROM cg_monitor');
    }
  });

  it('finds a function planted in pg_catalog after initdb', async () => {
    await sql(server, 'CREATE FUNCTION pg_catalog.cg_backdoor() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$');
    try {
      const findings = await runCheck(catalogGrants, target());
      expect(findings).toMatchObject([{ status: 'investigate', resource: 'function pg_catalog.cg_backdoor()', title: 'Function pg_catalog.cg_backdoor() was created in a system schema after initdb' }]);
    } finally {
      await sql(server, 'DROP FUNCTION pg_catalog.cg_backdoor()');
    }
  });
});

describe('monthly.catalog-grants without what it needs', () => {
  it('is an error, not ok, when the server cannot be reached', async () => {
    const findings = await runCheck(catalogGrants, { databaseUrl: `postgres://nobody:x@127.0.0.1:${await freePort()}/postgres` });
    expect(statuses(findings)).toEqual(['error']);
  });

  it('has a fresh cluster for each major from 13 to 18, and none for others (the check is then skipped with the reason)', async () => {
    for (const major of [13, 14, 15, 16, 17, 18]) expect((await freshGrants(major))!.recordedFrom).toMatch(new RegExp(`fresh PostgreSQL ${major}\\.`));
    expect(Object.keys((await freshGrants(15))!.objects).length).toBeGreaterThan(200);
    expect(await freshGrants(12)).toBeUndefined();
  });
});
