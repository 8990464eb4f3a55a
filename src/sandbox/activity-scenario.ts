import { execFile as execFileCb } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import pg from 'pg';
import type { SandboxPostgres } from './postgres.js';
import { DEBIAN_PG15_BIN } from './postgres.js';
import { createRoles, ROLES } from './pg-scenario.js';

const execFile = promisify(execFileCb);

/** A statement of the activity scenario, run as the superuser unless `as` says otherwise. */
interface Step {
  /** The use case a monitor must report for it (setup steps expect none). */
  expect: string;
  sql: string;
  values?: unknown[];
  as?: 'app';
}

/** The secret the scenario sets as a password; it must never appear in dbsec's output. */
export const SCENARIO_SECRET = 'Sc3nario-Secret-pw';

/**
 * Use cases these statements do not make: text the grammar cannot read, and what the log says about logins and about
 * statements and sessions that ended early or were refused (fixtures/record-logs.mjs, record-interruptions.mjs and
 * record-attempts.mjs record those).
 */
export const BEYOND_SCENARIO: readonly string[] = ['unparsed', 'failed-login', 'long-running', 'statement-cancelled', 'session-terminated', 'permission-denied', 'unexpected-client', 'server-restart'];

/** Real statements for each of seed 000's use cases, in an order that works on a fresh database. */
export const ACTIVITY_STEPS: Step[] = [
  { expect: 'table-created', sql: `CREATE TABLE act_customers (id int PRIMARY KEY, email text,\n  card text)` },
  { expect: 'none', sql: `INSERT INTO act_customers VALUES (1, 'a@example.com', '4111'), (2, 'b@example.com', '4222'), (3, 'c@example.com', '4333')` },
  { expect: 'none', sql: `CREATE VIEW act_customer_emails AS SELECT id, email FROM act_customers` },
  { expect: 'none', sql: `CREATE FUNCTION act_total() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM act_customers $$` },
  { expect: 'none', sql: `CREATE PROCEDURE act_touch(n int) LANGUAGE plpgsql AS $$ BEGIN PERFORM n; END $$` },
  { expect: 'function-execution', sql: `SELECT act_total()` },
  { expect: 'function-execution', sql: `CALL act_touch(1)` },
  { expect: 'function-execution', sql: `DO $$ BEGIN PERFORM 1; END $$` },
  { expect: 'function-tampering', sql: `CREATE OR REPLACE FUNCTION act_total() RETURNS bigint LANGUAGE sql SECURITY DEFINER AS $$ SELECT count(*) + 0 FROM act_customers $$` },
  { expect: 'function-tampering', sql: `ALTER FUNCTION act_total() SET search_path = public, pg_temp` },
  { expect: 'function-tampering', sql: `CREATE FUNCTION act_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$; CREATE TRIGGER act_audit_trg BEFORE UPDATE ON act_customers FOR EACH ROW EXECUTE FUNCTION act_audit()` },
  {
    expect: 'obfuscated-code',
    sql: `CREATE FUNCTION act_wrapped() RETURNS void LANGUAGE plpgsql AS $$\nBEGIN\n  EXECUTE convert_from(decode('U0VMRUNUIDE=', 'base64'), 'UTF8');\nEND\n$$`,
  },
  { expect: 'obfuscated-code', sql: `DO $$ BEGIN EXECUTE 'SEL' || chr(69) || 'CT 1'; END $$` },
  { expect: 'view-delete', sql: `DELETE FROM act_customer_emails WHERE id = 3` },
  { expect: 'alter-table', sql: `ALTER TABLE act_customers ADD COLUMN note text` },
  { expect: 'alter-table', sql: `ALTER TABLE act_customers DISABLE ROW LEVEL SECURITY` },
  { expect: 'table-created', sql: `CREATE UNLOGGED TABLE act_staging (id int)` },
  { expect: 'table-created', sql: `SELECT * INTO act_copy FROM act_customers` },
  { expect: 'truncate', sql: `TRUNCATE act_copy` },
  { expect: 'drop-table', sql: `DROP TABLE act_copy, act_staging` },
  { expect: 'user-created', sql: `CREATE ROLE act_intruder LOGIN PASSWORD '${SCENARIO_SECRET}'` },
  { expect: 'privileged-operation', sql: `GRANT SELECT ON act_customers TO act_intruder` },
  { expect: 'privileged-operation', sql: `ALTER ROLE act_intruder CREATEROLE` },
  { expect: 'privileged-operation', sql: `SET ROLE act_intruder` },
  { expect: 'none', sql: `RESET ROLE` },
  { expect: 'privileged-operation', sql: `ALTER SYSTEM SET log_min_duration_statement = '5s'` },
  { expect: 'privileged-operation', sql: `ALTER SYSTEM RESET log_min_duration_statement` },
  { expect: 'privileged-operation', sql: `SELECT set_config($1, $2, false)`, values: ['application_name', `conn password=${SCENARIO_SECRET}`] },
  { expect: 'data-exfiltration', sql: `COPY act_customers TO '/dev/null'` },
  { expect: 'data-exfiltration', sql: `COPY (SELECT email, card FROM act_customers) TO PROGRAM 'cat > /dev/null'` },
  { expect: 'data-exfiltration', sql: `SELECT pg_read_file('PG_VERSION')` },
  { expect: 'data-exfiltration', sql: `SELECT email, card FROM act_customers`, as: 'app' },
  { expect: 'view-delete', sql: `DROP VIEW act_customer_emails` },
  { expect: 'user-dropped', sql: `DROP OWNED BY act_intruder; DROP ROLE act_intruder` },
  { expect: 'function-tampering', sql: `DROP FUNCTION act_wrapped()` },
  { expect: 'drop-table', sql: `DROP TABLE act_customers CASCADE` },
];

/**
 * Runs the scenario for real: every step as a separate query (one log entry each), the application's read as
 * app_user, then, when a pg_dump binary is given, a real pg_dump session.
 */
export async function runActivityScenario(server: SandboxPostgres, options: { pgDump?: string; database?: string } = {}): Promise<void> {
  await createRoles(server);
  const database = options.database ?? 'postgres';
  const admin = new pg.Client(server.url({ database }));
  const app = new pg.Client(server.url({ user: ROLES.app.name, password: ROLES.app.password, database }));
  await admin.connect();
  await app.connect();
  try {
    await admin.query(`DROP TABLE IF EXISTS act_customers CASCADE; DROP TABLE IF EXISTS act_copy, act_staging; DROP FUNCTION IF EXISTS act_wrapped(); DROP FUNCTION IF EXISTS act_audit() CASCADE`);
    await admin.query(`DO $$ BEGIN IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'act_intruder') THEN DROP OWNED BY act_intruder; DROP ROLE act_intruder; END IF; END $$`);
    for (const step of ACTIVITY_STEPS) {
      if (step.sql.startsWith('SELECT email, card')) await admin.query(`GRANT SELECT ON act_customers TO ${ROLES.app.name}`);
      const client = step.as === 'app' ? app : admin;
      await client.query(step.values ? { text: step.sql, values: step.values } : step.sql);
    }
  } finally {
    await app.end();
    await admin.end();
  }
  const pgDump = options.pgDump ?? join15('pg_dump');
  if (existsSync(pgDump)) {
    // pg_dump refuses a newer server after connecting: its session (application_name pg_dump) still reaches the log.
    await execFile(pgDump, ['--schema-only', '-d', server.url({ database }), '-f', '/dev/null']).catch(() => undefined);
  }
}

function join15(bin: string): string {
  return `${DEBIAN_PG15_BIN}/${bin}`;
}
