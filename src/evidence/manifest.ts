import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { DbsecError } from '../errors.js';

export const MANIFEST = 'MANIFEST.sha256';

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Writes DIR/MANIFEST.sha256 in sha256sum's format, so `sha256sum -c MANIFEST.sha256` checks it too. */
export async function writeManifest(dir: string, files: readonly string[]): Promise<void> {
  const lines = await Promise.all([...files].sort().map(async (file) => `${await sha256File(join(dir, file))}  ${file}`));
  await writeFile(join(dir, MANIFEST), `${lines.join('\n')}\n`);
}

export interface ManifestCheck {
  unchanged: string[];
  changed: string[];
  missing: string[];
  added: string[];
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
  const result: ManifestCheck = { unchanged: [], changed: [], missing: [], added: [] };
  for (const [file, expected] of listed) {
    const actual = await sha256File(join(dir, file)).catch(() => undefined);
    if (actual === undefined) result.missing.push(file);
    else (actual === expected ? result.unchanged : result.changed).push(file);
  }
  for (const file of await filesUnder(dir)) {
    if (file !== MANIFEST && !listed.has(file)) result.added.push(file);
  }
  return result;
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name))).sort();
}
