import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open, readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { DbsecError } from '../errors.js';

export const MANIFEST = 'MANIFEST.sha256';

/** The SHA-256 of a regular file, never through a symbolic link (O_NOFOLLOW). */
export async function sha256File(path: string): Promise<string> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const hash = createHash('sha256');
    for await (const chunk of handle.createReadStream({ autoClose: false })) hash.update(chunk as Buffer);
    return hash.digest('hex');
  } finally {
    await handle.close();
  }
}

/** Writes DIR/MANIFEST.sha256 in sha256sum's format, so `sha256sum -c MANIFEST.sha256` checks it too. */
export async function writeManifest(dir: string, files: readonly string[]): Promise<void> {
  const lines = await Promise.all([...files].sort().map(async (file) => `${await sha256File(join(dir, file))}  ${file}`));
  await writeFile(join(dir, MANIFEST), `${lines.join('\n')}\n`, { flag: 'wx' });
}

export interface ManifestCheck {
  unchanged: string[];
  changed: string[];
  missing: string[];
  added: string[];
  /** What no honest collection leaves: entries outside the directory, symbolic links, special files. Never followed. */
  tampered: Array<{ file: string; why: string }>;
}

/** A manifest entry dbsec writes: a plain relative path inside the directory, no "." or ".." part, no backslash. */
function plainRelative(file: string): boolean {
  return !file.startsWith('/') && !/[\\\0]/.test(file) && file.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}

/** Re-hashes every file the manifest lists and lists the files it does not. */
export async function verifyManifest(dir: string): Promise<ManifestCheck> {
  let text: string;
  try {
    text = await readFile(join(dir, MANIFEST), 'utf8');
  } catch {
    throw new DbsecError(`${join(dir, MANIFEST)} cannot be read: pass the directory that dbsec evidence collect (or incident start) wrote.`);
  }
  const listed = new Map<string, string>();
  for (const [index, line] of text.split('\n').entries()) {
    if (!line.trim()) continue;
    const match = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (!match) throw new DbsecError(`${MANIFEST} line ${index + 1} is not "<sha256>  <file>": the manifest itself was altered.`);
    listed.set(match[2]!, match[1]!);
  }
  const result: ManifestCheck = { unchanged: [], changed: [], missing: [], added: [], tampered: [] };
  // On a case-insensitive file system (macOS, Windows shares) two such names are one file: one could stand in for the other.
  const byFolded = new Map<string, string>();
  for (const [file, expected] of listed) {
    if (!plainRelative(file)) {
      result.tampered.push({ file, why: 'the manifest names a path outside the evidence directory (not followed)' });
      continue;
    }
    const twin = byFolded.get(file.toLowerCase());
    byFolded.set(file.toLowerCase(), file);
    if (twin !== undefined) {
      result.tampered.push({ file, why: `the manifest also lists ${twin}, a name that differs only in case` });
      continue;
    }
    const kind = await lstat(join(dir, file)).catch(() => undefined);
    if (!kind) result.missing.push(file);
    else if (kind.isSymbolicLink()) result.tampered.push({ file, why: 'it is a symbolic link, not the file that was sealed' });
    else if (!kind.isFile()) result.tampered.push({ file, why: 'it is not a regular file' });
    else (((await sha256File(join(dir, file))) === expected ? result.unchanged : result.changed) as string[]).push(file);
  }
  for (const entry of await entriesUnder(dir)) {
    if (entry.file === MANIFEST || listed.has(entry.file)) continue;
    const twin = byFolded.get(entry.file.toLowerCase());
    if (twin !== undefined) result.tampered.push({ file: entry.file, why: `its name differs from the sealed ${twin} only in case` });
    else if (entry.kind === 'file') result.added.push(entry.file);
    else if (entry.kind !== 'directory') result.tampered.push({ file: entry.file, why: `a ${entry.kind} that no collection writes` });
  }
  return result;
}

/** Every entry below the directory, symbolic links not followed, with what it is. */
async function entriesUnder(dir: string): Promise<Array<{ file: string; kind: string }>> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .map((e) => ({ file: relative(dir, join(e.parentPath, e.name)), kind: e.isFile() ? 'file' : e.isDirectory() ? 'directory' : e.isSymbolicLink() ? 'symbolic link' : 'special file' }))
    .sort((a, b) => a.file.localeCompare(b.file));
}

/** The verdict lines of evidence verify and incident verify; files written after the seal (`late`) are named apart. */
export function verdictOf(check: ManifestCheck, dir: string, late: readonly string[] = []): { clean: boolean; lines: string[] } {
  const added = check.added.filter((f) => !late.includes(f));
  const lines = [
    ...check.tampered.map((t) => `TAMPERED ${t.file}: ${t.why}`),
    ...check.changed.map((f) => `CHANGED  ${f}`),
    ...check.missing.map((f) => `MISSING  ${f}`),
    ...added.map((f) => `ADDED    ${f}`),
    ...check.added.filter((f) => late.includes(f)).map((f) => `after the seal (not evidence): ${f}`),
  ];
  const clean = check.tampered.length + check.changed.length + check.missing.length + added.length === 0;
  lines.push(`${clean ? 'OK' : 'NOT OK'}: ${check.unchanged.length} files unchanged, ${check.changed.length} changed, ${check.missing.length} missing, ${added.length} added, ${check.tampered.length} tampered (${join(dir, MANIFEST)}).`);
  return { clean, lines };
}
