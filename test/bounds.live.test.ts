import { describe, expect, it } from 'vitest';
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
