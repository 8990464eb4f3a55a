import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createRoles, failLogins, holdSessions, ROLES } from '../src/sandbox/pg-scenario.js';
import { logSince, logSize, servers, sql } from './helpers/servers.js';
import { writeQuietLog } from './helpers/quiet-log.js';

const BIN = new URL('../bin/dbsec', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'dbsec-respond-'));
const server = servers()[0]!;
const admin = server.url();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function dbsec(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH!, HOME: dir }, timeout: 60_000, cwd: dir }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** Real sessions held open: a storm of one role, plus a few others that must survive. */
async function openSessions(user: { name: string; password: string }, count: number, application: string): Promise<pg.Client[]> {
  const clients = await Promise.all(
    Array.from({ length: count }, async () => {
      const client = new pg.Client({ connectionString: server.url({ user: user.name, password: user.password }), application_name: application });
      client.on('error', () => undefined);
      await client.connect();
      return client;
    }),
  );
  return clients;
}

async function sessionsOf(user: string): Promise<number> {
  return (await sql(server, `SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = '${user}'`)).rows[0].n;
}

const findingsOf = (stdout: string) => JSON.parse(stdout).findings as Array<{ checkId: string; status: string; title: string; summary: string; evidence: Array<Record<string, unknown>> }>;

beforeAll(() => createRoles(server));

describe('respond.connection-sources and containment (high-connections)', () => {
  let storm: pg.Client[] = [];
  let bystanders: pg.Client[] = [];
  beforeAll(async () => {
    storm = await openSessions(ROLES.reporting, 12, 'storm');
    bystanders = await openSessions(ROLES.app, 2, 'web');
  });
  afterAll(async () => {
    await Promise.all([...storm, ...bystanders].map((c) => c.end().catch(() => undefined)));
  });

  it('finds the storm and proposes the exact containment', async () => {
    const run = await dbsec(['respond', 'high-connections', '--database-url', admin, '--format', 'json']);
    const findings = findingsOf(run.stdout);
    expect(findings.find((f) => f.checkId === 'respond.connection-sources')).toMatchObject({ status: 'investigate', title: expect.stringMatching(/^12 of \d+ sessions come from 127\.0\.0\.1 as reporting$/) });
    const containment = findings.find((f) => f.checkId === 'respond.containment')!;
    expect(containment.status).toBe('monitor');
    expect(containment.evidence.map((e) => e.command)).toContain('dbsec respond high-connections --client-addr 127.0.0.1 --execute');
    expect(run.code).toBe(1);
  });

  it('is a dry run without --execute, refuses --execute without a selector or confirmation', async () => {
    const dry = await dbsec(['respond', 'high-connections', '--database-url', admin, '--user', ROLES.reporting.name, '--format', 'json']);
    expect(findingsOf(dry.stdout).find((f) => f.checkId === 'respond.containment')!.title).toBe('Dry run: would terminate 12 sessions');
    expect(await sessionsOf(ROLES.reporting.name)).toBe(12);
    expect(await dbsec(['respond', 'high-connections', '--database-url', admin, '--execute'])).toMatchObject({ code: 2, stderr: expect.stringContaining('add --client-addr ADDR, --user ROLE or --pid PID') });
    const unconfirmed = await dbsec(['respond', 'high-connections', '--database-url', admin, '--user', ROLES.reporting.name, '--execute']);
    expect(unconfirmed).toMatchObject({ code: 2, stderr: expect.stringContaining('pass --yes in scripts') });
    expect(await sessionsOf(ROLES.reporting.name)).toBe(12);
  });

  it('leaves superusers alone unless told, and never its own session', async () => {
    const other = new pg.Client(admin);
    await other.connect();
    try {
      const run = await dbsec(['respond', 'high-connections', '--database-url', admin, '--user', 'postgres', '--execute', '--yes', '--format', 'json']);
      const containment = findingsOf(run.stdout).find((f) => f.checkId === 'respond.containment')!;
      expect(containment.title).toBe('Terminated 0 of 0 selected sessions');
      expect(containment.summary).toMatch(/superuser session\(s\) left alone/);
      expect((await other.query('SELECT 1 AS one')).rows[0].one).toBe(1);
    } finally {
      await other.end();
    }
  });

  it('--execute --yes terminates exactly the selected sessions and logs each action', async () => {
    const log = join(dir, 'actions.jsonl');
    const run = await dbsec(['respond', 'high-connections', '--database-url', admin, '--user', ROLES.reporting.name, '--execute', '--yes', '--action-log', log, '--format', 'json']);
    const containment = findingsOf(run.stdout).find((f) => f.checkId === 'respond.containment')!;
    expect(containment).toMatchObject({ status: 'ok', title: 'Terminated 12 of 12 selected sessions' });
    await new Promise((r) => setTimeout(r, 300));
    expect(await sessionsOf(ROLES.reporting.name)).toBe(0);
    expect(await sessionsOf(ROLES.app.name)).toBeGreaterThanOrEqual(2);
    const actions = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(actions).toHaveLength(12);
    expect(actions[0]).toMatchObject({ command: 'respond high-connections', action: 'pg_terminate_backend', result: 'terminated', actor: { database: 'postgres' }, target: { user: ROLES.reporting.name, application: 'storm' } });
  });
});

describe('respond.failed-auth-burst (failed-auth)', () => {
  it('calls a burst of real failed logins brute force, and a quiet log ok', async () => {
    const mark = await logSize(server);
    await failLogins(server, 12);
    const logFile = await logSince(server, mark, join(dir, 'burst.log'));
    const run = await dbsec(['respond', 'failed-auth', '--log-file', logFile, '--since', '1h', '--format', 'json']);
    const burst = findingsOf(run.stdout).find((f) => f.checkId === 'respond.failed-auth-burst')!;
    expect(burst).toMatchObject({ status: 'investigate', title: 'Brute force from 127.0.0.1: 12 failed logins for 2 users' });
    const quiet = join(dir, 'quiet.log');
    writeQuietLog(quiet);
    const ok = await dbsec(['respond', 'failed-auth', '--log-file', quiet, '--format', 'json']);
    expect(findingsOf(ok.stdout).find((f) => f.checkId === 'respond.failed-auth-burst')!.status).toBe('ok');
    const missing = await dbsec(['respond', 'failed-auth', '--log-file', join(dir, 'none.log'), '--format', 'json']);
    expect(findingsOf(missing.stdout).find((f) => f.checkId === 'respond.failed-auth-burst')!.status).toBe('error');
  });
});

describe('respond.runaway-queries (high-cpu)', () => {
  it('finds a runaway query with its wait event and terminates it by pid', async () => {
    const config = join(dir, 'cpu.yaml');
    writeFileSync(config, 'checks:\n  respond.runaway-queries: { runawayAfter: 1s }\n');
    const release = await holdSessions(server, { longRunningQuery: true });
    try {
      await new Promise((r) => setTimeout(r, 1500));
      const run = await dbsec(['respond', 'high-cpu', '--database-url', admin, '-c', config, '--format', 'json']);
      const runaway = findingsOf(run.stdout).find((f) => f.checkId === 'respond.runaway-queries')!;
      expect(runaway.status).toBe('investigate');
      const pid = String(runaway.evidence[0]!.pid);
      expect(runaway.evidence[0]).toMatchObject({ user: ROLES.app.name, waitEvent: 'Timeout:PgSleep' });
      const log = join(dir, 'cpu-actions.jsonl');
      const kill = await dbsec(['respond', 'high-cpu', '--database-url', admin, '-c', config, '--pid', pid, '--execute', '--yes', '--action-log', log, '--format', 'json']);
      expect(findingsOf(kill.stdout).find((f) => f.checkId === 'respond.containment')!.title).toBe('Terminated 1 of 1 selected sessions');
      expect(existsSync(log)).toBe(true);
      const calm = await dbsec(['respond', 'high-cpu', '--database-url', admin, '-c', config, '--format', 'json']);
      expect(findingsOf(calm.stdout).find((f) => f.checkId === 'respond.runaway-queries')!.status).toBe('ok');
    } finally {
      await release();
    }
  });

  it('is an error naming the grant when dbsec cannot see other sessions', async () => {
    await sql(server, `DROP ROLE IF EXISTS rs_blind; CREATE ROLE rs_blind LOGIN PASSWORD 'b'`);
    try {
      const run = await dbsec(['respond', 'high-cpu', '--database-url', server.url({ user: 'rs_blind', password: 'b' }), '--format', 'json']);
      expect(findingsOf(run.stdout).find((f) => f.checkId === 'respond.runaway-queries')).toMatchObject({ status: 'error', summary: expect.stringContaining('GRANT pg_monitor TO rs_blind') });
    } finally {
      await sql(server, 'DROP ROLE rs_blind');
    }
  });
});
