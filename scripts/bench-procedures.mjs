#!/usr/bin/env node
// The seed procedures' costs (issue 17), run by npm run bench, each with its goal:
//   - integrity capture and verify of Debian's PostgreSQL 15 (every file hashed, dpkg --verify): under 5 s each;
//   - monthly.catalog-grants (every pg_catalog and information_schema object against a fresh cluster): under 3 s;
//   - weekly.db-users testing 200 SCRAM verifiers against the well-known passwords, offline: under 15 s;
//   - activity --engine tdengine over a 200 MB taosd log under a sustained attack (the fixture's 12 failed logins,
//     refusal and restarts after every 2,000 routine vnode and sync lines: about 24,000 events): at least 50 MB/s.
//     taosd logs no statements, so its logs are far smaller than a log_statement = all PostgreSQL log; the lines
//     holding none of activity's phrases are passed over unparsed, as for PostgreSQL.
import { execFile as execFileCb } from 'node:child_process';
import { createWriteStream, readFileSync, statSync } from 'node:fs';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import pg from 'pg';
import { startPostgres, DEBIAN_PG15_BIN } from '../dist/sandbox/postgres.js';

const execFile = promisify(execFileCb);
const BIN = fileURLToPath(new URL('../bin/dbsec', import.meta.url));
const verdicts = [];

/** Median wall time of `runs` runs of dbsec with these arguments (any exit code: findings are expected). */
async function timed(label, args, runs = 3) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await execFile(process.execPath, [BIN, ...args], { maxBuffer: 64 * 1024 * 1024 }).catch((err) => {
      if (typeof err.code !== 'number') throw err;
    });
    times.push(Number(process.hrtime.bigint() - start) / 1e9);
  }
  const median = [...times].sort((a, b) => a - b)[Math.floor(runs / 2)];
  console.log(`${label.padEnd(58)} median ${median.toFixed(3)} s over ${runs} runs (min ${Math.min(...times).toFixed(3)}, max ${Math.max(...times).toFixed(3)})`);
  return median;
}

function goal(pass, text) {
  verdicts.push(pass);
  console.log(`  ${pass ? 'PASS' : 'FAIL'}: ${text}`);
}

const manifest = join(tmpdir(), 'dbsec-bench-integrity.json');
const pgConfig = join(DEBIAN_PG15_BIN, 'pg_config');
const capture = await timed('dbsec integrity capture (Debian PostgreSQL 15)', ['integrity', 'capture', '--pg-config', pgConfig, '-o', manifest]);
goal(capture < 5, `integrity capture ${capture.toFixed(3)} s (goal < 5 s)`);
const files = Object.keys(JSON.parse(readFileSync(manifest, 'utf8')).content.files).length;
const verify = await timed(`dbsec integrity verify (${files} files, dpkg --verify)`, ['integrity', 'verify', manifest, '--format', 'json']);
goal(verify < 5, `integrity verify ${verify.toFixed(3)} s (goal < 5 s)`);

const server = await startPostgres({ flavor: 'debian-15' });
try {
  const client = new pg.Client(server.url());
  await client.connect();
  // 200 login roles with SCRAM verifiers, one in ten with a well-known password
  await client.query(`DO $$ BEGIN FOR i IN 1..200 LOOP EXECUTE format('CREATE ROLE bench_u%s LOGIN PASSWORD %L', i, CASE WHEN i % 10 = 0 THEN 'changeme' ELSE md5(i::text) END); END LOOP; END $$`);
  await client.end();
  const grants = await timed('dbsec monthly --only monthly.catalog-grants', ['monthly', '--database-url', server.url(), '--only', 'monthly.catalog-grants', '--format', 'json']);
  goal(grants < 3, `catalog grants ${grants.toFixed(3)} s (goal < 3 s)`);
  const users = await timed('dbsec weekly --only weekly.db-users (200 verifiers)', ['weekly', '--database-url', server.url(), '--only', 'weekly.db-users', '--format', 'json']);
  goal(users < 15, `well-known password test of 200 roles ${users.toFixed(3)} s (goal < 15 s)`);
} finally {
  await server.stop();
}

const routine = Array.from({ length: 2000 }, (_, i) => `11/28 09:00:${String(i % 60).padStart(2, '0')}.${String(i * 397 % 1e6).padStart(6, '0')} 000128${10 + (i % 7)} ${i % 2 ? 'VND INFO vgId:2, commit' : 'SYN INFO vgId:2, sync heartbeat'} index:${i}, term:3`).join('\n');
const fixture = Buffer.from(`${routine}\n${readFileSync(new URL('../fixtures/tdengine/logs/taosdlog.0', import.meta.url), 'utf8')}`);
const log = join(tmpdir(), 'dbsec-bench-taosdlog.0');
const out = createWriteStream(log);
for (let written = 0; written < 200e6; written += fixture.length) if (!out.write(fixture)) await new Promise((r) => out.once('drain', r));
await new Promise((r) => out.end(r));
const bytes = statSync(log).size;
const tdengine = await timed(`dbsec activity --engine tdengine (${(bytes / 1e6).toFixed(0)} MB)`, ['activity', '--engine', 'tdengine', '--log-file', log, '--format', 'json', '--quiet'], 1);
const rate = bytes / 1e6 / tdengine;
goal(rate >= 50, `TDengine log ${rate.toFixed(1)} MB/s (goal >= 50 MB/s)`);
process.exitCode = verdicts.every(Boolean) ? 0 : 1;
