#!/usr/bin/env node
// The log pipeline's speed and memory goals, measured on this machine (run by npm run bench):
//   a log of at least 500 MB made by pgbench against a real PostgreSQL (log_statement = all, RDS prefix), then
//   - `grep -c statement:` over it: the cost of merely reading it;
//   - `dbsec activity` over it: MB/s and peak memory (goals: at least 150 MB/s, under 300 MB whatever the size), with
//     its default threads (one per core, up to 3, for a file of 64 MB or more), and with --jobs 1 for the record;
//   - `dbsec daily --log-file` over it (failed logins, the one log check of daily): goal at least 300 MB/s;
//   - pgbadger (Debian package) over the same bytes with one job: dbsec must be faster.
// Each dbsec and grep figure is the median of DBSEC_BENCH_RUNS runs (default 3); every run's time is printed.
// pgbench runs for DBSEC_BENCH_PGBENCH_SECONDS (default 20) and its log is repeated to reach DBSEC_BENCH_LOG_MB
// (default 512): real pgbench lines, repeated. pgbadger parses ~2-4 MB/s, so it reads a 64 MB slice of the same
// file unless DBSEC_BENCH_PGBADGER_FULL=1; dbsec is timed on that slice too, for the ratio.
import { execFile as execFileCb, spawn } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdirSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { availableParallelism, tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { startPostgres, DEBIAN_PG15_BIN } from '../dist/sandbox/postgres.js';

const execFile = promisify(execFileCb);
const BIN = fileURLToPath(new URL('../bin/dbsec', import.meta.url));
const work = join(tmpdir(), 'dbsec-bench-activity');
mkdirSync(work, { recursive: true });
const targetMb = Number(process.env.DBSEC_BENCH_LOG_MB ?? 512);
const big = join(work, `pgbench-${targetMb}mb.log`);
const slice = join(work, 'pgbench-slice-64mb.log');

async function makeLog() {
  if (existsSync(big) && statSync(big).size >= targetMb * 1e6) return console.log(`reusing ${big}`);
  const server = await startPostgres({ flavor: 'debian-15', settings: { log_statement: 'all' } });
  try {
    const url = server.url();
    await execFile(join(DEBIAN_PG15_BIN, 'pgbench'), ['-i', '-s', '2', '-q', url]);
    const seconds = process.env.DBSEC_BENCH_PGBENCH_SECONDS ?? '20';
    const { stdout } = await execFile(join(DEBIAN_PG15_BIN, 'pgbench'), ['-c', '4', '-j', '2', '-T', seconds, '-M', 'simple', url]);
    console.log(`pgbench: ${/tps = [\d.]+/.exec(stdout)?.[0] ?? '?'} for ${seconds} s`);
    await new Promise((r) => setTimeout(r, 500));
    const recorded = readFileSync(server.logFile);
    const copies = Math.ceil((targetMb * 1e6) / recorded.length);
    const out = createWriteStream(big);
    for (let i = 0; i < copies; i++) if (!out.write(recorded)) await new Promise((r) => out.once('drain', r));
    await new Promise((r) => out.end(r));
    console.log(`log: ${(recorded.length / 1e6).toFixed(1)} MB recorded, repeated ${copies} times → ${(statSync(big).size / 1e6).toFixed(0)} MB`);
  } finally {
    await server.stop();
  }
}

/**
 * Runs of each timed command: this VM's speed moves by a third from minute to minute, so a goal is judged on the
 * median of several runs (all are printed), not on one.
 */
const RUNS = Number(process.env.DBSEC_BENCH_RUNS ?? 3);

/** Wall time and peak RSS (GNU time's %M, in kB) of one run of a command. */
async function runOnce(command, args) {
  const start = process.hrtime.bigint();
  // stdout is read and dropped, not sent to /dev/null: GNU grep stops at the first match when it sees /dev/null.
  const child = spawn('/usr/bin/time', ['-f', '%M', command, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.resume();
  let err = '';
  child.stderr.on('data', (c) => (err += c));
  const code = await new Promise((r) => child.on('exit', r));
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, peakMb: Number(err.trim().split('\n').pop()) / 1024, code };
}

/** The median wall time of `runs` runs, the rate it gives, and the highest peak RSS of any run. */
async function measure(label, command, args, bytes, runs = RUNS) {
  const all = [];
  for (let i = 0; i < runs; i++) all.push(await runOnce(command, args));
  const times = all.map((r) => r.seconds).sort((a, b) => a - b);
  const seconds = times[Math.floor((times.length - 1) / 2)];
  const peakMb = Math.max(...all.map((r) => r.peakMb));
  const rate = bytes / 1e6 / seconds;
  const each = runs > 1 ? ` (median of ${runs}: ${all.map((r) => r.seconds.toFixed(2)).join(', ')} s)` : '';
  console.log(`${label.padEnd(40)} ${seconds.toFixed(2)} s, ${rate.toFixed(1)} MB/s, peak ${peakMb.toFixed(0)} MB (exit ${[...new Set(all.map((r) => r.code))].join('/')})${each}`);
  return { seconds, rate, peakMb, runs: all.map((r) => r.seconds) };
}

await makeLog();
if (!existsSync(slice)) {
  const fd = createReadStream(big, { start: 0, end: 64e6 - 1 });
  await new Promise((r) => fd.pipe(createWriteStream(slice)).on('finish', r));
}
const bigBytes = statSync(big).size;
const sliceBytes = statSync(slice).size;
const verdicts = [];
const grep = await measure(`grep -c statement: (${(bigBytes / 1e6).toFixed(0)} MB)`, 'grep', ['-c', 'statement:', big], bigBytes);
const cores = availableParallelism();
const dbsec = await measure(`dbsec activity (${(bigBytes / 1e6).toFixed(0)} MB, ${Math.min(cores, 3)} threads)`, process.execPath, [BIN, 'activity', '--log-file', big, '--format', 'jsonl', '--quiet'], bigBytes);
const single = await measure(`dbsec activity --jobs 1 (${(bigBytes / 1e6).toFixed(0)} MB)`, process.execPath, [BIN, 'activity', '--log-file', big, '--format', 'jsonl', '--quiet', '--jobs', '1'], bigBytes);
verdicts.push([Math.max(dbsec.peakMb, single.peakMb) < 300, `peak memory ${dbsec.peakMb.toFixed(0)} MB, ${single.peakMb.toFixed(0)} MB with --jobs 1 (goal < 300 MB)`]);
verdicts.push([dbsec.rate >= 150, `dbsec activity ${dbsec.rate.toFixed(1)} MB/s on ${cores} cores (goal >= 150 MB/s; --jobs 1: ${single.rate.toFixed(1)} MB/s)`]);
const daily = await measure(`dbsec daily --log-file (${(bigBytes / 1e6).toFixed(0)} MB)`, process.execPath, [BIN, 'daily', '--log-file', big, '--since', '3650d', '--format', 'json', '--quiet'], bigBytes);
verdicts.push([daily.rate >= 300, `dbsec daily --log-file ${daily.rate.toFixed(1)} MB/s (goal >= 300 MB/s), peak ${daily.peakMb.toFixed(0)} MB`]);
console.log(`  dbsec is ${(dbsec.seconds / grep.seconds).toFixed(1)}x grep's time (aim: within 5x)`);
const badgerInput = process.env.DBSEC_BENCH_PGBADGER_FULL === '1' ? big : slice;
const badgerBytes = statSync(badgerInput).size;
const html = join(work, 'pgbadger.html');
// One run: pgbadger takes some 20 s over the slice and trails dbsec by more than ten times.
const badger = await measure(`pgbadger -j 1 (${(badgerBytes / 1e6).toFixed(0)} MB)`, 'pgbadger', ['-j', '1', '--prefix', '%t:%r:%u@%d:[%p]:', '-q', '-o', html, badgerInput], badgerBytes, 1);
const same = badgerInput === big ? dbsec : await measure(`dbsec activity (same ${(badgerBytes / 1e6).toFixed(0)} MB)`, process.execPath, [BIN, 'activity', '--log-file', badgerInput, '--format', 'jsonl', '--quiet'], badgerBytes);
verdicts.push([same.rate > badger.rate, `dbsec ${same.rate.toFixed(1)} MB/s vs pgbadger ${badger.rate.toFixed(1)} MB/s on the same file (${(same.rate / badger.rate).toFixed(1)}x)`]);
for (const [ok, text] of verdicts) console.log(`  ${ok ? 'PASS' : 'FAIL'}: ${text}`);
writeFileSync(join(work, 'last.json'), JSON.stringify({ grep, dbsec, single, daily, badger, same, bigBytes, badgerBytes, cores }, null, 2));
process.exitCode = verdicts.every(([ok]) => ok) ? 0 : 1;
