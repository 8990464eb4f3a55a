import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectItems, stagedEvidenceDir } from '../src/evidence/collect.js';
import { verdictOf, verifyManifest, writeManifest } from '../src/evidence/manifest.js';
import type { CheckContext } from '../src/context.js';
import type { EvidenceOptions } from '../src/evidence/items.js';

/** Evidence that cannot be fooled: sealed by dbsec's own writer, then tampered with as an intruder would. */
const root = mkdtempSync(join(tmpdir(), 'dbsec-evidence-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function sealed(name: string): Promise<string> {
  const dir = join(root, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'audit-roles.json'), '{"roles": ["app"]}\n');
  writeFileSync(join(dir, 'audit-privileges.json'), '{"grants": []}\n');
  await writeManifest(dir, ['audit-roles.json', 'audit-privileges.json']);
  return dir;
}

describe('evidence verify', () => {
  it('never follows a manifest entry out of the directory, and says it was tampered with', async () => {
    const dir = await sealed('traversal');
    const outside = join(root, 'outside.txt');
    writeFileSync(outside, 'not evidence\n');
    const manifest = readFileSync(join(dir, 'MANIFEST.sha256'), 'utf8');
    writeFileSync(join(dir, 'MANIFEST.sha256'), `${manifest}${'0'.repeat(64)}  ../outside.txt\n${'1'.repeat(64)}  /etc/passwd\n`);
    const { clean, lines } = verdictOf(await verifyManifest(dir), dir);
    expect(clean).toBe(false);
    expect(lines.filter((l) => l.startsWith('TAMPERED'))).toEqual([
      'TAMPERED ../outside.txt: the manifest names a path outside the evidence directory (not followed)',
      'TAMPERED /etc/passwd: the manifest names a path outside the evidence directory (not followed)',
    ]);
  });

  it('sees a sealed file swapped for a symbolic link, and a planted link or directory link', async () => {
    const dir = await sealed('links');
    const copy = join(root, 'roles-copy.json');
    writeFileSync(copy, '{"roles": ["app"]}\n');
    unlinkSync(join(dir, 'audit-roles.json'));
    symlinkSync(copy, join(dir, 'audit-roles.json'));
    symlinkSync('/etc', join(dir, 'etc-link'));
    const { clean, lines } = verdictOf(await verifyManifest(dir), dir);
    expect(clean).toBe(false);
    expect(lines.filter((l) => l.startsWith('TAMPERED'))).toEqual(['TAMPERED audit-roles.json: it is a symbolic link, not the file that was sealed', 'TAMPERED etc-link: a symbolic link that no collection writes']);
    expect(lines.at(-1)).toMatch(/^NOT OK: 1 files unchanged, 0 changed, 0 missing, 0 added, 2 tampered/);
  });

  it('sees names that differ only in case, which a case-insensitive file system would take for one file', async () => {
    const dir = await sealed('case');
    writeFileSync(join(dir, 'Audit-Roles.json'), '{"roles": []}\n');
    const manifest = readFileSync(join(dir, 'MANIFEST.sha256'), 'utf8');
    writeFileSync(join(dir, 'MANIFEST.sha256'), `${manifest}${'2'.repeat(64)}  AUDIT-PRIVILEGES.json\n`);
    const { clean, lines } = verdictOf(await verifyManifest(dir), dir);
    expect(clean).toBe(false);
    expect(lines.filter((l) => l.startsWith('TAMPERED'))).toEqual([
      'TAMPERED AUDIT-PRIVILEGES.json: the manifest also lists audit-privileges.json, a name that differs only in case',
      'TAMPERED Audit-Roles.json: its name differs from the sealed audit-roles.json only in case',
    ]);
  });

  it('collect never writes through a link left in the directory', async () => {
    const dir = join(root, 'collect');
    mkdirSync(dir);
    const victim = join(root, 'victim.txt');
    writeFileSync(victim, 'precious\n');
    symlinkSync(victim, join(dir, 'audit-roles.json'));
    const results = await collectItems(dir, [{ file: 'audit-roles.json', what: 'roles', collect: async () => ({ roles: [] }) }], {} as CheckContext, {} as EvidenceOptions);
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(results).toEqual([expect.objectContaining({ file: 'audit-roles.json', collected: false, reason: expect.stringMatching(/EEXIST|already exists/) })]);
  });
});

describe('evidence collect appears whole or not at all', () => {
  const fresh = () => mkdtempSync(join(root, 'staged-'));
  const writeOne = async (staging: string) => {
    writeFileSync(join(staging, 'audit-roles.json'), '{}\n');
    await writeManifest(staging, ['audit-roles.json']);
    return 1;
  };

  it('renames a sealed private directory into place, leaving nothing else', async () => {
    const parent = fresh();
    const dir = join(parent, 'evidence');
    expect(await stagedEvidenceDir(dir, '--output', writeOne, () => true)).toEqual({ result: 1, kept: true });
    expect(readdirSync(parent)).toEqual(['evidence']);
    expect(readdirSync(dir).sort()).toEqual(['MANIFEST.sha256', 'audit-roles.json']);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('accepts an empty directory made beforehand', async () => {
    const parent = fresh();
    mkdirSync(join(parent, 'evidence'));
    expect((await stagedEvidenceDir(join(parent, 'evidence'), '--output', writeOne, () => true)).kept).toBe(true);
    expect(readdirSync(join(parent, 'evidence'))).toContain('MANIFEST.sha256');
  });

  it('refuses a directory with a stale file, so a fresh seal can never cover it', async () => {
    const parent = fresh();
    mkdirSync(join(parent, 'evidence'));
    writeFileSync(join(parent, 'evidence', 'audit-roles.json'), 'stale\n');
    await expect(stagedEvidenceDir(join(parent, 'evidence'), '--output', writeOne, () => true)).rejects.toThrow(/evidence is not empty: evidence is never overwritten or added to; choose a new --output directory/);
    expect(readdirSync(join(parent, 'evidence'))).toEqual(['audit-roles.json']);
    symlinkSync(join(parent, 'evidence'), join(parent, 'link'));
    await expect(stagedEvidenceDir(join(parent, 'link'), '--output', writeOne, () => true)).rejects.toThrow(/link exists and is not a directory/);
  });

  it('a collection that fails halfway, or gathered nothing, leaves no directory', async () => {
    const parent = fresh();
    const failing = async (staging: string) => {
      writeFileSync(join(staging, 'audit-roles.json'), '{}\n');
      throw new Error('interrupted');
    };
    await expect(stagedEvidenceDir(join(parent, 'evidence'), '--output', failing, () => true)).rejects.toThrow('interrupted');
    expect(await stagedEvidenceDir(join(parent, 'evidence'), '--output', writeOne, () => false)).toEqual({ result: 1, kept: false });
    expect(existsSync(join(parent, 'evidence'))).toBe(false);
    expect(readdirSync(parent)).toEqual([]);
  });
});
