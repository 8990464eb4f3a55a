import type { CheckContext } from '../context.js';

export interface BackendRow {
  pid: number;
  user: string | null;
  application: string | null;
  client: string | null;
  state: string | null;
  waitEvent: string | null;
  query: string | null;
  ssl: boolean | null;
  querySeconds: number | null;
  stateSeconds: number | null;
  xactSeconds: number | null;
  backendSeconds: number | null;
  superuser: boolean;
}

export interface ActivitySnapshot {
  maxConnections: number;
  reservedConnections: number;
  /** False when dbsec's role cannot read other roles' state and query (needs pg_read_all_stats, part of pg_monitor). */
  seesAllSessions: boolean;
  role: string;
  backends: BackendRow[];
}

// Columns present since PostgreSQL 10 (backend_type) and 9.5 (pg_stat_ssl): fine for 12 and newer.
const BACKENDS_SQL = `
SELECT a.pid, a.usename AS "user", a.application_name AS application,
       CASE WHEN a.client_addr IS NULL THEN NULL ELSE host(a.client_addr) END AS client,
       a.state, a.wait_event_type || ':' || a.wait_event AS "waitEvent", a.query, s.ssl,
       EXTRACT(EPOCH FROM now() - a.query_start)::float8 AS "querySeconds",
       EXTRACT(EPOCH FROM now() - a.state_change)::float8 AS "stateSeconds",
       EXTRACT(EPOCH FROM now() - a.xact_start)::float8 AS "xactSeconds",
       EXTRACT(EPOCH FROM now() - a.backend_start)::float8 AS "backendSeconds",
       coalesce(r.rolsuper, false) AS superuser
  FROM pg_stat_activity a
  LEFT JOIN pg_stat_ssl s ON s.pid = a.pid
  LEFT JOIN pg_roles r ON r.oid = a.usesysid
 WHERE a.backend_type = 'client backend' AND a.pid <> pg_backend_pid()
   -- dbsec's other sessions (another target on this server, a run in parallel): its name and its role
   AND NOT (a.application_name = 'dbsec' AND a.usename = current_user)
 ORDER BY a.pid`;

const SETTINGS_SQL = `
SELECT current_setting('max_connections')::int AS "maxConnections",
       current_setting('superuser_reserved_connections')::int AS "reservedConnections",
       current_user AS role,
       (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
         OR pg_has_role(current_user, 'pg_read_all_stats', 'USAGE') AS "seesAllSessions"`;

/** One pg_stat_activity snapshot per target, shared by the connection and long-query checks. */
export function activitySnapshot(ctx: CheckContext): Promise<ActivitySnapshot> {
  return ctx.memo('pg-activity', async () => {
    const pg = await ctx.pg();
    const [settings] = await pg.query<Omit<ActivitySnapshot, 'backends'>>(SETTINGS_SQL);
    const backends = await pg.query<BackendRow>(BACKENDS_SQL);
    return { ...settings!, backends };
  });
}

/** dbsec sees only its own role's sessions without pg_read_all_stats: say so rather than report a partial "ok". */
export function visibilityProblem(snapshot: ActivitySnapshot): string | undefined {
  return snapshot.seesAllSessions
    ? undefined
    : `dbsec's role ${snapshot.role} cannot see other roles' sessions; run GRANT pg_monitor TO ${snapshot.role}.`;
}
