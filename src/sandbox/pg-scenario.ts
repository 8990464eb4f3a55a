import pg from 'pg';
import type { SandboxPostgres } from './postgres.js';
import { systemClock, type Clock } from '../clock.js';

/** Roles of the seeded scenario; dbsec itself connects as the auditor, a pg_monitor member. */
export const ROLES = {
  auditor: { name: 'dbsec_auditor', password: 'auditor-pw' },
  app: { name: 'app_user', password: 'app-user-pw' },
  reporting: { name: 'reporting', password: 'reporting-pw' },
} as const;

export interface ScenarioOptions {
  /** The run's clock, which stamps startedAt (the system clock by default). */
  clock?: Clock;
  failedLogins?: number;
  longRunningQuery?: boolean;
  idleInTransaction?: boolean;
}

export interface PgScenario {
  /** When the long-running query and the idle transaction began. */
  startedAt: Date;
  stop(): Promise<void>;
}

export async function createRoles(server: SandboxPostgres): Promise<void> {
  const admin = new pg.Client(server.url());
  await admin.connect();
  try {
    for (const role of Object.values(ROLES)) {
      await admin.query(`DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${role.name}') THEN CREATE ROLE ${role.name} LOGIN PASSWORD '${role.password}'; END IF; END $$`);
    }
    await admin.query(`GRANT pg_monitor TO ${ROLES.auditor.name}`);
  } finally {
    await admin.end();
  }
}

/** Real failed logins: wrong passwords for a real role and attempts at one that does not exist. */
export async function failLogins(server: SandboxPostgres, count: number, users: string[] = [ROLES.app.name, 'admin']): Promise<void> {
  for (let i = 0; i < count; i++) {
    const client = new pg.Client(server.url({ user: users[i % users.length]!, password: `wrong-${i}` }));
    client.on('error', () => undefined);
    await client.connect().then(() => client.end(), () => undefined);
  }
}

/** A real query that runs on, and a transaction left open, as the daily check must find them. */
export async function holdSessions(server: SandboxPostgres, options: { longRunningQuery?: boolean; idleInTransaction?: boolean }): Promise<() => Promise<void>> {
  const clients: pg.Client[] = [];
  if (options.longRunningQuery) {
    const client = new pg.Client({ connectionString: server.url({ user: ROLES.app.name, password: ROLES.app.password }), application_name: 'billing-export' });
    await client.connect();
    client.on('error', () => undefined);
    client.query("SELECT pg_sleep(3600) /* nightly export, password 'not-a-secret' */").catch(() => undefined);
    clients.push(client);
  }
  if (options.idleInTransaction) {
    const client = new pg.Client({ connectionString: server.url({ user: ROLES.reporting.name, password: ROLES.reporting.password }), application_name: 'report-builder' });
    await client.connect();
    client.on('error', () => undefined);
    await client.query('BEGIN');
    await client.query('SELECT count(*) FROM pg_class');
    clients.push(client);
  }
  return async () => {
    const admin = new pg.Client(server.url());
    await admin.connect();
    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename IN ('${ROLES.app.name}', '${ROLES.reporting.name}')`);
    await admin.end();
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  };
}

/** An application schema for the weekly review: a table granted to PUBLIC, a dropped table, statements in pg_stat_statements. */
export async function seedSchema(server: SandboxPostgres): Promise<void> {
  const admin = new pg.Client(server.url());
  await admin.connect();
  try {
    await admin.query(`CREATE EXTENSION IF NOT EXISTS pg_stat_statements`);
    await admin.query(`CREATE TABLE IF NOT EXISTS customers (id int PRIMARY KEY, email text)`);
    await admin.query(`GRANT SELECT ON customers TO PUBLIC`);
    await admin.query(`GRANT SELECT, INSERT ON customers TO ${ROLES.app.name}`);
    await admin.query(`GRANT CREATE ON SCHEMA public TO ${ROLES.app.name}`);
  } finally {
    await admin.end();
  }
  const app = new pg.Client(server.url({ user: ROLES.app.name, password: ROLES.app.password }));
  await app.connect();
  try {
    await app.query(`SELECT email FROM customers WHERE id = 1 OR 1=1`);
    await app.query(`CREATE TABLE scratch_export (id int)`);
    await app.query(`DROP TABLE scratch_export`);
  } finally {
    await app.end();
  }
}

export async function seedScenario(server: SandboxPostgres, options: ScenarioOptions = {}): Promise<PgScenario> {
  await createRoles(server);
  await failLogins(server, options.failedLogins ?? 8);
  const startedAt = (options.clock ?? systemClock)();
  const release = await holdSessions(server, { longRunningQuery: options.longRunningQuery ?? true, idleInTransaction: options.idleInTransaction ?? true });
  return { startedAt, stop: release };
}
