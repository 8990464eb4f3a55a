import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectItems } from '../src/evidence/collect.js';
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
