import { inject } from 'vitest';
import pg from 'pg';
import { SANDBOX_PASSWORD, SANDBOX_SUPERUSER, type SandboxPostgres } from '../../src/sandbox/postgres.js';
import type { ServerInfo } from './global-setup.js';

/** The servers global-setup started, with the url() of SandboxPostgres (stop belongs to global-setup). */
export function servers(): SandboxPostgres[] {
  return inject('servers').map(toServer);
}

function toServer(info: ServerInfo): SandboxPostgres {
  return {
    ...info,
    dataDir: '',
    url({ user = SANDBOX_SUPERUSER, password = SANDBOX_PASSWORD, database = 'postgres', ssl = false } = {}) {
      return `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${info.port}/${database}${ssl ? '?sslmode=no-verify' : ''}`;
    },
    async stop() {},
  };
}

export async function sql(server: SandboxPostgres, text: string): Promise<pg.QueryResult> {
  const client = new pg.Client(server.url());
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}
