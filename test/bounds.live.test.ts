import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { openPgSession } from '../src/sources/postgres.js';
import { resolveTarget } from '../src/target.js';
import { servers } from './helpers/servers.js';

/** A PostgreSQL backend that stops answering mid-session: dbsec gives up on its own clock, not only the server's. */
describe('a backend that stops answering', () => {
  it('fails the query within statement_timeout plus 5 s, in one sentence', async () => {
    const [server] = servers();
    const session = await openPgSession(resolveTarget({ databaseUrl: server!.url() }, {}), { statementTimeoutMs: 1_000, lockTimeoutMs: 1_000, connectTimeoutMs: 3_000 });
    // SIGSTOP freezes the backend: statement_timeout can no longer fire inside it.
    process.kill(session.pid, 'SIGSTOP');
    const started = performance.now();
    try {
      await expect(session.query('SELECT 1')).rejects.toThrow(/^PostgreSQL at .* stopped answering a query \(no reply within statementTimeout plus 5 s\); check the server's health and the network\.$/);
      expect(performance.now() - started).toBeLessThan(10_000);
    } finally {
      process.kill(session.pid, 'SIGCONT');
      await session.close();
    }
  }, 30_000);
});

describe('a libpq keyword=value connection string', () => {
  it('connects like the URL it stands for', async () => {
    const url = new URL(servers()[0]!.url());
    const keywords = `host=${url.hostname} port=${url.port} user=${decodeURIComponent(url.username)} password='${decodeURIComponent(url.password)}' dbname=postgres`;
    const session = await openPgSession(resolveTarget({ databaseUrl: keywords }, {}), { statementTimeoutMs: 1_000, lockTimeoutMs: 1_000, connectTimeoutMs: 3_000 });
    try {
      expect(await session.query('SELECT current_database() AS db')).toEqual([{ db: 'postgres' }]);
    } finally {
      await session.close();
    }
  });
});

describe('a table locked by another session', () => {
  it('fails the query at lock_timeout with a sentence saying what to do', async () => {
    const holder = new pg.Client(servers()[0]!.url());
    await holder.connect();
    await holder.query('CREATE TABLE IF NOT EXISTS dbsec_locked (id int)');
    await holder.query('BEGIN; LOCK TABLE dbsec_locked IN ACCESS EXCLUSIVE MODE');
    const session = await openPgSession(resolveTarget({ databaseUrl: servers()[0]!.url() }, {}), { statementTimeoutMs: 5_000, lockTimeoutMs: 200, connectTimeoutMs: 3_000 });
    try {
      await expect(session.query('SELECT count(*) FROM dbsec_locked')).rejects.toThrow(/^PostgreSQL at .*: a query waited longer than lockTimeout for a lock another session holds \(canceling statement due to lock timeout\); retry later, or raise lockTimeout in the config\.$/);
    } finally {
      await session.close();
      await holder.query('ROLLBACK; DROP TABLE dbsec_locked');
      await holder.end();
    }
  });
});
