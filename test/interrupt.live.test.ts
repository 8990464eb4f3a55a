import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { z } from 'zod';
import { defineCheck, type Check, type CheckMeta } from '../src/checks/types.js';
import { pinnedClock } from '../src/clock.js';
import { runChecks } from '../src/runner.js';
import { resolveTarget } from '../src/target.js';
import { servers, sql } from './helpers/servers.js';

const BIN = new URL('../bin/dbsec', import.meta.url).pathname;
const FIXTURE = new URL('../fixtures/logs/activity/activity-stderr-pg18.log', import.meta.url).pathname;
const validate = new Ajv({ allErrors: true, strict: false }).compile(JSON.parse(readFileSync(new URL('../schema/report.schema.json', import.meta.url), 'utf8')));
const AT = new Date('2026-11-30T12:00:00Z');

const meta: Omit<CheckMeta, 'id' | 'title'> = { area: 'test', cadence: 'daily', sources: ['postgres'], sees: 'present', runbook: 'test', remediation: 'none' };
const sleeper = defineCheck({
  meta: { ...meta, id: 'test.sleeper', title: 'Sleeps on the server' },
  options: z.object({}),
  collect: async (ctx) => (await ctx.pg()).query("SELECT pg_sleep(30) /* dbsec-interrupt-test */"),
  evaluate: () => [{ status: 'ok', title: 'slept', summary: 'slept', resource: 'server' }],
});
const after = defineCheck({
  meta: { ...meta, id: 'test.after', title: 'Runs after the sleeper' },
  options: z.object({}),
  collect: async () => undefined,
  evaluate: () => [{ status: 'ok', title: 'ran', summary: 'ran', resource: 'server' }],
});

/** One check at a time against the test server, with a statement_timeout far beyond the test's wait. */
function review(checks: Check<any, any>[], signal: AbortSignal) {
  return runChecks({
    command: 'daily',
    version: 'test',
    checks,
    options: new Map(),
    targets: [resolveTarget({ databaseUrl: servers()[0]!.url() }, {})],
    window: { from: new Date(AT.getTime() - 86_400_000), to: AT },
    clock: pinnedClock(AT),
    concurrency: 1,
    deps: { limits: { statementTimeoutMs: 60_000, lockTimeoutMs: 1_000, connectTimeoutMs: 3_000 }, aws: { requestTimeoutMs: 5_000 } },
    signal,
  });
}

async function sleepingBackends(): Promise<number> {
  const rows = await sql(servers()[0]!, "SELECT count(*)::int AS n FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%dbsec-interrupt-test%' AND pid <> pg_backend_pid()");
  return rows.rows[0].n;
}

async function waitUntil(condition: () => Promise<boolean>, ms: number): Promise<void> {
  const until = performance.now() + ms;
  while (!(await condition())) {
    if (performance.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('Ctrl-C during a review', () => {
  it('cancels the running query on the server, skips what had not started, and marks the report interrupted', async () => {
    const controller = new AbortController();
    const run = review([sleeper, after], controller.signal);
    await waitUntil(async () => (await sleepingBackends()) === 1, 10_000);
    const stopped = performance.now();
    controller.abort('SIGINT');
    const report = await run;
    expect(performance.now() - stopped).toBeLessThan(5_000);
    expect(report.interrupted).toBe(true);
    expect(report.findings.find((f) => f.checkId === 'test.sleeper')).toMatchObject({ status: 'error', summary: expect.stringMatching(/interrupted while this check ran/) });
    expect(report.findings.find((f) => f.checkId === 'test.after')).toMatchObject({ status: 'skipped', summary: expect.stringMatching(/interrupted before this check started/) });
    // statement_timeout is a minute away: only the cancel request can have ended the query this soon.
    await waitUntil(async () => (await sleepingBackends()) === 0, 3_000);
  }, 30_000);

  it('an uninterrupted run carries no interrupted field', async () => {
    const report = await review([after], new AbortController().signal);
    expect(report).not.toHaveProperty('interrupted');
    expect(report.findings.map((f) => f.status)).toEqual(['ok']);
  });
});

/** Starts dbsec, sends it `signal` once `ready` holds for its stderr (or after `afterMs`), and collects the end. */
function interruptAfter(args: string[], signal: NodeJS.Signals, afterMs: number, input?: Buffer) {
  const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH!, HOME: '/nonexistent', NO_COLOR: '1' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  // stdin stays open: a reader waiting for more input must still stop at once.
  if (input) child.stdin.write(input);
  setTimeout(() => child.kill(signal), afterMs);
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

describe('dbsec interrupted from outside', () => {
  // A server that accepts connections and never answers: every check waits on its connect timeout.
  let silent: Server;
  const port = new Promise<number>((resolve) => {
    silent = createServer(() => undefined).listen(0, '127.0.0.1', () => resolve((silent.address() as { port: number }).port));
  });
  afterAll(() => silent.close());

  it('daily: SIGINT ends with the report so far, marked interrupted, valid JSON and exit 130', async () => {
    const run = await interruptAfter(['daily', '--database-url', `postgres://u:topsecret@127.0.0.1:${await port}/db`, '--format', 'json'], 'SIGINT', 1_500);
    expect(run.code).toBe(130);
    const report = JSON.parse(run.stdout);
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    expect(report.interrupted).toBe(true);
    expect(report.findings.length).toBeGreaterThan(0);
    expect(report.findings.filter((f: { summary: string }) => /interrupted/.test(f.summary)).length).toBeGreaterThan(0);
    expect(run.stderr).toMatch(/dbsec: interrupted: stopping its queries; the report so far follows/);
    expect(run.stdout + run.stderr).not.toContain('topsecret');
  }, 30_000);

  it('weekly: SIGTERM exits 143 and the table says the report is incomplete', async () => {
    const run = await interruptAfter(['weekly', '--database-url', `postgres://u@127.0.0.1:${await port}/db`], 'SIGTERM', 1_500);
    expect(run.code).toBe(143);
    expect(run.stdout).toMatch(/weekly: .*interrupted, so incomplete/s);
    expect(run.stderr).toMatch(/dbsec: terminated:/);
  }, 30_000);

  it('respond: an interrupted investigation proposes no containment', async () => {
    const run = await interruptAfter(['respond', 'high-connections', '--database-url', `postgres://u@127.0.0.1:${await port}/db`, '--user', 'app', '--format', 'json'], 'SIGINT', 1_500);
    expect(run.code).toBe(130);
    const report = JSON.parse(run.stdout);
    expect(report.interrupted).toBe(true);
    expect(report.findings.map((f: { checkId: string }) => f.checkId)).not.toContain('respond.containment');
  }, 30_000);

  it('report compliance: interrupted, it writes no report and says why', async () => {
    const output = join(mkdtempSync(join(tmpdir(), 'dbsec-interrupt-')), 'compliance.md');
    const run = await interruptAfter(['report', 'compliance', '--database-url', `postgres://u@127.0.0.1:${await port}/db`, '-o', output], 'SIGINT', 1_500);
    expect(run.code).toBe(130);
    expect(existsSync(output)).toBe(false);
    expect(run.stderr).toMatch(/dbsec: Interrupted: no compliance report was written/);
  }, 30_000);

  it('evidence collect and incident start: interrupted, they keep no directory at all and exit 130', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'dbsec-interrupt-'));
    const url = `postgres://u@127.0.0.1:${await port}/db`;
    const evidence = await interruptAfter(['evidence', 'collect', '--database-url', url, '-o', join(parent, 'evidence')], 'SIGINT', 1_500);
    expect(evidence.code).toBe(130);
    expect(evidence.stderr).toMatch(/dbsec: Interrupted: no evidence was kept, since a partial collection is never sealed; run it again\./);
    const incident = await interruptAfter(['incident', 'start', '--id', 'INC-1', '--database-url', url, '-o', join(parent, 'incident')], 'SIGTERM', 1_500);
    expect(incident.code).toBe(143);
    expect(incident.stderr).toMatch(/no partial evidence is kept/);
    // Neither the evidence directories nor their staging directories are left behind.
    expect(readdirSync(parent)).toEqual([]);
  }, 30_000);

  it('activity --follow: SIGTERM is its planned end: the summary goes to -o and the exit code is the findings\'', async () => {
    const output = join(mkdtempSync(join(tmpdir(), 'dbsec-interrupt-')), 'follow.json');
    const run = await interruptAfter(['activity', '--log-file', FIXTURE, '--follow', '--format', 'json', '-o', output, '--quiet'], 'SIGTERM', 3_000);
    // the fixture holds investigate alerts
    expect(run.code).toBe(1);
    const report = JSON.parse(readFileSync(output, 'utf8'));
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    expect(report).not.toHaveProperty('interrupted');
    expect(report.findings.find((f: { checkId: string }) => f.checkId === 'activity.summary')).toMatchObject({ status: 'ok', title: expect.stringMatching(/^[1-9]\d* statements/) });
    expect(report.findings.some((f: { checkId: string }) => f.checkId === 'activity.drop-table')).toBe(true);
  }, 30_000);

  it('activity: SIGINT while stdin is still open reports what was read', async () => {
    const run = await interruptAfter(['activity', '--log-file', '-', '--format', 'json'], 'SIGINT', 4_000, readFileSync(FIXTURE));
    expect(run.code).toBe(130);
    const report = JSON.parse(run.stdout);
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    expect(report.interrupted).toBe(true);
    const summary = report.findings.find((f: { checkId: string }) => f.checkId === 'activity.summary');
    expect(summary).toMatchObject({ status: 'error', title: expect.stringMatching(/^Interrupted after [1-9]\d* statements/) });
    expect(summary.summary).toMatch(/the rest of the log was not read/);
  }, 30_000);
});
