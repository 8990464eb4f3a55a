import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { appendFileSync, copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DEBIAN_PG15_BIN } from '../src/sandbox/postgres.js';
import { parseVerify } from '../src/integrity/packages.js';
import { servers, sql } from './helpers/servers.js';
import { runCli } from './helpers/cli.js';

/**
 * integrity capture and verify on a real PostgreSQL 15 installation: a copy of Debian's (PostgreSQL finds its
 * directories from where pg_config is, so the copy is a working installation of its own) whose files the tests change,
 * the real one against dpkg's records, and the Debian 15 server the tests run.
 */
const dir = mkdtempSync(join(tmpdir(), 'dbsec-integrity-'));
const copy = join(dir, 'usr');
const copiedPgConfig = join(copy, 'lib/postgresql/15/bin/pg_config');
const server = servers().find((s) => s.flavor === 'debian-15')!;

function dbsec(args: string[], env: Record<string, string> = {}) {
  return runCli(args, { PATH: process.env.PATH!, HOME: dir, ...env }, 120_000);
}

const findings = (run: { stdout: string }) => (JSON.parse(run.stdout) as { findings: Array<{ checkId: string; status: string; title: string; resource: string | null }> }).findings;

beforeAll(async () => {
  mkdirSync(join(copy, 'lib/postgresql'), { recursive: true });
  mkdirSync(join(copy, 'share/postgresql'), { recursive: true });
  cpSync(dirname(DEBIAN_PG15_BIN), join(copy, 'lib/postgresql/15'), { recursive: true, verbatimSymlinks: true });
  cpSync('/usr/share/postgresql/15', join(copy, 'share/postgresql/15'), { recursive: true, verbatimSymlinks: true });
  await sql(server, 'DROP DATABASE IF EXISTS integrity_db');
  await sql(server, 'CREATE DATABASE integrity_db');
});

afterAll(async () => {
  await sql(server, 'DROP DATABASE IF EXISTS integrity_db');
  rmSync(dir, { recursive: true, force: true });
});

describe('dbsec integrity', () => {
  const manifest = join(dir, 'copy.json');
  const db = () => server.url({ database: 'integrity_db' });

  it('capture seals every file of the installation and what the server loads; verify right after is ok', async () => {
    const run = await dbsec(['integrity', 'capture', '--pg-config', copiedPgConfig, '--database-url', db(), '-o', manifest]);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/^Integrity manifest written to .*copy\.json: \d{3,} files; PostgreSQL 15\.\d+ .*, 1 extension, shared_preload_libraries .*; SHA-256 [0-9a-f]{64}\.\n$/);
    const sealed = JSON.parse(readFileSync(manifest, 'utf8'));
    expect(sealed.content.installation).toMatchObject({ bindir: join(copy, 'lib/postgresql/15/bin'), pkglibdir: join(copy, 'lib/postgresql/15/lib') });
    expect(sealed.content.files[join(copy, 'lib/postgresql/15/bin/postgres')]).toMatch(/^[0-9a-f]{64}$/);
    expect(sealed.content.server.extensions).toEqual({ plpgsql: '1.0' });
    const verify = await dbsec(['integrity', 'verify', manifest, '--database-url', db(), '--format', 'json']);
    expect(verify.code).toBe(0);
    expect(findings(verify).map((f) => [f.checkId, f.status]).sort()).toEqual([
      ['integrity.files', 'ok'],
      ['integrity.packages', 'skipped'],
      ['integrity.server', 'ok'],
    ]);
  });

  it('verify finds a changed program, a removed extension script and a library dropped into pkglibdir (exit 1)', async () => {
    appendFileSync(join(copy, 'lib/postgresql/15/bin/pg_dump'), Buffer.from([0]));
    rmSync(join(copy, 'share/postgresql/15/extension/pgcrypto--1.3.sql'));
    copyFileSync(join(copy, 'lib/postgresql/15/lib/pgcrypto.so'), join(copy, 'lib/postgresql/15/lib/evil.so'));
    writeFileSync(join(copy, 'share/postgresql/15/extension/new_ext.control'), "default_version = '1.0'\n");
    const run = await dbsec(['integrity', 'verify', manifest, '--format', 'json']);
    expect(run.code).toBe(1);
    const byResource = Object.fromEntries(findings(run).map((f) => [f.resource, f]));
    expect(byResource[join(copy, 'lib/postgresql/15/bin/pg_dump')]).toMatchObject({ checkId: 'integrity.files', status: 'investigate', title: 'pg_dump: changed' });
    expect(byResource[join(copy, 'share/postgresql/15/extension/pgcrypto--1.3.sql')]).toMatchObject({ status: 'investigate', title: 'pgcrypto--1.3.sql: missing' });
    expect(byResource[join(copy, 'lib/postgresql/15/lib/evil.so')]).toMatchObject({ status: 'investigate', title: 'evil.so: new where the server loads code' });
    expect(byResource[join(copy, 'share/postgresql/15/extension/new_ext.control')]).toMatchObject({ status: 'monitor', title: 'new_ext.control: new extension files' });
    expect((JSON.parse(run.stdout) as { targets: Array<{ name: string }> }).targets[0]!.name).toBe(`PostgreSQL in ${join(copy, 'lib/postgresql/15')}`);
    // without --database-url the server part says it was not compared, and the rest still ran
    expect(findings(run).find((f) => f.checkId === 'integrity.server')).toMatchObject({ status: 'skipped', title: 'server: skipped' });
  });

  it('verify compares the server: a new extension is monitor, a changed shared_preload_libraries investigate', async () => {
    await sql({ ...server, url: () => db() }, 'CREATE EXTENSION pgcrypto');
    const run = await dbsec(['integrity', 'verify', manifest, '--database-url', db(), '--format', 'json', '--fail-on', 'monitor']);
    expect(run.code).toBe(1);
    expect(findings(run).find((f) => f.checkId === 'integrity.server')).toMatchObject({ status: 'monitor', title: 'Extensions changed: pgcrypto added' });
    const sealed = JSON.parse(readFileSync(manifest, 'utf8'));
    const preloaded = join(dir, 'preloaded.json');
    // a manifest whose server preloaded nothing: re-sealed here as capture would have written it
    const { seal } = await import('../src/seal.js');
    sealed.content.server.sharedPreloadLibraries = [];
    writeFileSync(preloaded, JSON.stringify({ ...sealed, ...seal(sealed.content) }));
    const live = (await sql(server, 'SHOW shared_preload_libraries')).rows[0].shared_preload_libraries;
    if (live) {
      const changed = await dbsec(['integrity', 'verify', preloaded, '--database-url', db(), '--format', 'json']);
      expect(findings(changed).find((f) => f.resource === 'shared_preload_libraries')).toMatchObject({ status: 'investigate' });
    } else {
      expect(findings(await dbsec(['integrity', 'verify', preloaded, '--database-url', db(), '--format', 'json'])).find((f) => f.resource === 'shared_preload_libraries')).toBeUndefined();
    }
  });

  it('refuses a manifest edited after capture, or signed with another key, and a pg_config that is not there (exit 2)', async () => {
    const signed = join(dir, 'signed.json');
    expect((await dbsec(['integrity', 'capture', '--pg-config', copiedPgConfig, '-o', signed, '--sign-key-env', 'KEY'], { KEY: 'right' })).code).toBe(0);
    expect(await dbsec(['integrity', 'verify', signed, '--sign-key-env', 'KEY'], { KEY: 'wrong' })).toMatchObject({ code: 2, stderr: expect.stringContaining('has a signature that does not match the key') });
    const edited = JSON.parse(readFileSync(signed, 'utf8'));
    edited.content.files[join(copy, 'lib/postgresql/15/lib/evil.so')] = 'a'.repeat(64);
    writeFileSync(signed, JSON.stringify(edited));
    expect(await dbsec(['integrity', 'verify', signed])).toMatchObject({ code: 2, stderr: expect.stringContaining('was changed after it was captured') });
    expect(await dbsec(['integrity', 'capture', '--pg-config', join(dir, 'nowhere/pg_config'), '-o', join(dir, 'x.json')])).toMatchObject({ code: 2, stderr: expect.stringMatching(/^dbsec: Cannot run .*nowhere\/pg_config .*pass --pg-config with the pg_config of the installation the server runs/) });
    expect(await dbsec(['integrity', 'capture', '--pg-config', copiedPgConfig, '--database-url', servers().find((s) => s.flavor === 'embedded')!.url(), '-o', join(dir, 'y.json')])).toMatchObject({ code: 2, stderr: expect.stringContaining('but the server runs 18.') });
  });

  it("on RDS (no files) the manifest holds the server alone, and an unreachable server is an error while the rest runs", async () => {
    const serverOnly = join(dir, 'server-only.json');
    // no pg_config on this PATH: as on a machine that reaches an RDS instance over the network
    const emptyPath = join(dir, 'empty-path');
    mkdirSync(emptyPath);
    const run = await dbsec(['integrity', 'capture', '--database-url', db(), '-o', serverOnly], { PATH: emptyPath });
    expect(run.stdout).toContain('no files (no pg_config: the server only); PostgreSQL 15.');
    const down = await dbsec(['integrity', 'verify', serverOnly, '--database-url', 'postgres://nobody:x@127.0.0.1:1/none', '--format', 'json']);
    expect(down.code).toBe(2); // the design's exit code when every part that ran errored
    expect(findings(down).map((f) => [f.checkId, f.status]).sort()).toEqual([
      ['integrity.files', 'skipped'],
      ['integrity.packages', 'skipped'],
      ['integrity.server', 'error'],
    ]);
  });
});

describe("integrity verify against dpkg's records of Debian's PostgreSQL 15", () => {
  const realPgConfig = join(DEBIAN_PG15_BIN, 'pg_config');
  const manifest = join(dir, 'real.json');
  const admindir = join(dir, 'dpkg');

  it('is ok on the installed packages, and names a file whose digest dpkg no longer matches', async () => {
    expect((await dbsec(['integrity', 'capture', '--pg-config', realPgConfig, '-o', manifest])).code).toBe(0);
    const clean = await dbsec(['integrity', 'verify', manifest, '--format', 'json']);
    expect(findings(clean).find((f) => f.checkId === 'integrity.packages')).toMatchObject({ status: 'ok', title: expect.stringMatching(/^dpkg verifies .*postgresql-15/) });
    // dpkg's own database, copied, with initdb's recorded digest altered: to dpkg, the installed initdb has changed
    cpSync('/var/lib/dpkg', admindir, { recursive: true, verbatimSymlinks: true });
    const sums = join(admindir, 'info/postgresql-15.md5sums');
    writeFileSync(sums, readFileSync(sums, 'utf8').replace(/^[0-9a-f]{32}(  usr\/lib\/postgresql\/15\/bin\/initdb)$/m, `${'0'.repeat(32)}$1`));
    const changed = await dbsec(['integrity', 'verify', manifest, '--format', 'json'], { DPKG_ADMINDIR: admindir });
    expect(changed.code).toBe(1);
    expect(findings(changed).find((f) => f.checkId === 'integrity.packages')).toMatchObject({ status: 'investigate', resource: join(DEBIAN_PG15_BIN, 'initdb'), title: 'initdb differs from its package (dpkg)' });
    expect(execFileSync('dpkg', ['--verify', 'postgresql-15'], { encoding: 'utf8' })).toBe('');
  });

  it("reads rpm -V's lines as it reads dpkg's (missing, a digest, a configuration file)", () => {
    expect(parseVerify('S.5....T.  c /etc/postgresql/postgresql.conf\nmissing     /usr/pgsql-15/lib/plpgsql.so\n..5......    /usr/pgsql-15/bin/postgres\nunrelated line\n')).toEqual([
      { path: '/etc/postgresql/postgresql.conf', flags: 'S.5....T.', config: true },
      { path: '/usr/pgsql-15/lib/plpgsql.so', flags: 'missing', config: false },
      { path: '/usr/pgsql-15/bin/postgres', flags: '..5......', config: false },
    ]);
  });
});
