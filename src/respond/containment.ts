import type { Clock } from '../clock.js';
import { appendFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import type { PgSession } from '../sources/postgres.js';
import { messageOf } from '../errors.js';

export interface Selector {
  clientAddr?: string;
  user?: string;
  pids?: number[];
  includeSuperusers?: boolean;
}

export interface SessionRow {
  pid: number;
  user: string | null;
  client: string | null;
  application: string | null;
  superuser: boolean;
  state: string | null;
}

/** The sessions a selector names, read at the moment of acting; dbsec's own session is never among them. */
export async function selectSessions(pg: PgSession, selector: Selector): Promise<{ chosen: SessionRow[]; protectedSuperusers: SessionRow[] }> {
  const rows = await pg.query<SessionRow>(
    `SELECT a.pid, a.usename AS "user", host(a.client_addr) AS client, a.application_name AS application, coalesce(r.rolsuper, false) AS superuser, a.state
       FROM pg_stat_activity a LEFT JOIN pg_roles r ON r.oid = a.usesysid
      WHERE a.backend_type = 'client backend' AND a.pid <> pg_backend_pid()
        AND ($1::text IS NULL OR host(a.client_addr) = $1) AND ($2::text IS NULL OR a.usename = $2) AND ($3::int[] IS NULL OR a.pid = ANY($3))
      ORDER BY a.pid`,
    [selector.clientAddr ?? null, selector.user ?? null, selector.pids?.length ? selector.pids : null],
  );
  return {
    chosen: rows.filter((r) => selector.includeSuperusers || !r.superuser),
    protectedSuperusers: rows.filter((r) => !selector.includeSuperusers && r.superuser),
  };
}

export interface ActionRecord {
  time: string;
  actor: { os: string; database: string };
  command: string;
  action: string;
  target: Record<string, unknown>;
  result: string;
}

/** Where actions are logged, by which command, and the run's clock that stamps them. */
export interface ActionLog {
  path: string;
  command: string;
  clock: Clock;
}

/** Appends one JSON line per action: who ran it, when (by the run's clock), what, on what, and how it went. */
export async function logAction(log: ActionLog, record: Omit<ActionRecord, 'time' | 'command'>): Promise<void> {
  await appendFile(log.path, `${JSON.stringify({ time: log.clock().toISOString(), ...record, command: log.command })}\n`);
}

export function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}

/** pg_terminate_backend for each chosen session, each logged; a session that ended meanwhile is "gone". */
export async function terminateSessions(pg: PgSession, sessions: readonly SessionRow[], log: ActionLog): Promise<Array<SessionRow & { result: string }>> {
  const [{ user: dbUser }] = (await pg.query<{ user: string }>('SELECT current_user AS "user"')) as [{ user: string }];
  const results: Array<SessionRow & { result: string }> = [];
  for (const session of sessions) {
    let result: string;
    try {
      const [row] = await pg.query<{ done: boolean }>('SELECT pg_terminate_backend($1) AS done', [session.pid]);
      result = row!.done ? 'terminated' : 'gone';
    } catch (err) {
      result = `failed: ${messageOf(err)}`;
    }
    results.push({ ...session, result });
    await logAction(log, { actor: { os: osUser(), database: dbUser }, action: 'pg_terminate_backend', target: { pid: session.pid, user: session.user, client: session.client, application: session.application }, result });
  }
  return results;
}
