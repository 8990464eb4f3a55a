import { counted } from '../../plural.js';
import { z } from 'zod';
import { defineCheck, type FindingDraft } from '../types.js';
import { isExpectedAdmin } from '../roles.js';
import type { PgSession } from '../../sources/postgres.js';

interface AclRow {
  kind: 'database' | 'schema';
  object: string;
  owner: string;
  ownerIsBootstrap: boolean;
  grantee: string;
  privilege: string;
  grantable: boolean;
}

interface AdminGrant {
  member: string;
  role: string;
}

interface AppRole {
  name: string;
  exists: boolean;
  attributes: string[];
  /** table → privileges the role holds on it (directly, through PUBLIC or memberships). */
  tables: Array<{ table: string; owns: boolean; privileges: string[] }>;
  ownedSchemas: string[];
}

interface AccessData {
  acls: AclRow[];
  adminGrants: AdminGrant[];
  app?: AppRole;
}

// aclexplode over the default ACL when none was granted, so PUBLIC's implicit rights show too (PostgreSQL 12–18).
export const ACL_SQL = `
SELECT 'database' AS kind, d.datname AS object, pg_get_userbyid(d.datdba) AS owner, d.datdba = 10 AS "ownerIsBootstrap",
       COALESCE(g.rolname, 'PUBLIC') AS grantee, a.privilege_type AS privilege, a.is_grantable AS grantable
  FROM pg_database d CROSS JOIN LATERAL aclexplode(COALESCE(d.datacl, acldefault('d', d.datdba))) a
  LEFT JOIN pg_roles g ON g.oid = a.grantee
 WHERE d.datallowconn AND NOT d.datistemplate AND a.grantee <> d.datdba
UNION ALL
SELECT 'schema', n.nspname, pg_get_userbyid(n.nspowner), n.nspowner = 10,
       COALESCE(g.rolname, 'PUBLIC'), a.privilege_type, a.is_grantable
  FROM pg_namespace n CROSS JOIN LATERAL aclexplode(COALESCE(n.nspacl, acldefault('n', n.nspowner))) a
  LEFT JOIN pg_roles g ON g.oid = a.grantee
 WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' AND a.grantee <> n.nspowner
 ORDER BY 1, 2, 5, 6`;

const ADMIN_GRANTS_SQL = `
SELECT m.rolname AS member, r.rolname AS role
  FROM pg_auth_members am JOIN pg_roles m ON m.oid = am.member JOIN pg_roles r ON r.oid = am.roleid
 WHERE am.admin_option AND m.oid <> 10
 ORDER BY 1, 2`;

const TABLE_PRIVILEGES = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER'];

const APP_TABLES_SQL = `
SELECT c.oid::regclass::text AS "table", c.relowner = r.oid AS owns,
       ARRAY(SELECT p FROM unnest($2::text[]) p WHERE has_table_privilege(r.oid, c.oid, p)) AS privileges
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace CROSS JOIN (SELECT oid FROM pg_roles WHERE rolname = $1) r
 WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'
 ORDER BY 1
 LIMIT $3`;

export default defineCheck({
  meta: {
    id: 'monthly.access-control',
    title: 'Least privilege: databases, schemas and the application role',
    area: 'access-control',
    cadence: 'monthly',
    sources: ['postgres'],
    sees: 'present',
    runbook: 'Monthly Security Audit §2: Access Control Audit',
    remediation:
      'REVOKE CREATE ON DATABASE/SCHEMA … FROM PUBLIC; give the application role only the privileges it needs (REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA … FROM app) and let a separate migration role own the tables; remove WITH ADMIN OPTION from roles that need not grant membership.',
  },
  options: z.object({
    /** Roles allowed to administer (names or * globs); the bootstrap superuser and RDS roles always are. */
    admins: z.array(z.string()).default([]),
    /** The role the application connects as; its per-table privileges are reviewed. */
    applicationRole: z.string().optional(),
    /** What the application role may hold on a table; anything more is a finding. */
    applicationPrivileges: z.array(z.enum(TABLE_PRIVILEGES as [string, ...string[]])).default(['SELECT', 'INSERT', 'UPDATE', 'DELETE']),
    maxTables: z.number().int().min(1).max(100_000).default(5000),
  }),
  async collect(ctx, options): Promise<AccessData> {
    const pg = await ctx.pg();
    const acls = await pg.query<AclRow>(ACL_SQL);
    const adminGrants = await pg.query<AdminGrant>(ADMIN_GRANTS_SQL);
    const app = options.applicationRole ? await applicationRole(pg, options.applicationRole, options.maxTables) : undefined;
    return { acls, adminGrants, app };
  },
  evaluate({ acls, adminGrants, app }, options): FindingDraft[] {
    const admin = (role: string) => isExpectedAdmin(role, false, options.admins);
    const findings: FindingDraft[] = [];
    for (const acl of acls.filter((a) => a.privilege === 'CREATE' && !admin(a.grantee))) {
      const isPublic = acl.grantee === 'PUBLIC';
      findings.push({
        status: isPublic ? 'investigate' : 'monitor',
        resource: `${acl.kind} ${acl.object}`,
        title: `${isPublic ? 'Every role (PUBLIC)' : acl.grantee} can CREATE in ${acl.kind} ${acl.object}`,
        summary: isPublic
          ? `Any role can create ${acl.kind === 'database' ? 'schemas' : 'objects'} there, including functions that shadow trusted ones (owner ${acl.owner}).`
          : `A role other than the owner ${acl.owner} can create objects there.`,
        value: acl.grantee,
        expected: 'CREATE only for the owner and admins',
      });
    }
    for (const grant of adminGrants.filter((g) => !admin(g.member))) {
      findings.push({ status: 'monitor', resource: `role ${grant.member}`, title: `${grant.member} can grant membership in ${grant.role}`, summary: 'It holds the role WITH ADMIN OPTION, so it can hand the role on without an administrator.', value: grant.role, expected: 'ADMIN OPTION only for admins' });
    }
    if (app) findings.push(...applicationFindings(app, options.applicationPrivileges));
    if (findings.length > 0) return findings;
    const appNote = app ? ` ${app.name} holds only ${options.applicationPrivileges.join(', ')} on ${counted(app.tables.length, 'table')}.` : ' No applicationRole configured, so per-table privileges were not reviewed (set `checks: { monthly.access-control: { applicationRole: app_user } }` in the config, with the role of the application).';
    return [{ status: 'ok', resource: 'access control', title: 'No deviation from least privilege', summary: `No PUBLIC or unexpected CREATE on databases and schemas, no stray ADMIN OPTION.${appNote}`, value: 0, evidence: acls.map((a) => ({ ...a })) }];
  },
});

async function applicationRole(pg: PgSession, name: string, maxTables: number): Promise<AppRole> {
  const [role] = await pg.query<{ superuser: boolean; createrole: boolean; createdb: boolean; bypassrls: boolean }>(
    `SELECT rolsuper AS superuser, rolcreaterole AS createrole, rolcreatedb AS createdb, rolbypassrls AS bypassrls FROM pg_roles WHERE rolname = $1`,
    [name],
  );
  if (!role) return { name, exists: false, attributes: [], tables: [], ownedSchemas: [] };
  const attributes = Object.entries(role).filter(([, on]) => on).map(([attribute]) => attribute.toUpperCase());
  const tables = await pg.query<{ table: string; owns: boolean; privileges: string[] }>(APP_TABLES_SQL, [name, TABLE_PRIVILEGES, maxTables]);
  const schemas = await pg.query<{ schema: string }>(`SELECT nspname AS schema FROM pg_namespace WHERE nspowner = (SELECT oid FROM pg_roles WHERE rolname = $1) ORDER BY 1`, [name]);
  return { name, exists: true, attributes, tables, ownedSchemas: schemas.map((s) => s.schema) };
}

function applicationFindings(app: AppRole, allowed: readonly string[]): FindingDraft[] {
  const resource = `role ${app.name}`;
  if (!app.exists) {
    return [{ status: 'monitor', resource, title: `Application role ${app.name} does not exist`, summary: 'The configured applicationRole is not a role on this server: fix the name in the config.', value: app.name }];
  }
  const findings: FindingDraft[] = [];
  if (app.attributes.length > 0) {
    findings.push({ status: 'investigate', resource, title: `Application role ${app.name} has ${app.attributes.join(', ')}`, summary: 'An application login needs none of these; a SQL injection would inherit them.', value: app.attributes.join(', '), expected: 'NOSUPERUSER NOCREATEROLE NOCREATEDB NOBYPASSRLS' });
  }
  const owned = app.tables.filter((t) => t.owns).map((t) => t.table);
  if (owned.length > 0 || app.ownedSchemas.length > 0) {
    const what = [owned.length ? counted(owned.length, 'table') : '', app.ownedSchemas.length ? `schemas ${app.ownedSchemas.join(', ')}` : ''].filter(Boolean).join(' and ');
    findings.push({ status: 'monitor', resource, title: `Application role ${app.name} owns ${what}`, summary: 'An owner can ALTER, DROP and re-grant, whatever is granted; let a migration role own the schema.', value: owned.length, expected: 'owned by a separate role', evidence: owned.map((table) => ({ table })) });
  }
  const extra = new Map<string, string[]>();
  for (const table of app.tables.filter((t) => !t.owns)) {
    for (const privilege of table.privileges.filter((p) => !allowed.includes(p))) extra.set(privilege, [...(extra.get(privilege) ?? []), table.table]);
  }
  for (const [privilege, tables] of extra) {
    findings.push({
      status: privilege === 'TRUNCATE' ? 'investigate' : 'monitor',
      resource: `${resource} ${privilege}`,
      title: `Application role ${app.name} has ${privilege} on ${tables.length} table${tables.length === 1 ? '' : 's'}`,
      summary: `Beyond the allowed ${allowed.join(', ')}: ${tables.slice(0, 5).join(', ')}${tables.length > 5 ? ', …' : ''}.`,
      value: tables.length,
      expected: `only ${allowed.join(', ')}`,
      evidence: tables.map((table) => ({ table, privilege })),
    });
  }
  return findings;
}

