import { execFile as execFileCb } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DbsecError, messageOf } from '../errors.js';
import type { PgSession } from '../sources/postgres.js';
import { checkSeal, seal, type Seal } from '../seal.js';
import { hashTrees, type FileHashes } from './files.js';

const execFile = promisify(execFileCb);

/** Where a PostgreSQL installation keeps what the server runs: its programs, its loadable libraries, its extensions. */
export interface Installation {
  pgConfig: string;
  /** pg_config --version, e.g. "PostgreSQL 15.20 (Debian 15.20-0+deb12u1)". */
  version: string;
  bindir: string;
  pkglibdir: string;
  sharedir: string;
}

/** What a running server has loaded and installed: all that can be checked where its files cannot be reached (RDS). */
export interface ServerState {
  version: string;
  sharedPreloadLibraries: string[];
  /** Extension name → version, in the database dbsec connects to. */
  extensions: Record<string, string>;
}

export interface IntegrityContent {
  installation?: Omit<Installation, 'pgConfig'>;
  files?: FileHashes;
  server?: ServerState;
}

export interface IntegrityManifest extends Seal {
  format: 'dbsec-integrity';
  version: 1;
  capturedAt: string;
  content: IntegrityContent;
}

/** The directories whose files are hashed: the programs, the libraries, and the extensions' control and SQL files. */
export function hashedDirs(installation: Pick<Installation, 'bindir' | 'pkglibdir' | 'sharedir'>): string[] {
  return [installation.bindir, installation.pkglibdir, join(installation.sharedir, 'extension')];
}

/** pg_config's answer for the installation it belongs to (PostgreSQL computes the paths from where pg_config is). */
export async function locateInstallation(pgConfig: string): Promise<Installation> {
  try {
    const { stdout } = await execFile(pgConfig, ['--version', '--bindir', '--pkglibdir', '--sharedir'], { timeout: 10_000 });
    const [version, bindir, pkglibdir, sharedir] = stdout.trim().split('\n');
    if (!sharedir) throw new Error('it did not print four lines');
    return { pgConfig, version: version!, bindir: bindir!, pkglibdir: pkglibdir!, sharedir: sharedir! };
  } catch (err) {
    throw new DbsecError(`Cannot run ${pgConfig} (${messageOf(err).split('\n')[0]}): pass --pg-config with the pg_config of the installation the server runs, e.g. /usr/lib/postgresql/15/bin/pg_config.`);
  }
}

export async function serverState(pg: PgSession): Promise<ServerState> {
  const [settings] = await pg.query<{ version: string; preload: string }>(`SELECT current_setting('server_version') AS version, current_setting('shared_preload_libraries') AS preload`);
  const extensions = await pg.query<{ name: string; version: string }>('SELECT extname AS name, extversion AS version FROM pg_extension ORDER BY 1');
  return {
    version: settings!.version,
    sharedPreloadLibraries: settings!.preload.split(',').map((l) => l.trim().replace(/^"|"$/g, '')).filter(Boolean).sort(),
    extensions: Object.fromEntries(extensions.map((e) => [e.name, e.version])),
  };
}

export async function captureIntegrity(parts: { installation?: Installation; server?: ServerState; now: Date; signKey?: string; signal?: AbortSignal }): Promise<IntegrityManifest> {
  const content: IntegrityContent = {};
  if (parts.installation) {
    const { pgConfig: _where, ...installation } = parts.installation;
    content.installation = installation;
    content.files = await hashTrees(hashedDirs(installation), parts.signal);
  }
  if (parts.server) content.server = parts.server;
  return { format: 'dbsec-integrity', version: 1, capturedAt: parts.now.toISOString(), content, ...seal(content, parts.signKey) };
}

/** A manifest dbsec wrote and nobody changed since (with a key: signed with it). */
export function verifiedManifest(data: unknown, source: string, signKey?: string): IntegrityManifest {
  const manifest = data as IntegrityManifest;
  if (!manifest || manifest.format !== 'dbsec-integrity' || manifest.version !== 1 || !manifest.content || typeof manifest.contentSha256 !== 'string') {
    throw new DbsecError(`${source} is not a dbsec integrity manifest (format dbsec-integrity, version 1): make one with dbsec integrity capture.`);
  }
  checkSeal(manifest, source, 'an integrity manifest', signKey);
  return manifest;
}
