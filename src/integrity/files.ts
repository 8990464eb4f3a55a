import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import pLimit from 'p-limit';
import { DbsecError } from '../errors.js';

/** An installation has a few thousand files (Debian's PostgreSQL 15: about 500 without JIT bitcode); past this, something is wrong. */
export const MAX_FILES = 50_000;

/** Path → sha256 of a regular file's bytes, or `symlink → target` (a swapped link is a change too). */
export type FileHashes = Record<string, string>;

/** Every file under the directories, hashed 4 at a time, sorted by path; a directory that does not exist is empty. */
export async function hashTrees(dirs: readonly string[], signal?: AbortSignal): Promise<FileHashes> {
  const paths: string[] = [];
  for (const dir of dirs) await walk(dir, paths);
  const limit = pLimit(4);
  const hashes = await Promise.all(paths.map((path) => limit(() => hashEntry(path, signal))));
  return Object.fromEntries(paths.map((path, i) => [path, hashes[i]!] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

async function walk(dir: string, into: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw new DbsecError(`Cannot list ${dir}: ${err.message}; run dbsec as a user that can read the PostgreSQL installation.`);
  });
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await walk(path, into);
    else if (entry.isFile() || entry.isSymbolicLink()) into.push(path);
    if (into.length > MAX_FILES) throw new DbsecError(`More than ${MAX_FILES} files under ${dir}: that is not a PostgreSQL installation; check --pg-config.`);
  }
}

async function hashEntry(path: string, signal?: AbortSignal): Promise<string> {
  const stat = await lstat(path);
  if (stat.isSymbolicLink()) return `symlink → ${await readlink(path)}`;
  const hash = createHash('sha256');
  await pipeline(createReadStream(path, { signal }), hash);
  return hash.digest('hex');
}

/** What differs between two hashings of the same directories. */
export function compareHashes(before: FileHashes, after: FileHashes): { changed: string[]; missing: string[]; added: string[] } {
  const changed: string[] = [];
  const missing: string[] = [];
  for (const [path, hash] of Object.entries(before)) {
    if (!(path in after)) missing.push(path);
    else if (after[path] !== hash) changed.push(path);
  }
  return { changed, missing, added: Object.keys(after).filter((path) => !(path in before)) };
}
