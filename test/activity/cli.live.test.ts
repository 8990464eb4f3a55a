import { afterAll, describe, expect, it } from 'vitest';
import { execFile, spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Ajv } from 'ajv';
import pg from 'pg';
import { BEYOND_SCENARIO, runActivityScenario, SCENARIO_SECRET } from '../../src/sandbox/activity-scenario.js';
import { USE_CASES } from '../../src/activity/use-cases.js';
import type { ActivityEvent } from '../../src/activity/monitor.js';
import { servers, sql } from '../helpers/servers.js';
import { SANDBOX_INSTANCE, sandboxAwsEnv, sandboxEndpoint } from '../../src/sandbox/aws-scenario.js';
import { writeQuietLog } from '../helpers/quiet-log.js';

const BIN = new URL('../../bin/dbsec', import.meta.url).pathname;
const FIXTURES = new URL('../../fixtures/logs/activity/', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'dbsec-activity-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const config = join(dir, 'dbsec.yaml');
writeFileSync(config, 'activity:\n  views: [act_customer_emails]\n  sensitiveTables: [act_customers]\n');

function dbsec(args: string[], input?: Buffer): Promise<{ code: number; stdout: string; stderr: string }> {
  return dbsecEnv(args, {}, input);
}

function dbsecEnv(args: string[], env: Record<string, string>, input?: Buffer): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH!, HOME: dir, ...env }, timeout: 60_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    if (input) child.stdin!.end(input);
  });
}

/** A new database on the first test server, holding what `setup` creates; its URL. */
async function freshDatabase(name: string, setup: string): Promise<string> {
  const server = servers()[0]!;
  await sql(server, `DROP DATABASE IF EXISTS ${name}`);
  await sql(server, `CREATE DATABASE ${name}`);
  const client = new pg.Client(server.url({ database: name }));
  await client.connect();
  try {
    await client.query(setup);
  } finally {
    await client.end();
  }
  return server.url({ database: name });
}

/** The events of `dbsec activity … --format jsonl`. */
async function jsonlEvents(args: string[]): Promise<ActivityEvent[]> {
  const { stdout } = await dbsec(['activity', ...args, '--format', 'jsonl']);
  return stdout.trim().split('\n').map((line) => JSON.parse(line)).filter((line) => line.type === 'event');
}

/** Runs dbsec in the background, collecting its jsonl lines, until stopped with SIGINT. */
function follow(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH!, HOME: dir, ...env } });
  let out = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  const lines = () => out.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
  return {
    lines,
    async waitFor(predicate: (line: any) => boolean, ms = 20_000) {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        if (lines().some(predicate)) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`timed out; saw ${out.slice(-2000)}`);
    },
    async stop() {
      child.kill('SIGINT');
      return exited;
    },
  };
}

describe('dbsec activity', () => {
  it('jsonl: one object per event with the contract fields, then a summary', async () => {
    const run = await dbsec(['activity', '--log-file', join(FIXTURES, 'activity-stderr-pg18.log'), '-c', config, '--format', 'jsonl', '--events']);
    expect(run.code).toBe(1);
    const lines = run.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const events = lines.filter((l) => l.type === 'event');
    for (const event of events) {
      expect(Object.keys(event)).toEqual(expect.arrayContaining(['time', 'user', 'database', 'client', 'application', 'pid', 'useCase', 'command', 'objects', 'statement', 'alert']));
      expect(USE_CASES).toContain(event.useCase);
    }
    expect(lines.at(-1)).toMatchObject({ type: 'summary', input: { format: 'stderr', skipped: 0 } });
    expect(run.stdout).not.toContain(SCENARIO_SECRET);
  });

  it('json: the design’s report, one finding per alert, valid against the schema', async () => {
    const run = await dbsec(['activity', '--log-file', join(FIXTURES, 'activity-pg15.csv'), '-c', config, '--format', 'json']);
    const report = JSON.parse(run.stdout);
    const validate = new Ajv({ allErrors: true, strict: false }).compile(JSON.parse(readFileSync(new URL('../../schema/report.schema.json', import.meta.url), 'utf8')));
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    expect(report.command).toBe('activity');
    const alerts = report.findings.filter((f: { checkId: string }) => f.checkId !== 'activity.summary');
    expect(alerts.length).toBe(report.summary.investigate + report.summary.monitor);
    expect(alerts.find((f: { checkId: string }) => f.checkId === 'activity.drop-table')).toMatchObject({ status: 'investigate', runbook: 'Seed 000: SQL Command – Drop Table' });
    expect(Date.parse(report.window.from)).toBeGreaterThan(Date.parse('2026-01-01'));
    expect(run.code).toBe(1);
  });

  it('markdown to --output, stdin with -, and exit 0 with --fail-on never', async () => {
    const out = join(dir, 'activity.md');
    const run = await dbsec(['activity', '--log-file', '-', '--format', 'markdown', '-o', out, '--quiet', '--fail-on', 'never'], readFileSync(writeQuietLog(join(dir, 'quiet.log'))));
    expect(run.code).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('0 statements, 0 events, 0 alerts');
    const piped = await dbsec(['activity', '--log-file', '-', '--format', 'jsonl'], readFileSync(join(FIXTURES, 'activity-pg15.json')));
    expect(piped.stdout.trim().split('\n').at(-1)).toContain('"format":"jsonlog"');
  });

  it('keeps going past a corrupt .gz and a missing file, reporting each as an error', async () => {
    const gz = join(dir, 'corrupt.log.gz');
    writeFileSync(gz, gzipSync(readFileSync(join(FIXTURES, 'activity-stderr-pg18.log'))).subarray(0, 300));
    const run = await dbsec(['activity', '--log-file', gz, '--log-file', join(dir, 'missing.log'), '--log-file', join(FIXTURES, 'activity-stderr-pg18.log'), '--format', 'json']);
    const report = JSON.parse(run.stdout);
    const errors = report.findings.filter((f: { status: string }) => f.status === 'error').map((f: { summary: string }) => f.summary);
    expect(errors).toEqual([
      expect.stringContaining('not a valid gzip file or it is truncated'),
      expect.stringContaining('missing.log: no such file'),
      // the counts leave those two out, so the summary is not ok either
      expect.stringMatching(/2 log sources could not be read \(activity\.source says why\): these counts leave them out\.$/),
    ]);
    expect(report.findings.some((f: { checkId: string }) => f.checkId === 'activity.drop-table')).toBe(true);
    expect(run.stderr).toBe('');
  });

  it('with --database-url, says which use cases the server’s logging leaves blind and learns its views', async () => {
    const server = servers()[0]!;
    const run = await dbsec(['activity', '--log-file', join(FIXTURES, 'activity-stderr-pg18.log'), '--database-url', server.url(), '--format', 'json']);
    const coverage = JSON.parse(run.stdout).findings.find((f: { checkId: string }) => f.checkId === 'activity.coverage');
    expect(coverage).toMatchObject({ status: 'monitor', summary: expect.stringContaining("Judged from the server's settings: log_statement = none, pgaudit.log = (not loaded).") });
    expect(coverage.evidence.map((row: { fix: string; certainty: string }) => [row.fix.split(' ')[0], row.certainty])).toEqual([
      ['log_statement', 'known'],
      ['log_statement', 'known'],
      ['log_statement', 'known'],
      ['shared_preload_libraries', 'known'],
      // the sandbox keeps log_min_duration_statement's default (-1): no duration is logged
      ['log_min_duration_statement', 'known'],
    ]);
    const down = await dbsec(['activity', '--log-file', join(FIXTURES, 'activity-stderr-pg18.log'), '--database-url', 'postgres://x:hidden-pw@127.0.0.1:1/x', '--format', 'json']);
    const error = JSON.parse(down.stdout).findings.find((f: { status: string }) => f.status === 'error');
    expect(error.title).toBe('database could not be read');
    expect(down.stdout).not.toContain('hidden-pw');
  });

  it("with --database-url, a person's read of a whole large table is exfiltration; an application's is routine", async () => {
    // The catalog's row estimate (ANALYZE): 50 rows, over a bulkRows of 10.
    const url = await freshDatabase('act_large', "CREATE TABLE customers (id int, email text); INSERT INTO customers SELECT g, 'c' || g FROM generate_series(1, 50) g; ANALYZE customers");
    const small = join(dir, 'bulk10.yaml');
    writeFileSync(small, 'activity:\n  bulkRows: 10\n');
    const events = async (extra: string[]) => (await jsonlEvents(['--log-file', join(FIXTURES, 'story-pg18.log'), '-c', small, ...extra])).filter((e) => e.statement === 'SELECT * FROM customers');
    const read = await events(['--database-url', url]);
    // fixtures/record-story.mjs: mallory (pgAdmin) and billing-api both run SELECT * FROM customers.
    expect(read.map((e) => [e.user, e.useCase, e.severity, e.notes])).toEqual([['mallory', 'data-exfiltration', 'high', ['unbounded read of large table customers (about 50 rows)', 'by a person (pgAdmin 4 - CONN:4242)']]]);
    // Without the catalog, nothing says the table is large.
    expect(await events([])).toEqual([]);
  });

  it('with --database-url, what only a superuser may do, done by a role that is not one, ranks a level higher', async () => {
    // fixtures/record-story.mjs: the reporting role, granted pg_read_server_files, reads a server file.
    const reads = async (extra: string[]) => (await jsonlEvents(['--log-file', join(FIXTURES, 'story-pg18.log'), ...extra])).filter((e) => e.user === 'reporting');
    const [known] = await reads(['--database-url', servers()[0]!.url()]);
    expect(known).toMatchObject({ useCase: 'data-exfiltration', severity: 'critical', notes: ['by a role that is not a superuser: a privilege path exists'] });
    const [unknown] = await reads([]);
    expect(unknown).toMatchObject({ useCase: 'data-exfiltration', severity: 'high', notes: [] });
  });

  it('with --database-url, a call of a SECURITY DEFINER function says whose rights it runs with', async () => {
    const url = await freshDatabase('act_definer', 'CREATE FUNCTION act_total() RETURNS bigint LANGUAGE sql SECURITY DEFINER AS $$ SELECT 1::bigint $$');
    const calls = async (extra: string[]) => (await jsonlEvents(['--log-file', join(FIXTURES, 'activity-stderr-pg18.log'), '--events', ...extra])).filter((e) => e.statement === 'SELECT act_total()');
    const [known] = await calls(['--database-url', url]);
    expect(known).toMatchObject({ useCase: 'function-execution', severity: 'medium', notes: ['SECURITY DEFINER: runs as postgres, a superuser', "runs with a superuser's rights"] });
    const [unknown] = await calls([]);
    expect(unknown).toMatchObject({ useCase: 'function-execution', severity: 'info', notes: [] });
  });

  it('dbsec demo --command activity runs the scenario on its own server and alerts on every alerting use case', async () => {
    const run = await dbsec(['demo', '--command', 'activity', '--format', 'json']);
    const report = JSON.parse(run.stdout);
    const alerted = new Set(report.findings.map((f: { checkId: string }) => f.checkId));
    // titles say what was done: no "DO DO block", a GRANT names what it gives to whom
    const titles = report.findings.map((f: { title: string }) => f.title);
    expect(titles).toContain('DO block by postgres@postgres');
    expect(titles).toContain('GRANT SELECT ON act_customers TO act_intruder by postgres@postgres');
    expect(report.findings.filter((f: { checkId: string; expected?: string }) => f.checkId.startsWith('activity.') && f.expected !== undefined)).toEqual([]);
    for (const useCase of ['drop-table', 'truncate', 'function-tampering', 'obfuscated-code', 'privileged-operation', 'user-created', 'data-exfiltration', 'alter-table', 'user-dropped', 'view-delete']) expect(alerted).toContain(`activity.${useCase}`);
    expect(run.code).toBe(1);
  }, 60_000);

  it('says in one sentence when there is nothing to read (exit 2)', async () => {
    const run = await dbsec(['activity']);
    expect(run).toMatchObject({ code: 2, stderr: 'dbsec: No log to read: pass --log-file FILE (or - for stdin), or --rds-instance ID for its CloudWatch log group.\n' });
    const bad = await dbsec(['activity', '--log-file', 'x', '--log-format', 'xml']);
    expect(bad.code).toBe(2);
  });

  it('--follow alerts on appended lines, across a rotation, and prints the summary on Ctrl-C', async () => {
    const path = join(dir, 'growing.log');
    const line = (n: number, sql: string) => `2026-11-22 10:00:${String(n).padStart(2, '0')} UTC:10.0.0.9(4000):mallory@app:[91]:LOG:  statement: ${sql}\n`;
    writeFileSync(path, line(1, 'SELECT 1'));
    const run = follow(['activity', '--log-file', path, '--follow', '--format', 'jsonl']);
    await new Promise((r) => setTimeout(r, 800));
    appendFileSync(path, line(2, 'DROP TABLE first_table'));
    await run.waitFor((l) => l.type === 'event' && l.objects[0] === 'first_table');
    renameSync(path, `${path}.1`);
    writeFileSync(path, line(3, "CREATE ROLE after_rotation LOGIN PASSWORD 'rot-secret'"));
    await run.waitFor((l) => l.type === 'event' && l.objects[0] === 'after_rotation');
    const code = await run.stop();
    expect(run.lines().at(-1)).toMatchObject({ type: 'summary', statements: 3 });
    expect(JSON.stringify(run.lines())).not.toContain('rot-secret');
    expect(code).toBe(1);
  });
});

describe('dbsec activity over CloudWatch Logs', () => {
  it('reads the log group page by page through the real SDK, with the activity filter pattern', async () => {
    const endpoint = sandboxEndpoint({ now: new Date('2026-11-22T23:30:00Z'), logFile: join(FIXTURES, 'activity-stderr-pg18.log'), pageSize: 7 });
    const url = await endpoint.start();
    try {
      const env = { ...sandboxAwsEnv(url), AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', AWS_CONFIG_FILE: '/nonexistent', AWS_EC2_METADATA_DISABLED: 'true' };
      const run = await dbsecEnv(['activity', '--rds-instance', SANDBOX_INSTANCE, '--since', '2026-11-01T00:00:00Z', '-c', config, '--format', 'jsonl', '--events'], env);
      const events = run.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((l) => l.type === 'event');
      const fromFile = (await dbsec(['activity', '--log-file', join(FIXTURES, 'activity-stderr-pg18.log'), '-c', config, '--format', 'jsonl', '--events'])).stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((l) => l.type === 'event');
      expect(events.map((e) => [e.useCase, e.command, e.objects])).toEqual(fromFile.map((e) => [e.useCase, e.command, e.objects]));
      expect(endpoint.count('FilterLogEvents')).toBeGreaterThan(3);
      const pattern = endpoint.requests.find((r) => r.operation === 'FilterLogEvents')!.input.filterPattern;
      expect(pattern).toBe('?"statement:" ?"execute" ?"AUDIT:" ?"connection authorized" ?"Parameters:" ?"authentication failed" ?"no pg_hba.conf entry" ?"duration:" ?"ERROR:" ?"terminating connection" ?"shutdown request" ?"ready to accept connections"');
      endpoint.inject('FilterLogEvents', 'access-denied', Infinity);
      const denied = await dbsecEnv(['activity', '--rds-instance', SANDBOX_INSTANCE, '--format', 'json'], env);
      expect(JSON.parse(denied.stdout).findings.find((f: { status: string }) => f.status === 'error').summary).toMatch(/logs:FilterLogEvents/);
    } finally {
      await endpoint.stop();
    }
  });
});

describe('dbsec activity over CloudWatch Logs with Logs Insights', () => {
  it("leaves plain reads and writes on the server, counts them there, and agrees with reading every event", async () => {
    // The catalog (views, large tables) must be known before anything is left out: a database with a view and a table.
    const url = await freshDatabase('act_insights', 'CREATE TABLE pgbench_accounts (aid int); CREATE VIEW act_customer_emails AS SELECT 1 AS x;');
    const log = join(dir, 'insights.log');
    const line = (second: number, sql: string) => `2026-11-22 10:00:${String(second).padStart(2, '0')} UTC:10.0.0.9(4000):app@app:[91]:LOG:  statement: ${sql}`;
    writeFileSync(log, `${[
      line(1, 'SELECT abalance FROM pgbench_accounts WHERE aid = 1;'),
      line(2, 'UPDATE pgbench_accounts SET abalance = abalance + 5 WHERE aid = 2;'),
      line(3, 'select * from pgbench_accounts where aid = 3'),
      line(4, 'DELETE FROM act_customer_emails'),
      line(5, 'SELECT pg_read_file(\'/etc/passwd\')'),
      line(6, 'INSERT INTO pgbench_history SELECT * FROM pgbench_accounts'),
      line(7, 'DROP TABLE pgbench_history'),
      line(8, 'UPDATE pgbench_accounts SET abalance = 0 WHERE aid = 4'),
    ].join('\n')}\n`);
    const endpoint = sandboxEndpoint({ now: new Date('2026-11-22T10:30:00Z'), logFile: log });
    const aws = await endpoint.start();
    try {
      const env = { ...sandboxAwsEnv(aws), AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', AWS_CONFIG_FILE: '/nonexistent', AWS_EC2_METADATA_DISABLED: 'true' };
      const args = ['activity', '--rds-instance', SANDBOX_INSTANCE, '--database-url', url, '--since', '2026-11-22T09:00:00Z', '--until', '2026-11-22T10:10:00Z', '--format', 'jsonl', '--events'];
      const lines = (out: string) => out.trim().split('\n').map((l) => JSON.parse(l));
      const viaInsights = lines((await dbsecEnv(args, env)).stdout);
      const starts = endpoint.requests.filter((r) => r.operation === 'StartQuery');
      expect(endpoint.count('FilterLogEvents')).toBe(0);
      expect(starts).toHaveLength(2);
      const everyEvent = join(dir, 'insights-off.yaml');
      writeFileSync(everyEvent, 'activity:\n  insights: false\n');
      const viaEvents = lines((await dbsecEnv([...args, '-c', everyEvent], env)).stdout);
      expect(endpoint.count('FilterLogEvents')).toBeGreaterThan(0);
      // the same events, and a summary with the same counts of statements and commands
      const events = (all: Array<Record<string, unknown>>) => all.filter((l) => l.type === 'event').map((e) => [e.useCase, e.command, e.objects]);
      expect(events(viaInsights)).toEqual(events(viaEvents));
      expect(events(viaInsights)).toEqual([
        ['data-exfiltration', 'SELECT', ['pg_read_file']],
        ['drop-table', 'DROP TABLE', ['pgbench_history']],
      ]);
      const summary = (all: Array<Record<string, unknown>>) => all.find((l) => l.type === 'summary');
      // four plain reads and writes stayed on the server (counted there); the DELETE names a view, so it came over
      expect(summary(viaInsights)).toMatchObject({ statements: 8, otherStatements: 6, input: { lines: 4 } });
      expect(summary(viaEvents)).toMatchObject({ input: { lines: 8 } });
      expect({ ...summary(viaInsights), input: undefined }).toEqual({ ...summary(viaEvents), input: undefined });
    } finally {
      await endpoint.stop();
    }
  });
});

describe('dbsec activity --follow over CloudWatch Logs', () => {
  it('polls for new events and alerts on them', async () => {
    const path = join(dir, 'cloudwatch-follow.log');
    const stamp = (d: Date) => d.toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
    const line = (sql: string) => `${stamp(new Date())}:10.0.0.7(4100):mallory@app:[55]:LOG:  statement: ${sql}\n`;
    writeFileSync(path, line('DROP TABLE before_follow'));
    const endpoint = sandboxEndpoint({ now: new Date(), logFile: path });
    const url = await endpoint.start();
    const env = { ...sandboxAwsEnv(url), AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', AWS_CONFIG_FILE: '/nonexistent', AWS_EC2_METADATA_DISABLED: 'true' };
    const run = follow(['activity', '--rds-instance', SANDBOX_INSTANCE, '--since', '1h', '--follow', '--format', 'jsonl'], env);
    try {
      await run.waitFor((l) => l.type === 'event' && l.objects[0] === 'before_follow');
      appendFileSync(path, line('TRUNCATE during_follow'));
      await run.waitFor((l) => l.type === 'event' && l.objects[0] === 'during_follow', 15_000);
    } finally {
      await run.stop();
      await endpoint.stop();
    }
    expect(run.lines().filter((l) => l.type === 'event').map((l) => l.objects[0])).toEqual(['before_follow', 'during_follow']);
    expect(run.lines().at(-1)).toMatchObject({ type: 'summary', statements: 2 });
  }, 30_000);
});

describe.each(servers().map((server) => [server.flavor, server] as const))('live on %s: the scenario classified from the server’s own log as it is written', (flavor, server) => {
  it('finds every use case while following the log', async () => {
    const db = 'act_live';
    await sql(server, `DROP DATABASE IF EXISTS ${db}`);
    await sql(server, `CREATE DATABASE ${db}`);
    const pgaudit = flavor === 'debian-15';
    await sql(server, pgaudit ? `ALTER DATABASE ${db} SET pgaudit.log = 'all'` : `ALTER DATABASE ${db} SET log_statement = 'all'`);
    if (pgaudit) await sql(server, `ALTER DATABASE ${db} SET pgaudit.log_relation = on`);
    const run = follow(['activity', '--log-file', server.logFile, '--follow', '--format', 'jsonl', '--events', '-c', config]);
    try {
      await runActivityScenario(server, { database: db });
      await run.waitFor((l) => l.type === 'event' && l.database === db && l.command === 'DROP TABLE' && l.objects[0] === 'act_customers');
    } finally {
      await run.stop();
    }
    const events = run.lines().filter((l) => l.type === 'event' && l.database === db);
    const missing = USE_CASES.filter((u) => !BEYOND_SCENARIO.includes(u) && !events.some((e) => e.useCase === u));
    expect(missing).toEqual([]);
    expect(events.some((e) => e.source === (pgaudit ? 'pgaudit' : 'log_statement'))).toBe(true);
    expect(JSON.stringify(events)).not.toContain(SCENARIO_SECRET);
  }, 60_000);
});
