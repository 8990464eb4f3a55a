import type pg from 'pg';
import pLimit from 'p-limit';
import { DbsecError, messageOf } from '../errors.js';
import { redactSecrets } from '../redact.js';
import type { Target } from '../target.js';
import { nodePostgres } from './node-postgres.js';

export interface PgLimits {
  statementTimeoutMs: number;
  lockTimeoutMs: number;
  connectTimeoutMs: number;
}

/** A read-only, time-bounded session named "dbsec". */
export interface PgSession {
  query<Row extends object = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]>;
  /** server_version_num, e.g. 150004 */
  serverVersion: number;
  /** The backend pid of this session, so findings can leave it out. */
  pid: number;
  /** Asks the server to stop the query now running, if any (Ctrl-C): its promise then rejects. */
  cancel(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Ends every statement dbsec sends, so its own statements can be told apart where PostgreSQL keeps their text
 * (pg_stat_statements, the log) together with its role: dbsec never reports itself. At the end, since PostgreSQL 18's
 * pg_stat_statements keeps a statement's text from its first token on, leaving a leading comment out.
 */
export const OWN_STATEMENT_MARK = '/* dbsec */';

/** How much longer than statement_timeout dbsec waits for an answer before it gives up on the server. */
const QUERY_TIMEOUT_MARGIN_MS = 5_000;

function newClient(target: Target, limits: PgLimits): pg.Client {
  return new (nodePostgres().Client)({
    ...target.pgConfig,
    application_name: 'dbsec',
    connectionTimeoutMillis: limits.connectTimeoutMs,
    // statement_timeout bounds the server; this bounds a server that stops answering altogether.
    query_timeout: limits.statementTimeoutMs + QUERY_TIMEOUT_MARGIN_MS,
  });
}

export async function openPgSession(target: Target, limits: PgLimits): Promise<PgSession> {
  const client = newClient(target, limits);
  // A failed connection still emits 'error' later on some paths; it is reported through connect()'s rejection.
  client.on('error', () => undefined);
  const where = whereOf(client);
  try {
    await client.connect();
    await client.query(
      `SET default_transaction_read_only = on; SET statement_timeout = ${Math.round(limits.statementTimeoutMs)}; ` +
        `SET lock_timeout = ${Math.round(limits.lockTimeoutMs)}; SET application_name = 'dbsec'`,
    );
    const info = await client.query<{ version: string; pid: number }>(
      `SELECT current_setting('server_version_num') AS version, pg_backend_pid() AS pid`,
    );
    // Checks share this one session; a connection runs one query at a time, so they take turns.
    const oneAtATime = pLimit({ concurrency: 1, rejectOnClear: true });
    const pid = info.rows[0]!.pid;
    let running = false;
    return {
      serverVersion: Number(info.rows[0]!.version),
      pid,
      query(sql, params) {
        return oneAtATime(async () => {
          running = true;
          try {
            // After a closing semicolon the mark would be a statement of its own, which pg_stat_statements drops.
            return (await client.query(`${sql.replace(/[\s;]+$/, '')} ${OWN_STATEMENT_MARK}`, params)).rows;
          } catch (err) {
            // Giving up on a server that stopped answering: ask it to stop the query too, if it still can.
            if (/Query read timeout/i.test(messageOf(err))) void cancelBackend(target, limits, pid);
            throw new DbsecError(describePgError(err, where));
          } finally {
            running = false;
          }
        });
      },
      async cancel() {
        oneAtATime.clearQueue();
        if (running) await cancelBackend(target, limits, pid);
      },
      async close() {
        await client.end().catch(() => undefined);
      },
    };
  } catch (err) {
    await client.end().catch(() => undefined);
    throw new DbsecError(describePgError(err, where));
  }
}

/**
 * Whether a login works (one SELECT 1, then gone): true, 'refused' when PostgreSQL rejects the password, or the one
 * sentence of any other failure. The password stays in the config: no message quotes it.
 */
export async function tryLogin(config: pg.ClientConfig, connectTimeoutMs: number): Promise<true | 'refused' | string> {
  const client = new (nodePostgres().Client)({ ...config, application_name: 'dbsec', connectionTimeoutMillis: connectTimeoutMs });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch (err) {
    return (err as { code?: string }).code === '28P01' ? 'refused' : describePgError(err, whereOf(client));
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Closing dbsec's connection would not stop its query: the backend notices only when it next writes. A second, short
 * session asks the server to cancel it, as psql's Ctrl-C does; a role may always cancel its own backends.
 */
async function cancelBackend(target: Target, limits: PgLimits, pid: number): Promise<void> {
  const client = newClient(target, limits);
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT pg_cancel_backend($1)', [pid]);
  } catch {
    // Best effort: statement_timeout still ends the query on the server.
  } finally {
    await client.end().catch(() => undefined);
  }
}

function whereOf(client: pg.Client): string {
  const params = client as unknown as { host: string; port: number; database?: string; user?: string };
  const host = params.host?.startsWith('/') ? `socket ${params.host}` : `${params.host}:${params.port}`;
  return `${params.user ?? '?'}@${host}/${params.database ?? ''}`;
}

/** One sentence naming what went wrong and how to fix it; never a password. */
export function describePgError(err: unknown, where: string): string {
  const e = err as { code?: string; message?: string };
  const message = redactSecrets(messageOf(err)).split('\n')[0]!;
  switch (e.code) {
    case 'ECONNREFUSED':
      return `Cannot connect to PostgreSQL at ${where}: connection refused; check that the server runs and that PGHOST/PGPORT or --database-url point to it.`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `Cannot connect to PostgreSQL at ${where}: the host name does not resolve; check PGHOST or --database-url.`;
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
      return `Cannot connect to PostgreSQL at ${where}: the network did not answer; check security groups and firewalls between here and the server.`;
    case 'ENOENT':
      return `Cannot connect to PostgreSQL at ${where}: no server socket there; check PGHOST and PGPORT.`;
    case '28P01':
      return `PostgreSQL at ${where} rejected the password; check PGPASSWORD, ~/.pgpass or the password in --database-url.`;
    case '28000':
      // RDS answers a refused IAM auth token so.
      if (/PAM authentication failed/.test(message)) return `PostgreSQL at ${where} refused the IAM auth token; grant rds_iam to the user and allow rds-db:connect on its dbuser ARN to the credentials dbsec runs with.`;
      return `PostgreSQL at ${where} refused the connection (${message}); add a pg_hba.conf rule for this client or connect with PGSSLMODE=require.`;
    case '3D000':
      return `PostgreSQL at ${where}: ${message}; check PGDATABASE or the database in --database-url.`;
    case '57014':
      if (/user request/.test(message)) return `PostgreSQL at ${where}: the query was cancelled (dbsec was interrupted, or an operator cancelled it).`;
      return `PostgreSQL at ${where} cancelled a query at dbsec's statement_timeout; raise statementTimeout in the config if the catalog is very large.`;
    case '55P03':
      return `PostgreSQL at ${where}: a query waited longer than lockTimeout for a lock another session holds (${message}); retry later, or raise lockTimeout in the config.`;
    case '42501':
      return `PostgreSQL at ${where}: ${message}; the user dbsec connects as lacks the privilege: grant it pg_monitor for the reviews, and CREATEROLE (with ADMIN OPTION on the role, PostgreSQL 16 on) or superuser for the changes incident and respond make.`;
    case '53300':
      return `PostgreSQL at ${where} has no connection slot left (${message}); retry, or reserve a slot for monitoring.`;
  }
  if (/Query read timeout/i.test(message)) {
    return `PostgreSQL at ${where} stopped answering a query (no reply within statementTimeout plus 5 s); check the server's health and the network.`;
  }
  if (/timeout expired|Connection terminated due to connection timeout/i.test(message)) {
    return `Cannot connect to PostgreSQL at ${where}: no answer within the connect timeout; check the network path and PGHOST.`;
  }
  if (/client password must be a string|password must be a string/i.test(message)) {
    return `PostgreSQL at ${where} asks for a password but none was given; set PGPASSWORD, add it to ~/.pgpass or to --database-url.`;
  }
  if (/self[- ]signed certificate|certificate/i.test(message)) {
    return `TLS to PostgreSQL at ${where} failed (${message}); set PGSSLMODE and PGSSLROOTCERT to match the server's certificate.`;
  }
  if (/does not support SSL|server does not support SSL/i.test(message)) {
    return `PostgreSQL at ${where} does not accept SSL; use PGSSLMODE=disable only on a trusted network, or enable ssl on the server.`;
  }
  return `PostgreSQL at ${where}: ${message}`;
}
