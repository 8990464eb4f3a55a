#!/usr/bin/env node
// Re-makes src/activity/pg-catalog-functions.json: the names of PostgreSQL's built-in functions (pg_catalog),
// which dbsec activity uses to tell a call of a user-defined function from count() or now().
// Run after `npm run build`; it starts a throw-away embedded PostgreSQL 18.
import { writeFileSync } from 'node:fs';
import pg from 'pg';
import { startPostgres } from '../dist/sandbox/postgres.js';

const server = await startPostgres({ flavor: 'embedded' });
try {
  const client = new pg.Client(server.url());
  await client.connect();
  const { rows } = await client.query(`SELECT DISTINCT proname AS name FROM pg_proc WHERE pronamespace = 'pg_catalog'::regnamespace ORDER BY 1`);
  const version = (await client.query('SHOW server_version')).rows[0].server_version;
  await client.end();
  const out = new URL('../src/activity/pg-catalog-functions.json', import.meta.url);
  writeFileSync(out, `${JSON.stringify({ recordedFrom: `PostgreSQL ${version}`, names: rows.map((r) => r.name) })}\n`);
  console.log(`${rows.length} function names from PostgreSQL ${version} → ${out.pathname}`);
} finally {
  await server.stop();
}
