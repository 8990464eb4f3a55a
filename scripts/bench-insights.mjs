#!/usr/bin/env node
// Logs Insights against FilterLogEvents for the monthly log summary (issue 16), measured on this machine against the
// sandbox's AWS endpoint (run by npm run bench):
//   a real PostgreSQL 15 (Debian) runs pgbench with a new connection per transaction (-C; log_connections on,
//   log_statement ddl, RDS prefix); its log lines, re-timed and repeated, become DBSEC_BENCH_EVENTS (default 1,000,000)
//   CloudWatch events spread over the 60 days the summary reads (the 30-day window and the one before it);
//   `dbsec monthly --only monthly.log-summary` reads them once through Logs Insights (the default) and once through
//   FilterLogEvents (insights: false): calls, bytes sent by the endpoint and wall time, every request answered after
//   DBSEC_BENCH_LATENCY_MS (default 40 ms). The two must give the same counts.
import { execFile as execFileCb } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { startPostgres, DEBIAN_PG15_BIN } from '../dist/sandbox/postgres.js';
import { logEventsOf, SANDBOX_INSTANCE, sandboxAwsEnv, sandboxEndpoint } from '../dist/sandbox/aws-scenario.js';

const execFile = promisify(execFileCb);
const BIN = fileURLToPath(new URL('../bin/dbsec', import.meta.url));
const EVENTS = Number(process.env.DBSEC_BENCH_EVENTS ?? 1_000_000);
const DAY = 86_400_000;

async function recordLog() {
  const server = await startPostgres({ flavor: 'debian-15', settings: { log_statement: 'ddl' } });
  try {
    const url = server.url();
    await execFile(join(DEBIAN_PG15_BIN, 'pgbench'), ['-i', '-s', '1', '-q', url]);
    await execFile(join(DEBIAN_PG15_BIN, 'pgbench'), ['-C', '-c', '2', '-j', '2', '-T', process.env.DBSEC_BENCH_PGBENCH_SECONDS ?? '10', '-M', 'simple', url]);
    await new Promise((r) => setTimeout(r, 500));
    return logEventsOf(readFileSync(server.logFile, 'utf8'));
  } finally {
    await server.stop();
  }
}

const recorded = await recordLog();
const now = Date.now();
const events = [];
for (let i = 0; i < EVENTS; i++) {
  const source = recorded[i % recorded.length];
  const timestamp = now - 60 * DAY + Math.floor((i * 60 * DAY) / EVENTS);
  const stamp = new Date(timestamp).toISOString().replace('T', ' ').slice(0, 19);
  events.push({ timestamp, message: source.message.replace(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/, stamp) });
}
console.log(`log: ${recorded.length} events recorded from pgbench -C, repeated to ${EVENTS} over 60 days (${(events.reduce((n, e) => n + e.message.length, 0) / 1e6).toFixed(0)} MB of messages)`);

async function run(label, insights) {
  // Pages as large as FilterLogEvents gives (10,000 events); the sandbox answers each request after the latency.
  const endpoint = sandboxEndpoint({ now: new Date(now), logEvents: events, pageSize: 10_000 });
  endpoint.latencyMs = Number(process.env.DBSEC_BENCH_LATENCY_MS ?? 40);
  const url = await endpoint.start();
  const config = join(mkdtempSync(join(tmpdir(), 'dbsec-bench-insights-')), 'dbsec.yaml');
  writeFileSync(config, `checks:\n  monthly.log-summary: { insights: ${insights} }\n`);
  const env = { ...process.env, ...sandboxAwsEnv(url), AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', AWS_CONFIG_FILE: '/nonexistent' };
  const start = process.hrtime.bigint();
  const { stdout } = await new Promise((resolve) => {
    // The window ends at the endpoint's clock in both runs: ending at each run's own start, the second window would
    // reach some ten seconds further than the first, over events only five seconds apart.
    execFileCb(process.execPath, [BIN, 'monthly', '--rds-instance', SANDBOX_INSTANCE, '--only', 'monthly.log-summary', '-c', config, '--until', new Date(now).toISOString(), '--format', 'json'], { env, maxBuffer: 64 * 1024 * 1024 }, (_, stdout) => resolve({ stdout }));
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await endpoint.stop();
  const calls = new Map();
  for (const request of endpoint.requests) calls.set(request.operation, (calls.get(request.operation) ?? 0) + 1);
  const finding = JSON.parse(stdout).findings[0];
  console.log(`${label.padEnd(16)} ${seconds.toFixed(1)} s, ${endpoint.requests.length} calls (${[...calls].map(([op, n]) => `${op} ${n}`).join(', ')}), ${(endpoint.bytesSent / 1e6).toFixed(2)} MB sent; ${finding.status}: ${finding.title}`);
  return { seconds, calls: endpoint.requests.length, bytes: endpoint.bytesSent, finding };
}

const viaInsights = await run('Logs Insights', true);
const viaEvents = await run('FilterLogEvents', false);
const same = JSON.stringify(viaInsights.finding.evidence) === JSON.stringify(viaEvents.finding.evidence);
if (!same) {
  const other = viaEvents.finding.evidence;
  viaInsights.finding.evidence.forEach((row, i) => {
    if (JSON.stringify(row) !== JSON.stringify(other[i])) console.log(`  differs: Logs Insights ${JSON.stringify(row)}, FilterLogEvents ${JSON.stringify(other[i])}`);
  });
}
const verdicts = [
  [same, `the two give the same counts by day (${viaInsights.finding.evidence.length} days)`],
  [viaInsights.bytes < viaEvents.bytes, `Logs Insights brings ${(viaInsights.bytes / 1e6).toFixed(2)} MB over the wire, FilterLogEvents ${(viaEvents.bytes / 1e6).toFixed(2)} MB`],
  [viaInsights.seconds < viaEvents.seconds, `Logs Insights ${viaInsights.seconds.toFixed(1)} s, FilterLogEvents ${viaEvents.seconds.toFixed(1)} s (sandbox: the query itself costs no service time here)`],
];
for (const [ok, text] of verdicts) console.log(`  ${ok ? 'PASS' : 'FAIL'}: ${text}`);
process.exitCode = verdicts.every(([ok]) => ok) ? 0 : 1;
