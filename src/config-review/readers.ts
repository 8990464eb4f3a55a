import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { DbsecError, messageOf } from '../errors.js';
import type { PgSession } from '../sources/postgres.js';
import type { ReviewItem } from './baseline-file.js';

/** A value read for an item, or why it could not be read (the item is then skipped with that reason). */
export type Reading = { value: unknown } | { skipped: string };

/** Catalog checks a setting cannot express; each returns one value that the baseline's expectation judges. */
const PROBES: Record<string, { sql: string; privilege?: string }> = {
  'hba-weak-rules': {
    sql: `SELECT coalesce(string_agg('line ' || line_number || ': ' || type || ' ' || auth_method, ', ' ORDER BY line_number), '') AS value
            FROM pg_hba_file_rules WHERE error IS NULL AND auth_method IN ('trust', 'password')`,
    privilege: 'superuser, or GRANT SELECT ON pg_hba_file_rules and GRANT EXECUTE ON FUNCTION pg_hba_file_rules TO the dbsec role',
  },
  'md5-passwords': {
    sql: `SELECT coalesce(string_agg(rolname, ', ' ORDER BY rolname), '') AS value FROM pg_authid WHERE rolpassword LIKE 'md5%'`,
    privilege: 'superuser (pg_authid holds the password hashes)',
  },
  'public-schema-create': { sql: `SELECT coalesce(has_schema_privilege('public', 'public', 'CREATE'), false) AS value` },
  'statement-logging': {
    sql: `SELECT CASE WHEN current_setting('shared_preload_libraries') LIKE '%pgaudit%' AND coalesce(current_setting('pgaudit.log', true), 'none') <> 'none'
                      THEN 'pgaudit.log=' || current_setting('pgaudit.log', true) ELSE current_setting('log_statement') END AS value`,
  },
  superusers: { sql: `SELECT coalesce(string_agg(rolname, ', ' ORDER BY rolname), '') AS value FROM pg_roles WHERE rolsuper AND oid <> 10 AND rolname NOT IN ('rdsadmin')` },
  'security-definer-without-search-path': {
    sql: `SELECT coalesce(string_agg(p.oid::regprocedure::text, ', ' ORDER BY p.oid::regprocedure::text), '') AS value FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE p.prosecdef AND n.nspname NOT IN ('pg_catalog', 'information_schema')
             AND NOT EXISTS (SELECT 1 FROM unnest(coalesce(p.proconfig, '{}')) c WHERE c LIKE 'search_path=%')`,
  },
  'untrusted-languages': { sql: `SELECT coalesce(string_agg(lanname, ', ' ORDER BY lanname), '') AS value FROM pg_language WHERE NOT lanpltrusted AND lanname NOT IN ('c', 'internal')` },
  'risky-extensions': {
    sql: `SELECT coalesce(string_agg(extname, ', ' ORDER BY extname), '') AS value FROM pg_extension
           WHERE extname IN ('adminpack', 'dblink', 'file_fdw', 'postgres_fdw', 'plpython3u', 'plperlu', 'pltclu', 'lo', 'pageinspect', 'pg_buffercache')`,
  },
};

/** PostgreSQL: settings from current_setting, probes from the catalog; a missing privilege skips the item. */
export async function readPostgres(pg: PgSession, items: readonly ReviewItem[]): Promise<Map<string, Reading>> {
  const readings = new Map<string, Reading>();
  for (const item of items) {
    const read = item.read;
    if ('setting' in read) {
      // pg_settings gives raw units (log_rotation_age in minutes), current_setting the rest (custom GUCs).
      const [row] = await pg.query<{ value: string | null }>(`SELECT coalesce((SELECT setting FROM pg_settings WHERE name = $1), current_setting($1, true)) AS value`, [read.setting]);
      readings.set(item.id, row!.value === null ? { skipped: `${read.setting} does not exist on this server` } : { value: row!.value });
    } else if ('probe' in read) {
      const probe = PROBES[read.probe];
      if (!probe) throw new DbsecError(`Baseline item ${item.id}: there is no probe named ${read.probe}; known probes: ${Object.keys(PROBES).join(', ')}.`);
      try {
        const [row] = await pg.query<{ value: unknown }>(probe.sql);
        readings.set(item.id, { value: row!.value });
      } catch (err) {
        if (!/permission denied/i.test(messageOf(err))) throw err;
        readings.set(item.id, { skipped: `needs ${probe.privilege ?? 'more privilege'}` });
      }
    } else readings.set(item.id, { skipped: 'a file item in a PostgreSQL baseline' });
  }
  return readings;
}

/** TDengine: taos.cfg ("key value" lines) and TOML files (taosAdapter, taosKeeper), keys case-insensitive. */
export async function readConfigFiles(paths: readonly string[], items: readonly ReviewItem[]): Promise<Map<string, Reading>> {
  const files = new Map<string, Map<string, unknown>>();
  for (const path of paths) files.set(basename(path).toLowerCase(), await readConfigFile(path));
  const readings = new Map<string, Reading>();
  for (const item of items) {
    const read = item.read;
    if (!('file' in read)) {
      readings.set(item.id, { skipped: 'not a file item' });
      continue;
    }
    const file = files.get(read.file.toLowerCase());
    if (!file) {
      readings.set(item.id, { skipped: `pass --file ${read.file} to review it` });
      continue;
    }
    const value = file.get(read.key.toLowerCase()) ?? read.default;
    readings.set(item.id, value === undefined ? { skipped: `${read.key} is not set in ${read.file} and has no documented default` } : { value });
  }
  return readings;
}

async function readConfigFile(path: string): Promise<Map<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new DbsecError(`Cannot read ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : messageOf(err)}; check --file.`);
  }
  if (path.toLowerCase().endsWith('.toml')) {
    try {
      return flatten(parseToml(text) as Record<string, unknown>);
    } catch (err) {
      throw new DbsecError(`${path} is not valid TOML: ${messageOf(err).split('\n')[0]}`);
    }
  }
  const values = new Map<string, unknown>();
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) continue;
    const [key, ...rest] = line.split(/\s+/);
    values.set(key!.toLowerCase(), rest.join(' '));
  }
  return values;
}

function flatten(table: Record<string, unknown>, prefix = '', into = new Map<string, unknown>()): Map<string, unknown> {
  for (const [key, value] of Object.entries(table)) {
    const name = `${prefix}${key}`.toLowerCase();
    if (value && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date)) flatten(value as Record<string, unknown>, `${name}.`, into);
    else into.set(name, value);
  }
  return into;
}
