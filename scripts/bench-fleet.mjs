#!/usr/bin/env node
// The fleet's speed goals (issue 16), measured on this machine against the sandbox's AWS endpoint (run by npm run bench):
//   200 RDS instances in 4 regions and 3 accounts (each reached through STS AssumeRole), every request answered after
//   DBSEC_BENCH_LATENCY_MS (default 40 ms), every 20th request throttled (5 %);
//   `dbsec daily --all-instances` over them: wall time (goal under 60 s), API calls per instance, and calls repeated
//   with the same input (goal: none but the retries of throttled calls; polls of a Logs Insights query aside).
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fleetInstance, sandboxAwsEnv, sandboxEndpoint } from '../dist/sandbox/aws-scenario.js';

const BIN = fileURLToPath(new URL('../bin/dbsec', import.meta.url));
const INSTANCES = Number(process.env.DBSEC_BENCH_FLEET ?? 200);
const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'ap-southeast-2'];
const ACCOUNTS = ['111111111111', '222222222222', '333333333333'];

const byRegion = {};
for (let i = 0; i < INSTANCES; i++) {
  const account = ACCOUNTS[i % ACCOUNTS.length];
  const region = REGIONS[Math.floor(i / ACCOUNTS.length) % REGIONS.length];
  (byRegion[`${account}:${region}`] ??= []).push(fleetInstance(`db-${String(i).padStart(3, '0')}`, region, i % 5 === 0 ? 'aurora-postgresql' : 'postgres', { env: 'prod' }));
}
const endpoint = sandboxEndpoint({ now: new Date(), instancesByRegion: byRegion });
endpoint.latencyMs = Number(process.env.DBSEC_BENCH_LATENCY_MS ?? 40);
endpoint.throttleEvery = 20;
const url = await endpoint.start();
const config = join(mkdtempSync(join(tmpdir(), 'dbsec-bench-fleet-')), 'dbsec.yaml');
writeFileSync(config, `awsRetryMode: ${process.env.DBSEC_BENCH_RETRY_MODE ?? 'adaptive'}\ndiscovery:\n  regions: [${REGIONS.join(', ')}]\n  accounts:\n${ACCOUNTS.map((id) => `    - { id: "${id}", roleArn: "arn:aws:iam::${id}:role/dbsec-audit" }`).join('\n')}\n`);
const env = { ...process.env, ...sandboxAwsEnv(url), AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', AWS_CONFIG_FILE: '/nonexistent' };
const concurrency = process.env.DBSEC_BENCH_CONCURRENCY ?? '16';

const start = process.hrtime.bigint();
const { code, stdout, stderr } = await new Promise((resolve) => {
  const child = execFile(process.execPath, [BIN, 'daily', '--all-instances', '-c', config, '--concurrency', concurrency, '--format', 'json'], { env, maxBuffer: 256 * 1024 * 1024 }, (_, stdout, stderr) => resolve({ code: child.exitCode, stdout, stderr }));
});
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
await endpoint.stop();

let report;
try {
  report = JSON.parse(stdout);
} catch {
  console.log(`dbsec daily --all-instances did not print a report (exit ${code}): ${stderr.slice(0, 500)}`);
  process.exit(1);
}
const byOperation = new Map();
const seen = new Map();
for (const request of endpoint.requests) {
  byOperation.set(request.operation, (byOperation.get(request.operation) ?? 0) + 1);
  // Polls of a running Logs Insights query ask the same thing until it completes: not a repeated call.
  if (request.operation === 'GetQueryResults') continue;
  const key = JSON.stringify([request.operation, request.region, request.accessKeyId, request.input]);
  seen.set(key, (seen.get(key) ?? 0) + 1);
}
const throttled = Math.floor(endpoint.requests.length / endpoint.throttleEvery);
const repeats = [...seen.values()].reduce((sum, n) => sum + n - 1, 0);
const repeatedBy = new Map();
for (const [key, n] of seen) if (n > 1) repeatedBy.set(JSON.parse(key)[0], (repeatedBy.get(JSON.parse(key)[0]) ?? 0) + n - 1);
const errors = report.findings.filter((f) => f.status === 'error');
console.log(`fleet: ${INSTANCES} instances, ${REGIONS.length} regions, ${ACCOUNTS.length} accounts; latency ${endpoint.latencyMs} ms, every ${endpoint.throttleEvery}th request throttled; --concurrency ${concurrency}, awsRetryMode ${process.env.DBSEC_BENCH_RETRY_MODE ?? 'adaptive'}`);
console.log(`dbsec daily --all-instances: ${seconds.toFixed(1)} s, exit ${code}, ${report.targets.length} targets, ${report.findings.length} findings (${errors.length} errors)`);
console.log(`API calls: ${endpoint.requests.length} (${(endpoint.requests.length / INSTANCES).toFixed(1)} per instance), ${throttled} throttled, ${repeats} repeated with the same input`);
console.log(`  by operation: ${[...byOperation].sort((a, b) => b[1] - a[1]).map(([op, n]) => `${op} ${n}`).join(', ')}`);
if (repeats > 0) console.log(`  repeated: ${[...repeatedBy].sort((a, b) => b[1] - a[1]).map(([op, n]) => `${op} ${n}`).join(', ')}`);
for (const error of errors.slice(0, 5)) console.log(`  error: ${error.target} ${error.checkId}: ${error.summary.slice(0, 200)}`);
const verdicts = [
  [seconds < 60, `wall time ${seconds.toFixed(1)} s (goal < 60 s)`],
  [report.targets.length === INSTANCES, `${report.targets.length} of ${INSTANCES} instances reviewed`],
  [repeats <= throttled, `${repeats} repeated calls, no more than the ${throttled} throttled ones retried`],
  [errors.length === 0, `${errors.length} error findings (throttling must be absorbed by the retries)`],
];
for (const [ok, text] of verdicts) console.log(`  ${ok ? 'PASS' : 'FAIL'}: ${text}`);
process.exitCode = verdicts.every(([ok]) => ok) ? 0 : 1;
