import { basename, sep } from 'node:path';
import type { FindingDraft } from '../finding.js';
import { counted } from '../plural.js';
import type { Level } from '../status.js';
import { compareHashes, type FileHashes } from './files.js';
import type { IntegrityContent, ServerState } from './manifest.js';
import type { PackageVerdict } from './packages.js';

/** A finding of one of the three parts of `integrity verify`, each reported under its own check id. */
export interface IntegrityDraft extends FindingDraft {
  part: 'files' | 'packages' | 'server';
}

/** Enough rows to act on; the count says how many there were. */
const MAX_ROWS = 200;

/**
 * Files against the manifest: a program, library or extension file changed or gone is investigate, and so is a new
 * one where the server loads code from (a library in pkglibdir, a program in bindir); a new extension script is monitor.
 */
export function fileFindings(before: IntegrityContent, files: FileHashes, dirs: { bindir: string; pkglibdir: string }): IntegrityDraft[] {
  const { changed, missing, added } = compareHashes(before.files ?? {}, files);
  const inCodeDir = (path: string) => path.startsWith(dirs.bindir + sep) || path.startsWith(dirs.pkglibdir + sep);
  const groups: Array<[Level, string, string[], string]> = [
    ['investigate', 'changed', changed, 'The bytes differ from the manifest'],
    ['investigate', 'missing', missing, 'In the manifest, and gone'],
    ['investigate', 'new where the server loads code', added.filter(inCodeDir), 'A library or program nobody sealed: the server loads libraries from pkglibdir (LOAD, shared_preload_libraries, CREATE FUNCTION … LANGUAGE C)'],
    ['monitor', 'new extension files', added.filter((p) => !inCodeDir(p)), 'New control or SQL files: an extension package was installed or upgraded'],
  ];
  const findings: IntegrityDraft[] = groups
    .filter(([, , paths]) => paths.length > 0)
    .map(([status, what, paths, why]) => ({
      part: 'files',
      status,
      resource: paths.length === 1 ? paths[0]! : `${counted(paths.length, 'file')} ${what}`,
      title: paths.length === 1 ? `${basename(paths[0]!)}: ${what}` : `${counted(paths.length, 'file')} ${what}: ${paths.slice(0, 3).map((p) => basename(p)).join(', ')}${paths.length > 3 ? ', …' : ''}`,
      summary: `${why}; match each to a package upgrade you made (the manifest was captured before it), else treat the server as compromised.`,
      identity: [what, ...paths],
      evidence: paths.slice(0, MAX_ROWS).map((path) => ({ path, before: before.files?.[path] ?? null, now: files[path] ?? null })),
      value: paths.length,
    }));
  if (findings.length === 0) {
    findings.push({ part: 'files', status: 'ok', resource: dirs.bindir, title: `${counted(Object.keys(files).length, 'file')} as sealed`, summary: 'Every program, library and extension file has the SHA-256 of the manifest; none was added.', value: 0 });
  }
  return findings;
}

/** The package manager's verdict on the files it installed, under the installation's directories. */
export function packageFindings(verdict: PackageVerdict, dirs: readonly string[]): IntegrityDraft[] | { skipped: string } {
  if (verdict.manager === 'none') return { skipped: verdict.reason };
  const own = verdict.problems.filter((p) => dirs.some((dir) => p.path === dir || p.path.startsWith(dir + sep)));
  const tampered = own.filter((p) => p.flags === 'missing' || p.flags[2] === '5');
  if (tampered.length === 0) {
    return [{ part: 'packages', status: 'ok', resource: verdict.packages.join(', '), title: `${verdict.manager} verifies ${verdict.packages.join(', ')}`, summary: `Every file of these packages under the installation's directories has the digest the package shipped${own.length ? ` (${counted(own.length, 'file')} differ only in metadata)` : ''}.`, value: 0 }];
  }
  return tampered.map((p) => ({
    part: 'packages',
    status: p.config ? 'monitor' : 'investigate',
    resource: p.path,
    title: `${basename(p.path)} ${p.flags === 'missing' ? 'is missing from' : 'differs from'} its package (${verdict.manager})`,
    summary: `${verdict.manager === 'dpkg' ? 'dpkg --verify' : 'rpm -V'} of ${verdict.packages.join(', ')} reports ${p.flags}${p.config ? ' on a configuration file' : ''}: the file is not the one the package installed. Reinstall the package (apt-get install --reinstall, dnf reinstall) after preserving the file as evidence.`,
    identity: [p.flags],
    evidence: [{ path: p.path, flags: p.flags, packages: verdict.packages.join(', ') }],
  }));
}

/** The server against the manifest: what it preloads, its extensions and their versions, its version. */
export function serverFindings(before: ServerState, now: ServerState): IntegrityDraft[] {
  const findings: IntegrityDraft[] = [];
  const preload = (s: ServerState) => s.sharedPreloadLibraries.join(', ') || 'none';
  if (preload(before) !== preload(now)) {
    findings.push({ part: 'server', status: 'investigate', resource: 'shared_preload_libraries', title: `shared_preload_libraries is ${preload(now)}, was ${preload(before)}`, summary: 'A preloaded library runs inside every backend with full access: confirm who changed it and why.', identity: [preload(now)], evidence: [{ setting: 'shared_preload_libraries', before: preload(before), now: preload(now) }] });
  }
  const names = [...new Set([...Object.keys(before.extensions), ...Object.keys(now.extensions)])].sort();
  const changes = names.filter((n) => before.extensions[n] !== now.extensions[n]).map((n) => ({ extension: n, before: before.extensions[n] ?? null, now: now.extensions[n] ?? null }));
  if (changes.length) {
    findings.push({ part: 'server', status: 'monitor', resource: 'pg_extension', title: `Extensions changed: ${changes.map((c) => (c.before === null ? `${c.extension} added` : c.now === null ? `${c.extension} removed` : `${c.extension} ${c.before} → ${c.now}`)).join(', ')}`, summary: 'Match each to a change you made: an extension can add functions that run as their owner or as C code.', identity: changes.map((c) => `${c.extension}:${c.now}`), evidence: changes });
  }
  if (before.version !== now.version) {
    const major = (v: string) => v.split('.')[0];
    findings.push({ part: 'server', status: major(before.version) === major(now.version) ? 'monitor' : 'investigate', resource: 'server_version', title: `The server runs ${now.version}, was ${before.version}`, summary: 'An engine upgrade changes every binary: confirm it was yours (on RDS: a maintenance window or auto minor version upgrade), then capture a new manifest.', identity: [now.version], evidence: [{ before: before.version, now: now.version }] });
  }
  if (findings.length === 0) {
    findings.push({ part: 'server', status: 'ok', resource: 'server', title: `PostgreSQL ${now.version} with ${counted(Object.keys(now.extensions).length, 'extension')} as sealed`, summary: `shared_preload_libraries ${preload(now)}; extensions ${Object.entries(now.extensions).map(([n, v]) => `${n} ${v}`).join(', ') || 'none'}.`, value: 0 });
  }
  return findings;
}
