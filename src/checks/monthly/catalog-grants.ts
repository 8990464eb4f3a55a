import { z } from 'zod';
import { SourceMissing } from '../../errors.js';
import { counted } from '../../plural.js';
import { defineCheck, type FindingDraft } from '../types.js';
import { matchesAny } from '../../globs.js';
import { nodePostgres } from '../../sources/node-postgres.js';

/** The privileges one system object grants, as `GRANTEE:PRIVILEGE` (`*` when grantable); the owner is OWNER. */
export interface SystemObject {
  kind: 'relation' | 'function' | 'schema' | 'column';
  object: string;
  owner: string;
  /** Created after initdb (OID at or past FirstNormalObjectId): no fresh cluster has it. */
  created: boolean;
  grants: string[];
  /** What acldefault() gives an object of this kind: its privileges when its ACL is NULL. */
  defaults: string[];
}

/** A fresh cluster's explicit ACLs on system objects, by `kind object` (scripts/record-catalog-grants.mjs). */
export interface FreshGrants {
  recordedFrom: string;
  objects: Record<string, string[]>;
}

const SYSTEM_SCHEMAS = `('pg_catalog'::regnamespace, 'information_schema'::regnamespace)`;

/** One aclexplode() row x of an object o as `GRANTEE:PRIVILEGE[*]`. */
const GRANT_OF = `CASE WHEN x.grantee = 0 THEN 'PUBLIC' WHEN x.grantee = o.owner THEN 'OWNER' ELSE pg_get_userbyid(x.grantee) END || ':' || x.privilege_type || CASE WHEN x.is_grantable THEN '*' ELSE '' END`;

// Every object of pg_catalog and information_schema with its effective privileges (a NULL ACL read through acldefault),
// but not the objects an extension installed there (plpgsql's handlers, an extension's own grants). The grantee
// that owns the object is OWNER, so two clusters bootstrapped by different superusers compare equal.
export const SYSTEM_GRANTS_SQL = `
WITH objects AS (
  SELECT 'relation' AS kind, c.oid, quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS object, c.relowner AS owner, c.relacl AS acl,
         acldefault(CASE c.relkind WHEN 'S' THEN 's' ELSE 'r' END::"char", c.relowner) AS defaults, 'pg_class'::regclass AS catalog
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.oid IN ${SYSTEM_SCHEMAS} AND c.relkind IN ('r', 'v', 'm', 'S', 'f', 'p')
  UNION ALL
  SELECT 'function', p.oid, quote_ident(n.nspname) || '.' || quote_ident(p.proname) || '(' || pg_get_function_identity_arguments(p.oid) || ')', p.proowner, p.proacl, acldefault('f'::"char", p.proowner), 'pg_proc'::regclass
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.oid IN ${SYSTEM_SCHEMAS}
  UNION ALL
  SELECT 'schema', n.oid, quote_ident(n.nspname), n.nspowner, n.nspacl, acldefault('n'::"char", n.nspowner), 'pg_namespace'::regclass
    FROM pg_namespace n WHERE n.oid IN ${SYSTEM_SCHEMAS}
  UNION ALL
  SELECT 'column', c.oid, quote_ident(n.nspname) || '.' || quote_ident(c.relname) || '.' || quote_ident(a.attname), c.relowner, a.attacl, NULL::aclitem[], 'pg_class'::regclass
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.oid IN ${SYSTEM_SCHEMAS} AND a.attacl IS NOT NULL AND NOT a.attisdropped
)
SELECT o.kind, o.object, pg_get_userbyid(o.owner) AS owner, o.oid >= 16384 AS created,
       ARRAY(SELECT ${GRANT_OF} FROM aclexplode(coalesce(o.acl, o.defaults)) x ORDER BY 1) AS grants,
       ARRAY(SELECT ${GRANT_OF} FROM aclexplode(o.defaults) x ORDER BY 1) AS defaults
  FROM objects o
 WHERE NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = o.catalog AND d.objid = o.oid AND d.deptype = 'e')
 ORDER BY 1, 2`;

/** Objects whose misuse reads the server's files, its password hashes or its large objects: any extra grant is serious. */
const SENSITIVE = /^(pg_authid|pg_shadow|pg_user_mapping|pg_largeobject|pg_statistic|pg_read_(binary_)?file|pg_ls_\w+|pg_stat_file|lo_(import|export)|pg_file_\w+|pg_reload_conf|pg_terminate_backend|pg_signal_backend|pg_rotate_logfile)\b/;

// Literal imports, so the build carries the files; each is read only by a run that reaches its major.
const FRESH: Record<number, () => Promise<{ default: FreshGrants }>> = {
  13: () => import('./catalog-grants/pg13.json', { with: { type: 'json' } }),
  14: () => import('./catalog-grants/pg14.json', { with: { type: 'json' } }),
  15: () => import('./catalog-grants/pg15.json', { with: { type: 'json' } }),
  16: () => import('./catalog-grants/pg16.json', { with: { type: 'json' } }),
  17: () => import('./catalog-grants/pg17.json', { with: { type: 'json' } }),
  18: () => import('./catalog-grants/pg18.json', { with: { type: 'json' } }),
};

export async function freshGrants(major: number): Promise<FreshGrants | undefined> {
  return (await FRESH[major]?.())?.default;
}

export default defineCheck({
  meta: {
    id: 'monthly.catalog-grants',
    title: 'System catalog grants',
    area: 'access-control',
    cadence: 'monthly',
    sources: ['postgres'],
    sees: 'present',
    runbook: "Seed 001: reset of the access rights for the system tables (after a loss of integrity); Monthly Compliance Review §3: Access control audit",
    remediation:
      "Run the finding's REVOKE (or GRANT) statements as a superuser to put the fresh cluster's privileges back; a function created in pg_catalog after initdb is a backdoor until proven otherwise: read its source (\\sf) and drop it. Grants a monitoring role needs are listed in the config: `checks: { monthly.catalog-grants: { expectedGrantees: [monitoring] } }`.",
  },
  options: z.object({
    /** Roles whose extra grants on system objects are expected (names or * globs); RDS's own rds_ roles by default. */
    expectedGrantees: z.array(z.string()).default(['rds_*']),
  }),
  async collect(ctx): Promise<{ server: string; major: number; fresh: FreshGrants; objects: SystemObject[] }> {
    const pg = await ctx.pg();
    const [version] = await pg.query<{ server: string; num: string }>(`SELECT current_setting('server_version') AS server, current_setting('server_version_num') AS num`);
    const major = Math.floor(Number(version!.num) / 10_000);
    const fresh = await freshGrants(major);
    if (!fresh) throw new SourceMissing(`dbsec has no fresh cluster's grants for PostgreSQL ${major} (it has ${Object.keys(FRESH).join(', ')}); record them with scripts/record-catalog-grants.mjs`);
    return { server: version!.server, major, fresh, objects: await pg.query<SystemObject>(SYSTEM_GRANTS_SQL) };
  },
  evaluate({ server, fresh, objects }, options): FindingDraft[] {
    const findings: FindingDraft[] = [];
    const expected: Array<Record<string, unknown>> = [];
    let compared = 0;
    for (const o of objects) {
      if (o.created) {
        findings.push({
          status: 'investigate',
          resource: `${o.kind} ${o.object}`,
          title: `${o.kind === 'function' ? 'Function' : 'Object'} ${o.object} was created in a system schema after initdb`,
          summary: `No fresh PostgreSQL ${server} has it: an object in pg_catalog or information_schema is found before the user's own by every search_path.`,
          identity: ['created'],
          evidence: [{ object: o.object, kind: o.kind, grants: o.grants.join(', ') }],
        });
        continue;
      }
      compared++;
      const before = fresh.objects[`${o.kind} ${o.object}`] ?? o.defaults;
      const extra = o.grants.filter((g) => !before.includes(g));
      const missing = before.filter((g) => !o.grants.includes(g));
      const unexpected = extra.filter((g) => !matchesAny(grantee(g), options.expectedGrantees));
      for (const g of extra.filter((g) => !unexpected.includes(g))) expected.push({ object: o.object, grant: g });
      if (unexpected.length + missing.length === 0) continue;
      const serious = unexpected.some((g) => grantee(g) === 'PUBLIC') || (unexpected.length > 0 && SENSITIVE.test(bareName(o.object)));
      const statements = [...unexpected.map((g) => statement('REVOKE', g, o)), ...missing.map((g) => statement('GRANT', g, o))];
      findings.push({
        status: serious ? 'investigate' : 'monitor',
        resource: `${o.kind} ${o.object}`,
        title: unexpected.length ? `${o.object}: ${unexpected.map(readable).join(', ')} beyond a fresh cluster's grants` : `${o.object}: ${missing.map(readable).join(', ')} revoked from a fresh cluster's grants`,
        summary: `A fresh PostgreSQL ${server} grants ${before.map(readable).join(', ') || 'nothing'}; this server grants ${o.grants.map(readable).join(', ') || 'nothing'}. To restore it: ${statements.join(' ')}`,
        identity: [...unexpected, ...missing.map((g) => `-${g}`)],
        evidence: statements.map((sql) => ({ object: o.object, statement: sql })),
      });
    }
    if (findings.length === 0) {
      findings.push({
        status: 'ok',
        resource: 'system catalogs',
        title: `${counted(compared, 'system object')} grant what a fresh PostgreSQL ${server} grants`,
        summary: `Compared with ${fresh.recordedFrom}${expected.length ? `; ${counted(expected.length, 'extra grant')} to expected roles (${options.expectedGrantees.join(', ')}) listed` : ''}.`,
        value: 0,
        evidence: expected,
      });
    }
    return findings;
  },
});

/** A role name may hold a colon; a privilege never does. */
function grantee(grant: string): string {
  return grant.slice(0, grant.lastIndexOf(':'));
}

function readable(grant: string): string {
  const who = grantee(grant);
  const privilege = grant.slice(who.length + 1);
  return `${privilege.replace('*', ' WITH GRANT OPTION')} to ${who}`;
}

function bareName(object: string): string {
  return object.replace(/^(pg_catalog|information_schema)\./, '');
}

/** The statement that undoes one difference: REVOKE an extra grant, GRANT back a revoked one. */
function statement(verb: 'REVOKE' | 'GRANT', grant: string, o: SystemObject): string {
  const who = grantee(grant);
  const privilege = grant.slice(who.length + 1).replace('*', '');
  const role = who === 'PUBLIC' ? 'PUBLIC' : nodePostgres().escapeIdentifier(who === 'OWNER' ? o.owner : who);
  const on =
    o.kind === 'column'
      ? ` (${o.object.slice(o.object.lastIndexOf('.') + 1)}) ON ${o.object.slice(0, o.object.lastIndexOf('.'))}`
      : o.kind === 'function'
        ? ` ON FUNCTION ${o.object}`
        : o.kind === 'schema'
          ? ` ON SCHEMA ${o.object}`
          : ` ON ${o.object}`;
  const grantOption = grant.endsWith('*') && verb === 'GRANT' ? ' WITH GRANT OPTION' : '';
  return `${verb} ${privilege}${on} ${verb === 'REVOKE' ? 'FROM' : 'TO'} ${role}${grantOption};`;
}
