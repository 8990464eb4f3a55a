#!/usr/bin/env node
// The baseline issue's speed goal (run by npm run bench): `dbsec baseline capture` on a database with
// 10,000 functions and 5,000 tables (some granted to a role), under 5 s.
import { execFile as execFileCb } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import pg from 'pg';
import { startPostgres } from '../dist/sandbox/postgres.js';

const execFile = promisify(execFileCb);
const BIN = fileURLToPath(new URL('../bin/dbsec', import.meta.url));
const server = await startPostgres({ flavor: 'embedded' });
try {
  const client = new pg.Client(server.url());
  await client.connect();
  await client.query(`CREATE ROLE bench_reader`);
  client.on('error', () => undefined);
  // In batches: one transaction creating 15,000 objects runs out of lock slots.
  for (let from = 1; from <= 10000; from += 500) {
    await client.query(`DO $$ BEGIN FOR i IN ${from}..${from + 499} LOOP EXECUTE format('CREATE FUNCTION f_%s(int) RETURNS int LANGUAGE sql AS ''SELECT $1 + %s''', i, i); END LOOP; END $$`);
  }
  for (let from = 1; from <= 5000; from += 500) {
    await client.query(`DO $$ BEGIN FOR i IN ${from}..${from + 499} LOOP EXECUTE format('CREATE TABLE t_%s (id int, v text)', i); IF i % 5 = 0 THEN EXECUTE format('GRANT SELECT ON t_%s TO bench_reader', i); END IF; END LOOP; END $$`);
  }
  await client.end();
  const out = join(tmpdir(), 'dbsec-bench-baseline.json');
  const times = [];
  for (let i = 0; i < 3; i++) {
    const start = process.hrtime.bigint();
    await execFile(process.execPath, [BIN, 'baseline', 'capture', '--database-url', server.url(), '--out', out]);
    times.push(Number(process.hrtime.bigint() - start) / 1e9);
  }
  const median = [...times].sort((a, b) => a - b)[1];
  console.log(`dbsec baseline capture (10,000 functions, 5,000 tables) median ${median.toFixed(3)} s over 3 runs (min ${Math.min(...times).toFixed(3)}, max ${Math.max(...times).toFixed(3)})`);
  console.log(`  ${median < 5 ? 'PASS' : 'FAIL'}: capture ${median.toFixed(3)} s (goal < 5 s)`);
  process.exitCode = median < 5 ? 0 : 1;
} finally {
  await server.stop();
}
