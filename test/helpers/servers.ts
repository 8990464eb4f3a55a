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

/** The bytes a server logged since `mark` (a length of its log), written to `path`: a test counts only its own lines. */
export async function logSince(server: SandboxPostgres, mark: number, path: string, gzip = false): Promise<string> {
  const { readFileSync, writeFileSync } = await import('node:fs');
  const { gzipSync } = await import('node:zlib');
  await new Promise((resolve) => setTimeout(resolve, 300));
  const text = readFileSync(server.logFile).subarray(mark);
  writeFileSync(path, gzip ? gzipSync(text) : text);
  return path;
}

export async function logSize(server: SandboxPostgres): Promise<number> {
  const { statSync } = await import('node:fs');
  return statSync(server.logFile).size;
}
