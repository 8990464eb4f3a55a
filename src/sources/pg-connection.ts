import { parse, toClientConfig } from 'pg-connection-string';
import type { ClientConfig } from 'pg';
import { DbsecError, messageOf } from '../errors.js';
import { redactSecrets } from '../redact.js';
import { ConnInfoError, parseKeywordValue } from '../vendor/libpq-keyword-value.js';

/** sslmode values node-postgres implements (libpq's `allow` is not one of them; `no-verify` is its own). */
const SSL_MODES = ['disable', 'prefer', 'require', 'verify-ca', 'verify-full', 'no-verify'];

/** libpq keywords carried over to node-postgres; the others (connect_timeout…) are dbsec's own settings or unused. */
const CARRIED = ['user', 'password', 'host', 'port', 'sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'options', 'client_encoding'];

const EXAMPLES = "e.g. postgres://auditor@db.example.com:5432/app?sslmode=verify-full or 'host=db.example.com user=auditor dbname=app'";

/**
 * A connection string as node-postgres will use it: a postgres:// URL, or libpq's keyword=value form. Anything it cannot
 * be is refused here, before a check runs, in one sentence that never repeats the password.
 */
export function pgClientConfig(connection: string, flag = "The connection string (--database-url or a target's databaseUrl)"): ClientConfig {
  const url = isKeywordValue(connection) ? keywordValueAsUrl(connection, flag) : connection;
  let options: ReturnType<typeof parse>;
  try {
    options = parse(url);
  } catch (err) {
    const why = (err as { code?: string }).code === 'ENOENT' ? `a certificate file cannot be read (${messageOf(err)})` : 'it is not a valid URL (is the port a number from 1 to 65535, and are special characters in the password percent-encoded?)';
    throw new DbsecError(`${flag} cannot be used: ${redactSecrets(why)}; ${EXAMPLES}.`);
  }
  const sslmode = options.sslmode as string | undefined;
  if (sslmode !== undefined && !SSL_MODES.includes(sslmode)) throw new DbsecError(`${flag} has sslmode=${sslmode}, which is none of ${SSL_MODES.join(', ')}.`);
  if (options.port && !/^\d{1,5}$/.test(options.port)) throw new DbsecError(`${flag} has the port "${options.port}", which is not a number; the default is 5432.`);
  if (options.port && (Number(options.port) < 1 || Number(options.port) > 65535)) throw new DbsecError(`${flag} has the port ${options.port}, outside 1–65535.`);
  if (options.host?.includes(',')) throw new DbsecError(`${flag} names several hosts (${options.host}); dbsec reviews one server per target: add one target per host.`);
  return toClientConfig(options);
}

/** libpq decides the same way: a string that does not start with a URI designator is keyword=value. */
function isKeywordValue(connection: string): boolean {
  return !/^[a-z][a-z0-9+.-]*:/i.test(connection) && !connection.startsWith('/') && connection.includes('=');
}

/** The keywords as URL parameters, so that node-postgres's own reading of sslmode and certificates applies to both forms. */
function keywordValueAsUrl(connection: string, flag: string): string {
  let keywords: Map<string, string>;
  try {
    keywords = parseKeywordValue(connection);
  } catch (err) {
    if (!(err instanceof ConnInfoError)) throw err;
    throw new DbsecError(`${flag} is not a valid libpq keyword=value string: ${err.message}; ${EXAMPLES}.`);
  }
  if (!keywords.has('host') && keywords.has('hostaddr')) keywords.set('host', keywords.get('hostaddr')!);
  const params = new URLSearchParams();
  for (const key of CARRIED) if (keywords.has(key)) params.set(key, keywords.get(key)!);
  return `postgres:///${encodeURIComponent(keywords.get('dbname') ?? '')}?${params}`;
}
