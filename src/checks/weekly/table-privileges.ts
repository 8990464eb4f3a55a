import { counted } from '../../plural.js';
import { z } from 'zod';
import { groupBy } from '../../collections.js';
import { defineCheck, type FindingDraft } from '../types.js';
import { matchesAny } from '../../globs.js';

interface GrantRow {
  schema: string;
  table: string;
  owner: string;
  grantee: string;
  privilege: string;
  grantable: boolean;
}

// aclexplode() reads the ACL itself, so this works for any role dbsec connects as (PostgreSQL 9.x to 18).
export const GRANTS_SQL = `
SELECT n.nspname AS schema, c.relname AS "table", pg_get_userbyid(c.relowner) AS owner,
       CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END AS grantee,
       a.privilege_type AS privilege, a.is_grantable AS grantable
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
 CROSS JOIN LATERAL aclexplode(c.relacl) a
 WHERE c.relkind IN ('r', 'v', 'm', 'p', 'f')
   AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'
   AND a.grantee <> c.relowner
   -- objects an extension created (pg_stat_statements grants its views to PUBLIC) are the extension's business
   AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
 ORDER BY 1, 2, 4, 5`;

export default defineCheck({
  meta: {
    id: 'weekly.table-privileges',
    title: 'Table privileges',
    area: 'access-control',
    cadence: 'weekly',
    sources: ['postgres'],
    sees: 'present',
    runbook: 'Weekly Security Review §1: Check user permissions',
    remediation:
      'REVOKE ALL ON <table> FROM PUBLIC; re-grant only what each application role needs, without WITH GRANT OPTION. List the roles whose grants are expected in the config: `checks: { weekly.table-privileges: { expectedGrantees: [app_user] } }`.',
  },
  options: z.object({
    /** Roles whose grants are reviewed and expected (names or * globs); grants to others are a finding. */
    expectedGrantees: z.array(z.string()).default([]),
    admins: z.array(z.string()).default(['rds_superuser']),
  }),
  async collect(ctx): Promise<{ database: string; grants: GrantRow[] }> {
    const pg = await ctx.pg();
    const [db] = await pg.query<{ database: string }>('SELECT current_database() AS database');
    return { database: db!.database, grants: await pg.query<GrantRow>(GRANTS_SQL) };
  },
  evaluate({ database, grants }, options): FindingDraft[] {
    const findings: FindingDraft[] = [];
    const byTable = groupBy(grants.filter((g) => g.grantee === 'PUBLIC'), (g) => `${g.schema}.${g.table}`);
    for (const [table, rows] of byTable) {
      findings.push({
        status: 'investigate',
        resource: `${database}: ${table}`,
        title: `PUBLIC holds ${rows.map((r) => r.privilege).join(', ')} on ${table}`,
        summary: `Every role, present and future, can ${rows.map((r) => r.privilege).join('/')} ${table} (owner ${rows[0]!.owner}).`,
        value: rows.length,
        expected: 'no table privilege for PUBLIC',
        evidence: rows.map(row),
      });
    }
    const others = grants.filter((g) => g.grantee !== 'PUBLIC' && !matchesAny(g.grantee, [...options.admins, ...options.expectedGrantees]));
    for (const [grantee, rows] of groupBy(others, (g) => g.grantee)) {
      const grantable = rows.filter((g) => g.grantable).length;
      findings.push({
        status: 'monitor',
        resource: `${database}: role ${grantee}`,
        title: `${grantee} holds ${rows.length} table privilege${rows.length === 1 ? '' : 's'}${grantable ? `, ${grantable} WITH GRANT OPTION` : ''}`,
        summary: `On ${counted(new Set(rows.map((r) => `${r.schema}.${r.table}`)).size, 'table')}; confirm each is needed, or add ${grantee} to the check's expectedGrantees in the config.`,
        value: rows.length,
        expected: 'grants only to expected roles',
        evidence: rows.map(row),
      });
    }
    if (findings.length === 0) {
      findings.push({
        status: 'ok',
        resource: database,
        title: `${grants.length} table grants, all to expected roles`,
        summary: 'No table privilege is granted to PUBLIC.',
        value: 0,
        evidence: grants.map(row),
      });
    }
    return findings;
  },
});

function row(g: GrantRow) {
  return { table: `${g.schema}.${g.table}`, owner: g.owner, grantee: g.grantee, privilege: g.privilege, grantable: g.grantable };
}
