import { beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import connections from '../../src/checks/daily/connections.js';
import longRunning from '../../src/checks/daily/long-running-queries.js';
import { createRoles, holdSessions, ROLES } from '../../src/sandbox/pg-scenario.js';
import { runCheck, statuses } from '../helpers/run-check.js';
import { servers, sql } from '../helpers/servers.js';
import type { SandboxPostgres } from '../../src/sandbox/postgres.js';
import { openPgSession } from '../../src/sources/postgres.js';
import { resolveTarget } from '../../src/target.js';

const auditorUrl = (server: SandboxPostgres, ssl = true) => server.url({ user: ROLES.auditor.name, password: ROLES.auditor.password, ssl });

describe.each(servers().map((server) => [server.flavor, server] as const))('PostgreSQL checks on %s', (_flavor, server) => {
  beforeAll(async () => {
    await createRoles(server);
    await sql(server, `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'nomonitor') THEN CREATE ROLE nomonitor LOGIN PASSWORD 'nomonitor-pw'; END IF; END $$`);
  });

  it('opens a read-only session named dbsec, bounded by statement and lock timeouts', async () => {
    const session = await openPgSession(resolveTarget({ databaseUrl: auditorUrl(server) }, {}), { statementTimeoutMs: 1500, lockTimeoutMs: 700, connectTimeoutMs: 3000 });
    try {
      const [row] = await session.query<Record<string, string>>(
        "SELECT current_setting('default_transaction_read_only') AS ro, current_setting('statement_timeout') AS st, current_setting('lock_timeout') AS lt, current_setting('application_name') AS app",
      );
      expect(row).toEqual({ ro: 'on', st: '1500ms', lt: '700ms', app: 'dbsec' });
      await expect(session.query('CREATE TABLE dbsec_should_not_exist (x int)')).rejects.toThrow(/read-only transaction/);
      await expect(session.query('SELECT pg_sleep(5)')).rejects.toThrow(/statement_timeout/);
    } finally {
      await session.close();
    }
  });

  describe('daily.connections', () => {
    it('is ok when usage is low and every TCP session uses SSL', async () => {
      const findings = await runCheck(connections, { databaseUrl: auditorUrl(server) });
      expect(statuses(findings)).toEqual(['ok', 'ok']);
      expect(findings[0]!.title).toMatch(/of \d+ connections in use/);
    });

    it('reports a TCP session without SSL as monitor, naming its pid', async () => {
      const release = await holdSessions(server, { idleInTransaction: true });
      try {
        const findings = await runCheck(connections, { databaseUrl: auditorUrl(server) });
        const ssl = findings.find((f) => f.resource === 'pg_stat_ssl')!;
        expect(ssl.status).toBe('monitor');
        expect(ssl.evidence).toEqual([expect.objectContaining({ user: ROLES.reporting.name, client: '127.0.0.1' })]);
      } finally {
        await release();
      }
    });

    it('goes monitor then investigate as connections near max_connections', async () => {
      const clients = await Promise.all([1, 2, 3].map(async () => {
        const c = new pg.Client(server.url({ ssl: true }));
        await c.connect();
        return c;
      }));
      try {
        const monitor = await runCheck(connections, { databaseUrl: auditorUrl(server) }, { monitorAtPercent: 2, investigateAtPercent: 50 });
        expect(monitor[0]!.status).toBe('monitor');
        const investigate = await runCheck(connections, { databaseUrl: auditorUrl(server) }, { monitorAtPercent: 1, investigateAtPercent: 3 });
        expect(investigate[0]!.status).toBe('investigate');
        expect(investigate[0]!.evidence).toContainEqual(expect.objectContaining({ user: 'postgres', total: 3 }));
      } finally {
        await Promise.all(clients.map((c) => c.end()));
      }
    });

    it('leaves out its own session', async () => {
      const findings = await runCheck(connections, { databaseUrl: auditorUrl(server) });
      expect(findings[0]!.evidence.some((row) => row.user === ROLES.auditor.name)).toBe(false);
    });

    it("leaves out dbsec's other sessions (another target, a parallel run), never a session that only calls itself dbsec", async () => {
      // Without SSL, so each would be flagged: dbsec's other run as its own role, and another role naming itself dbsec.
      const sessions = [
        new pg.Client({ connectionString: auditorUrl(server, false), application_name: 'dbsec' }),
        new pg.Client({ connectionString: server.url({ user: ROLES.app.name, password: ROLES.app.password }), application_name: 'dbsec' }),
      ];
      await Promise.all(sessions.map((c) => c.connect()));
      try {
        const findings = await runCheck(connections, { databaseUrl: auditorUrl(server) });
        const ssl = findings.find((f) => f.resource === 'pg_stat_ssl')!;
        expect(ssl.evidence.map((row) => [row.user, row.application])).toEqual([[ROLES.app.name, 'dbsec']]);
      } finally {
        await Promise.all(sessions.map((c) => c.end()));
      }
    });

    it('is an error, not a partial ok, when the role cannot see other sessions', async () => {
      const findings = await runCheck(connections, { databaseUrl: server.url({ user: 'nomonitor', password: 'nomonitor-pw' }) });
      expect(statuses(findings)).toEqual(['error']);
      expect(findings[0]!.summary).toContain('GRANT pg_monitor TO nomonitor');
    });

    it('is an error with one clear sentence when the server is unreachable or the password is wrong', async () => {
      const refused = await runCheck(connections, { databaseUrl: 'postgres://auditor:hunter2@127.0.0.1:1/postgres' });
      expect(refused[0]!.status).toBe('error');
      expect(refused[0]!.summary).toMatch(/^Cannot connect to PostgreSQL at auditor@127\.0\.0\.1:1\/postgres: connection refused;/);
      expect(refused[0]!.summary).not.toContain('hunter2');
      const wrong = await runCheck(connections, { databaseUrl: server.url({ user: ROLES.auditor.name, password: 'nope' }) });
      expect(wrong[0]!.summary).toMatch(/rejected the password; check PGPASSWORD/);
    });
  });

  describe('daily.long-running-queries', () => {
    it('is ok when nothing runs long', async () => {
      const findings = await runCheck(longRunning, { databaseUrl: auditorUrl(server) });
      expect(statuses(findings)).toEqual(['ok']);
    });

    it('finds a real long query and an idle transaction, each as investigate, with the password redacted', async () => {
      const release = await holdSessions(server, { longRunningQuery: true, idleInTransaction: true });
      try {
        await new Promise((resolve) => setTimeout(resolve, 1300));
        const findings = await runCheck(longRunning, { databaseUrl: auditorUrl(server) }, { minDuration: '1s', idleInTransaction: '1s' });
        expect(statuses(findings)).toEqual(['investigate', 'investigate']);
        const query = findings.find((f) => f.title.startsWith('Query running'))!;
        expect(query.evidence[0]).toMatchObject({ user: ROLES.app.name, application: 'billing-export', state: 'active' });
        expect(String(query.evidence[0]!.query)).toContain("password '***'");
        expect(JSON.stringify(findings)).not.toContain('not-a-secret');
        expect(findings.find((f) => f.title.startsWith('Transaction idle'))!.evidence[0]).toMatchObject({ state: 'idle in transaction' });
      } finally {
        await release();
      }
    });

    it('is not a monitor case by design: below the limit the same sessions are ok', async () => {
      const release = await holdSessions(server, { longRunningQuery: true });
      try {
        const findings = await runCheck(longRunning, { databaseUrl: auditorUrl(server) }, { minDuration: '10m' });
        expect(statuses(findings)).toEqual(['ok']);
      } finally {
        await release();
      }
    });

    it('is skipped with the flag to add when no database is configured', async () => {
      const findings = await runCheck(longRunning, {});
      expect(findings[0]).toMatchObject({ status: 'skipped' });
      expect(findings[0]!.summary).toContain('--database-url');
    });
  });
});
