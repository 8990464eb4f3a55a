#!/usr/bin/env node
// npm run bench: the speed goals of the daily issue, measured on this machine (never in a timed test).
//   1. `dbsec --version` start-up against `node -e 0`   goal: at most 0.15 s more
//   2. `dbsec daily` end to end against the sandbox       goal: under 2 s
//   3. `dbsec weekly` and `dbsec monthly` end to end against the sandbox, monthly also one check at a time
//      (--concurrency 1) to show what running independent checks concurrently saves; report compliance and
//      evidence collect: figures only
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startPostgres } from '../dist/sandbox/postgres.js';
import { ROLES, seedSchema, seedScenario } from '../dist/sandbox/pg-scenario.js';
import { DEMO_SETTINGS } from '../dist/commands/demo.js';
import { SANDBOX_INSTANCE, sandboxAwsEnv, sandboxEndpoint } from '../dist/sandbox/aws-scenario.js';
import { checksFor } from '../dist/checks/index.js';

const BIN = fileURLToPath(new URL('../bin/dbsec', import.meta.url));

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

// Asynchronous on purpose: the sandbox's AWS endpoint lives in this process and must keep answering.
function run(args, env) {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, args, { env, maxBuffer: 64 * 1024 * 1024 }, () => resolve(child.exitCode));
  });
}

async function timeRuns(label, runs, args, env = process.env) {
  const times = [];
  let status;
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    status = await run(args, env);
    times.push(Number(process.hrtime.bigint() - start) / 1e9);
  }
  const value = median(times);
  console.log(`${label.padEnd(44)} median ${value.toFixed(3)} s over ${runs} runs (min ${Math.min(...times).toFixed(3)}, max ${Math.max(...times).toFixed(3)}, exit ${status})`);
  return value;
}

function verdict(ok, text) {
  console.log(`  ${ok ? 'PASS' : 'FAIL'}: ${text}`);
  return ok;
}

const results = [];
const node = await timeRuns('node -e 0', 20, ['-e', '0']);
const version = await timeRuns('dbsec --version', 20, [BIN, '--version']);
results.push(verdict(version - node <= 0.15, `start-up overhead ${(version - node).toFixed(3)} s (goal ≤ 0.150 s)`));

const server = await startPostgres({ flavor: 'embedded', ssl: true, settings: DEMO_SETTINGS });
const scenario = await seedScenario(server);
await seedSchema(server);
const endpoint = sandboxEndpoint({ now: new Date(), logFile: server.logFile });
// A real region answers in tens of milliseconds, the local endpoint in one: add a round trip so that running checks
// concurrently shows what it saves (set DBSEC_BENCH_LATENCY_MS=0 for the bare sandbox).
endpoint.latencyMs = Number(process.env.DBSEC_BENCH_LATENCY_MS ?? 40);
console.log(`AWS endpoint latency: ${endpoint.latencyMs} ms per request`);
try {
  const url = await endpoint.start();
  const env = { ...process.env, ...sandboxAwsEnv(url) };
  const databaseUrl = server.url({ user: ROLES.auditor.name, password: ROLES.auditor.password, ssl: true });
  const args = [BIN, 'daily', '--database-url', databaseUrl, '--rds-instance', SANDBOX_INSTANCE, '--format', 'json', '--quiet'];
  const daily = await timeRuns(`dbsec daily (sandbox, all ${checksFor('daily').length} checks, JSON)`, 10, args, env);
  results.push(verdict(daily < 2, `daily end to end ${daily.toFixed(3)} s (goal < 2 s)`));
  const table = await timeRuns('dbsec daily (sandbox, table)', 5, args.slice(0, -3), env);
  results.push(verdict(table < 2, `daily with table output ${table.toFixed(3)} s (goal < 2 s)`));
  await timeRuns(`dbsec weekly (sandbox, all ${checksFor('weekly').length} checks, JSON)`, 10, [BIN, 'weekly', ...args.slice(2)], env);
  const monthlyArgs = [BIN, 'monthly', ...args.slice(2)];
  const monthly = await timeRuns(`dbsec monthly (sandbox, all ${checksFor('monthly').length} checks, JSON)`, 10, monthlyArgs, env);
  const serial = await timeRuns('dbsec monthly --concurrency 1', 10, [...monthlyArgs, '--concurrency', '1'], env);
  console.log(`  concurrency 4 saves ${(serial - monthly).toFixed(3)} s (${((1 - monthly / serial) * 100).toFixed(0)} %) over one check at a time`);
  await timeRuns('dbsec report compliance (live monthly run)', 5, [BIN, 'report', 'compliance', ...args.slice(2, 6)], env);
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const evidenceRoot = mkdtempSync(join(tmpdir(), 'dbsec-bench-evidence-'));
  let n = 0;
  const collect = () => [BIN, 'evidence', 'collect', ...args.slice(2, 6), '--out', join(evidenceRoot, String(n++))];
  const times = [];
  for (let i = 0; i < 5; i++) {
    const start = process.hrtime.bigint();
    await run(collect(), env);
    times.push(Number(process.hrtime.bigint() - start) / 1e9);
  }
  console.log(`${'dbsec evidence collect (7 items)'.padEnd(44)} median ${median(times).toFixed(3)} s over 5 runs (min ${Math.min(...times).toFixed(3)}, max ${Math.max(...times).toFixed(3)})`);
  rmSync(evidenceRoot, { recursive: true, force: true });
} finally {
  await scenario.stop();
  await endpoint.stop();
  await server.stop();
}
process.exitCode = results.every(Boolean) ? 0 : 1;
