import type { PgSession } from '../sources/postgres.js';
import { DbsecError } from '../errors.js';
import { checkSeal, seal, type Seal } from '../seal.js';

/** Each section: rows sorted by their key, so a baseline is stable and can live in git. */
export type Section = Record<string, Record<string, unknown>>;

export interface BaselineContent {
  functions: Section;
  triggers: Section;
  eventTriggers: Section;
  roles: Section;
  memberships: Section;
  defaultPrivileges: Section;
  acls: Section;
  extensions: Section;
  settings: Section;
  hbaRules: Section;
  policies: Section;
  rowSecurity: Section;
  rdsParameters: Section;
}

export interface Baseline extends Seal {
  format: 'dbsec-baseline';
  version: 1;
  /** Outside the hashed content: when and from where, for the reader. */
  capturedAt: string;
  server: { version: string; versionNum: number; database: string };
  /** What could not be read (pg_hba without the privilege, no RDS instance). */
  notes: string[];
  content: BaselineContent;
}

/** The settings whose drift matters for security: authentication, TLS, logging for audit, durability. */
export const BASELINE_SETTINGS = [
  'password_encryption', 'ssl', 'ssl_min_protocol_version', 'ssl_ciphers', 'listen_addresses', 'port', 'krb_server_keyfile',
  'log_connections', 'log_disconnections', 'log_statement', 'log_line_prefix', 'log_min_duration_statement', 'log_destination',
  'logging_collector', 'log_directory', 'log_filename', 'log_rotation_age', 'log_hostname', 'shared_preload_libraries',
  'session_preload_libraries', 'local_preload_libraries', 'pgaudit.log', 'pgaudit.role', 'pgaudit.log_relation',
  'fsync', 'full_page_writes', 'wal_level', 'archive_mode', 'row_security', 'search_path', 'default_transaction_read_only',
  'hba_file', 'ident_file', 'data_directory', 'dynamic_library_path', 'rds.force_ssl',
];

const QUERIES = {
  functions: `
SELECT n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')' AS key,
       l.lanname AS language, pg_get_userbyid(p.proowner) AS owner, p.prosecdef AS "securityDefiner", p.prokind AS kind,
       coalesce(array_to_string(p.proconfig, ', '), '') AS config,
       encode(sha256(convert_to(coalesce(p.prosrc, '') || '|' || coalesce(p.probin, ''), 'UTF8')), 'hex') AS "bodySha256",
       coalesce((SELECT e.extname FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
                  WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e' LIMIT 1), '') AS extension
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang
 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')`,
  triggers: `
SELECT c.oid::regclass::text || ' ' || t.tgname AS key, t.tgfoid::regprocedure::text AS function, t.tgenabled::text AS enabled,
       encode(sha256(convert_to(pg_get_triggerdef(t.oid), 'UTF8')), 'hex') AS "definitionSha256"
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal`,
  eventTriggers: `SELECT evtname AS key, evtevent AS event, evtfoid::regprocedure::text AS function, evtenabled::text AS enabled, coalesce(array_to_string(evttags, ','), '') AS tags FROM pg_event_trigger`,
  roles: `
SELECT rolname AS key, rolsuper AS superuser, rolinherit AS inherit, rolcreaterole AS createrole, rolcreatedb AS createdb,
       rolcanlogin AS login, rolreplication AS replication, rolbypassrls AS bypassrls, rolconnlimit AS "connectionLimit",
       coalesce(rolvaliduntil::text, '') AS "validUntil", coalesce(array_to_string(rolconfig, ', '), '') AS config
  FROM pg_roles WHERE rolname !~ '^pg_'`,
  memberships: `
SELECT r.rolname || ' -> ' || m.rolname AS key, am.admin_option AS "adminOption"
  FROM pg_auth_members am JOIN pg_roles r ON r.oid = am.member JOIN pg_roles m ON m.oid = am.roleid`,
  defaultPrivileges: `
SELECT pg_get_userbyid(d.defaclrole) || ' ' || coalesce(n.nspname, '*') || ' ' || d.defaclobjtype::text || ' ' ||
       CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END || ' ' || a.privilege_type AS key,
       a.is_grantable AS grantable
  FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace CROSS JOIN LATERAL aclexplode(d.defaclacl) a`,
  // Grants only where an ACL was set: the defaults (owner only, PUBLIC's implicit rights) are not changes.
  acls: `
WITH objects AS (
  SELECT 'database' AS kind, datname::text AS name, datacl AS acl, datdba AS owner FROM pg_database WHERE datacl IS NOT NULL
  UNION ALL SELECT 'schema', nspname::text, nspacl, nspowner FROM pg_namespace WHERE nspacl IS NOT NULL AND nspname NOT IN ('pg_catalog', 'information_schema') AND nspname !~ '^pg_toast'
  UNION ALL SELECT CASE c.relkind WHEN 'S' THEN 'sequence' WHEN 'v' THEN 'view' WHEN 'm' THEN 'view' ELSE 'table' END, c.oid::regclass::text, c.relacl, c.relowner
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relacl IS NOT NULL AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  UNION ALL SELECT 'function', p.oid::regprocedure::text, p.proacl, p.proowner
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE p.proacl IS NOT NULL AND n.nspname NOT IN ('pg_catalog', 'information_schema')
)
SELECT o.kind || ' ' || o.name || ' ' || CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END || ' ' || a.privilege_type AS key,
       a.is_grantable AS grantable
  FROM objects o CROSS JOIN LATERAL aclexplode(o.acl) a WHERE a.grantee <> o.owner`,
  extensions: `SELECT extname AS key, extversion AS version, extnamespace::regnamespace::text AS schema FROM pg_extension`,
  settings: `SELECT name AS key, setting AS value FROM pg_settings WHERE name = ANY($1::text[])`,
  hbaRules: `
SELECT line_number::text AS key, type, array_to_string(database, ',') AS database, array_to_string(user_name, ',') AS "user",
       coalesce(address, '') AS address, coalesce(netmask, '') AS netmask, auth_method AS method
  FROM pg_hba_file_rules WHERE error IS NULL`,
  policies: `
SELECT schemaname || '.' || tablename || ' ' || policyname AS key, permissive, array_to_string(roles, ',') AS roles, cmd,
       coalesce(qual, '') AS using, coalesce(with_check, '') AS "withCheck" FROM pg_policies`,
  rowSecurity: `
SELECT c.oid::regclass::text AS key, c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p') AND (c.relrowsecurity OR c.relforcerowsecurity) AND n.nspname NOT IN ('pg_catalog', 'information_schema')`,
} as const;

/** Reads the security-relevant catalog into a canonical, hashed baseline. */
export async function captureBaseline(pg: PgSession, options: { now: Date; rdsParameters?: Record<string, string>; rdsNote?: string; signKey?: string }): Promise<Baseline> {
  const notes: string[] = [];
  const section = async (name: keyof typeof QUERIES, params?: unknown[]): Promise<Section> => sectionOf(await pg.query<Record<string, unknown>>(QUERIES[name], params));
  const [info] = await pg.query<{ version: string; num: string; database: string }>(`SELECT current_setting('server_version') AS version, current_setting('server_version_num') AS num, current_database() AS database`);
  const hbaRules = await section('hbaRules').catch(() => {
    notes.push('pg_hba rules could not be read: it needs superuser, or GRANT SELECT ON pg_hba_file_rules (and EXECUTE ON FUNCTION pg_hba_file_rules) to the dbsec role');
    return {};
  });
  if (options.rdsNote) notes.push(options.rdsNote);
  const content: BaselineContent = {
    functions: await section('functions'),
    triggers: await section('triggers'),
    eventTriggers: await section('eventTriggers'),
    roles: await section('roles'),
    memberships: await section('memberships'),
    defaultPrivileges: await section('defaultPrivileges'),
    acls: await section('acls'),
    extensions: await section('extensions'),
    settings: await section('settings', [BASELINE_SETTINGS]),
    hbaRules,
    policies: await section('policies'),
    rowSecurity: await section('rowSecurity'),
    rdsParameters: Object.fromEntries(Object.entries(options.rdsParameters ?? {}).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, { value: v }])),
  };
  const baseline: Baseline = {
    format: 'dbsec-baseline',
    version: 1,
    capturedAt: options.now.toISOString(),
    server: { version: info!.version, versionNum: Number(info!.num), database: info!.database },
    notes,
    content,
    ...seal(content, options.signKey),
  };
  return baseline;
}

function sectionOf(rows: Array<Record<string, unknown>>): Section {
  const entries = rows.map(({ key, ...rest }) => [String(key), rest] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries);
}

/** Refuses a baseline whose content no longer matches its hash, or, with a key, its signature. */
export function verifyBaseline(data: unknown, source: string, signKey?: string): Baseline {
  const baseline = data as Baseline;
  if (!baseline || baseline.format !== 'dbsec-baseline' || baseline.version !== 1 || !baseline.content || typeof baseline.contentSha256 !== 'string') {
    throw new DbsecError(`${source} is not a dbsec baseline (format dbsec-baseline, version 1): make one with dbsec baseline capture.`);
  }
  checkSeal(baseline, source, 'a baseline', signKey);
  return baseline;
}
