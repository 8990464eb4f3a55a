import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModule } from 'libpg-query';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli.js';
import type { ActivityEvent } from '../../src/activity/monitor.js';
import { personOf, severityOf, type SeverityFacts } from '../../src/activity/severity.js';
import { blindSpotsOf } from '../../src/activity/coverage.js';
import type { Report } from '../../src/report.js';
import { bufferIo } from '../helpers/io.js';
import { classifyRecordedLog } from '../helpers/classify-log.js';

beforeAll(() => loadModule());
const dir = mkdtempSync(join(tmpdir(), 'dbsec-story-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** fixtures/record-story.mjs: benign traffic, then the DBA's grants to mallory and mallory's chain (log_statement = all). */
const STORY = fileURLToPath(new URL('../../fixtures/logs/activity/story-pg18.log', import.meta.url));
/** The recording's day: the runs happen just after it. */
const AFTER_RECORDING = new Date('2026-11-30T23:00:00Z');

async function runOn(log: string, ...flags: string[]) {
  const io = bufferIo(AFTER_RECORDING);
  const code = await main(['node', 'dbsec', 'activity', '--log-file', log, ...flags], io);
  return { code, out: io.out(), err: io.err() };
}
const run = (...flags: string[]) => runOn(STORY, ...flags);

const act = (e: ActivityEvent) => [e.user, e.command, e.objects.join(','), e.severity, e.alert?.status ?? null];

describe('severity on the recorded story', () => {
  it('ranks what blinds or owns the server critical, a REVOKE and a power taken away low, benign traffic nothing', async () => {
    const { events } = await classifyRecordedLog(STORY, {});
    expect(events.filter((e) => e.user === 'mallory').map(act)).toEqual([
      ['mallory', 'SET ROLE', 'postgres', 'medium', 'investigate'],
      ['mallory', 'TRUNCATE TABLE', 'audit_log', 'critical', 'investigate'],
      ['mallory', 'COPY TO', '(query)', 'critical', 'investigate'],
      ['mallory', 'CREATE EXTENSION', 'postgres_fdw', 'medium', 'investigate'],
      ['mallory', 'CREATE FOREIGN SERVER', 'exfil', 'high', 'investigate'],
      ['mallory', 'CREATE USER MAPPING', 'exfil', 'medium', 'investigate'],
      ['mallory', 'ALTER SYSTEM', 'log_statement', 'critical', 'investigate'],
    ]);
    const byStatement = (pattern: RegExp) => events.find((e) => pattern.test(e.statement))!;
    expect(byStatement(/ALTER ROLE mallory SUPERUSER/)).toMatchObject({ severity: 'critical', notes: ['SUPERUSER', 'grants SUPERUSER'] });
    expect(byStatement(/ALTER ROLE mallory NOSUPERUSER/)).toMatchObject({ severity: 'low', alert: { status: 'monitor' } });
    expect(byStatement(/TRUNCATE audit_log/).notes).toContain('the audit trail itself');
    expect(byStatement(/ALTER SYSTEM SET log_statement/).notes).toContain('turns logging or auditing off');
    // The reset restores logging: a change of the server's configuration, not a blinding one.
    expect(byStatement(/ALTER SYSTEM RESET/).severity).toBe('high');
    // Offboarding by the book: the REVOKE and the DROP USER after it are recorded, not alerted.
    expect(byStatement(/REVOKE ALL ON customers FROM leaver/)).toMatchObject({ severity: 'low', alert: null });
    expect(byStatement(/DROP USER leaver/)).toMatchObject({ useCase: 'user-dropped', alert: null });
    // Benign traffic: the application's DML and its tickets (one quoting DROP TABLE, GRANT ALL and a password), the
    // DBA's pg_stat_activity, count(*) and VACUUM are no event at all.
    expect(events.filter((e) => e.application === 'billing-api')).toEqual([]);
    expect(events.filter((e) => /pg_stat_activity|count\(\*\)|VACUUM|tickets \(body\)/.test(e.statement))).toEqual([]);
  });

  it('orders alerts by severity, then time, and with --min-severity raises only the severe ones', async () => {
    const all = await run('--format', 'json');
    const report = JSON.parse(all.out) as Report;
    const alerts = report.findings.filter((f) => f.severity && f.checkId !== 'activity.incident');
    const ranks = alerts.map((f) => ['info', 'low', 'medium', 'high', 'critical'].indexOf(f.severity!) + (f.status === 'investigate' ? 10 : 0));
    expect(ranks).toEqual([...ranks].sort((a, b) => b - a));
    expect(alerts[0]).toMatchObject({ severity: 'critical', title: 'ALTER ROLE mallory by postgres@postgres' });
    const severe = await run('--format', 'json', '--min-severity', 'high');
    expect(severe.code).toBe(1);
    const kept = (JSON.parse(severe.out) as Report).findings.filter((f) => f.severity && f.checkId !== 'activity.incident');
    expect(kept.map((f) => f.severity)).toEqual(['critical', 'critical', 'critical', 'critical', 'high', 'high', 'high', 'high', 'high']);
    expect(kept.length).toBeLessThan(alerts.length);
    expect((await run('--min-severity', 'severe')).err).toMatch(/option '--min-severity <level>' argument 'severe' is invalid/);
  });

  it("tells mallory's chain as one incident, in order, before the alerts it groups", async () => {
    const { code, out } = await run('--format', 'json');
    expect(code).toBe(1);
    const findings = (JSON.parse(out) as Report).findings;
    const incident = findings.find((f) => f.checkId === 'activity.incident' && f.resource?.startsWith('mallory'))!;
    expect(incident).toMatchObject({ status: 'investigate', severity: 'critical' });
    expect(incident.title).toBe('mallory@postgres: 7 alerts within a minute: SET ROLE postgres → TRUNCATE TABLE audit_log → COPY (query) TO PROGRAM cat > /dev/null → CREATE EXTENSION postgres_fdw → CREATE FOREIGN SERVER exfil → … 2 more');
    expect(incident.evidence.map((row) => row.act)).toEqual([
      'SET ROLE postgres',
      'TRUNCATE TABLE audit_log',
      'COPY (query) TO PROGRAM cat > /dev/null',
      'CREATE EXTENSION postgres_fdw',
      'CREATE FOREIGN SERVER exfil',
      'CREATE USER MAPPING exfil',
      "ALTER SYSTEM SET log_statement = 'none'",
    ]);
    expect(findings.indexOf(incident)).toBeLessThan(findings.findIndex((f) => f.checkId === 'activity.truncate'));
    // The chain's own alerts stay in the report, each with its severity.
    expect(findings.find((f) => f.checkId === 'activity.truncate')).toMatchObject({ severity: 'critical', title: 'TRUNCATE TABLE audit_log by mallory@postgres' });
  });

  it('starts a new incident after the gap, and none for a login with a single alert', async () => {
    const { out } = await run('--format', 'json', '--min-severity', 'critical');
    const incidents = (JSON.parse(out) as Report).findings.filter((f) => f.checkId === 'activity.incident');
    // postgres has one critical alert (the SUPERUSER grant): no incident of one.
    expect(incidents.map((f) => f.resource?.split(' ')[0])).toEqual(['mallory']);
    expect(incidents[0]!.evidence).toHaveLength(3);
  });

  it("reads the whole application name from the connection line and shows a statement's lines as one", async () => {
    const { events } = await classifyRecordedLog(STORY, {});
    expect(new Set(events.filter((e) => e.user === 'mallory').map((e) => e.application))).toEqual(new Set(['pgAdmin 4 - CONN:4242']));
    const report = JSON.parse((await run('--format', 'json')).out) as Report;
    expect(report.findings.filter((f) => /\n/.test(f.summary))).toEqual([]);
    const recorded = JSON.parse((await runOn(fileURLToPath(new URL('../../fixtures/logs/activity/activity-stderr-pg18.log', import.meta.url)), '--format', 'json')).out) as Report;
    expect(recorded.findings.find((f) => f.title.startsWith('CREATE FUNCTION act_wrapped'))!.summary).toMatch(/^CREATE FUNCTION act_wrapped\(\) RETURNS void LANGUAGE plpgsql AS \$\$ BEGIN EXECUT/);
  });

  it('keeps the passwords of the support ticket, CREATE ROLE and the user mapping out of every output', async () => {
    for (const format of ['jsonl', 'markdown', 'table']) {
      const { out } = await run('--format', format, '--events');
      expect(out).toContain('CREATE USER MAPPING');
      expect(out).not.toMatch(/hunter2|mallory-pw|fdw-secret-pw/);
    }
  });
});

describe('severityOf', () => {
  const base: SeverityFacts = { useCase: 'privileged-operation', command: 'SELECT', highRisk: false, objects: [], notes: [], statement: '', outcome: null };
  const options = { auditTables: ['*audit*'] };
  it.each<[string, Partial<SeverityFacts>, string]>([
    ['set_config turning statement logging off', { objects: ['set_config'], statement: "SELECT set_config('log_statement', 'none', false)" }, 'critical'],
    ['set_config turning it on', { objects: ['set_config'], statement: "SELECT set_config('log_statement', 'all', false)" }, 'medium'],
    ["pgaudit.log set to ''", { command: 'ALTER SYSTEM', objects: ['pgaudit.log'], statement: "ALTER SYSTEM SET pgaudit.log = ''" }, 'critical'],
    ['log_min_duration_statement to -1', { command: 'ALTER SYSTEM', objects: ['log_min_duration_statement'], statement: 'ALTER SYSTEM SET log_min_duration_statement TO -1;' }, 'critical'],
    ['work_mem changed', { command: 'ALTER SYSTEM', objects: ['work_mem'], statement: "ALTER SYSTEM SET work_mem = '0'" }, 'high'],
    ['COPY FROM PROGRAM', { command: 'COPY FROM', notes: ['COPY FROM PROGRAM curl x'] }, 'critical'],
    ['a grant of server programs', { command: 'GRANT', objects: ['pg_execute_server_program'] }, 'high'],
    ['a grant of EXECUTE on pg_read_file', { command: 'GRANT', objects: ['pg_catalog.pg_read_file'] }, 'high'],
    ['ALTER SYSTEM by a role that is not a superuser', { command: 'ALTER SYSTEM', objects: ['work_mem'], statement: "ALTER SYSTEM SET work_mem = '64MB'", actorSuperuser: false }, 'critical'],
    ['ALTER SYSTEM by a superuser', { command: 'ALTER SYSTEM', objects: ['work_mem'], statement: "ALTER SYSTEM SET work_mem = '64MB'", actorSuperuser: true }, 'high'],
    ['a refused ALTER SYSTEM by a role that is not a superuser', { command: 'ALTER SYSTEM', objects: ['work_mem'], statement: "ALTER SYSTEM SET work_mem = '64MB'", actorSuperuser: false, outcome: 'failed' }, 'medium'],
    ['a grant to PUBLIC', { command: 'GRANT', notes: ['GRANT SELECT ON t TO app, PUBLIC'] }, 'high'],
    ['a plain grant', { command: 'GRANT', notes: ['GRANT SELECT ON t TO app'] }, 'medium'],
    ['CREATEROLE granted', { command: 'ALTER ROLE', highRisk: true, notes: ['CREATEROLE'] }, 'high'],
    ['a refused SUPERUSER grant', { command: 'ALTER ROLE', highRisk: true, notes: ['SUPERUSER'], outcome: 'failed' }, 'high'],
    ['COPY TO STDOUT by an application', { useCase: 'data-exfiltration', command: 'COPY TO', notes: ['COPY TO STDOUT'], application: 'etl' }, 'medium'],
    ['COPY TO STDOUT by a person', { useCase: 'data-exfiltration', command: 'COPY TO', notes: ['COPY TO STDOUT'], application: 'psql', person: 'psql' }, 'high'],
    ['a pg_dump session', { useCase: 'data-exfiltration', command: 'pg_dump' }, 'medium'],
    ['a refused COPY to a file', { useCase: 'data-exfiltration', command: 'COPY TO', notes: ['COPY TO file /tmp/x'], outcome: 'failed' }, 'medium'],
    ['failed logins past the investigate bound', { useCase: 'failed-login', level: 'investigate' }, 'high'],
    ['a failed login under the bounds', { useCase: 'failed-login', level: null }, 'low'],
    ['a session ended by a timeout', { useCase: 'session-terminated', level: null }, 'info'],
    ['an audit table dropped', { useCase: 'drop-table', command: 'DROP TABLE', objects: ['public.audit_events'] }, 'critical'],
    ['an audit trigger created', { useCase: 'function-tampering', command: 'CREATE TRIGGER', objects: ['audit_trg on t'] }, 'high'],
    ['a refused read', { useCase: 'permission-denied', outcome: 'failed' }, 'medium'],
  ])('%s', (_, facts, expected) => {
    expect(severityOf({ ...base, ...facts }, options).severity).toBe(expected);
  });

  it('knows a person by the client program or by a role of personRoles', () => {
    expect(personOf('pgAdmin 4 - CONN:4242', 'app', [])).toBe('pgAdmin 4 - CONN:4242');
    expect(personOf('billing-api', 'alice', ['alice', 'dba_*'])).toBe('role alice');
    expect(personOf('billing-api', 'dba_bob', ['alice', 'dba_*'])).toBe('role dba_bob');
    expect(personOf('billing-api', 'app_user', ['alice', 'dba_*'])).toBeUndefined();
    expect(personOf(undefined, undefined, ['*'])).toBeUndefined();
  });
});

describe('what the logging leaves blind', () => {
  const coverage = async (name: string) => {
    const { out } = await runOn(fileURLToPath(new URL(`../../fixtures/logs/${name}`, import.meta.url)), '--format', 'json');
    return (JSON.parse(out) as Report).findings.find((f) => f.checkId === 'activity.coverage')!;
  };

  it.each([
    // log_statement = all without pgaudit: only what runs inside functions is hidden
    ['activity/story-pg18.log', 'monitor', ['pgaudit']],
    // log_statement = ddl (fixtures/record-attempts.mjs): writes, reads and function bodies are hidden
    ['activity/attempts-pg18.log', 'monitor', ['mod', 'all', 'pgaudit']],
    // pgaudit with every class: nothing hidden
    ['activity/activity-pgaudit-pg15.log', 'ok', []],
    // failed logins and no statement at all
    ['rds-prefix-pg15.log', 'monitor', ['ddl', 'mod', 'all', 'pgaudit']],
  ])('judges %s from what it holds', async (name, status, fixes) => {
    const finding = await coverage(name);
    expect(finding.status).toBe(status);
    const named = finding.evidence.map((row) => String(row.fix).match(/pgaudit'|= (ddl|mod|all)\b/)?.[1] ?? 'pgaudit');
    expect(named).toEqual(fixes);
    expect(finding.evidence.every((row) => row.certainty === 'probable')).toBe(true);
  });

  it('knows from the settings what the log cannot tell: durations and sessions not logged', () => {
    const spots = blindSpotsOf({ origin: 'settings', logStatement: 'all', pgaudit: 'read, write, function, role, ddl, misc', logConnections: false, logMinDurationMs: -1 });
    expect(spots.map((s) => [s.useCases.join(','), s.certainty])).toEqual([
      ['data-exfiltration', 'known'],
      ['long-running', 'known'],
    ]);
    expect(blindSpotsOf({ origin: 'settings', logStatement: 'ddl', pgaudit: 'write', logConnections: true, logMinDurationMs: 300_000 }).map((s) => s.fix.split(' ')[0])).toEqual(['log_statement']);
  });
});

describe('what the log itself shows about the schema', () => {
  it('remembers a CREATE VIEW, so a DELETE through the view is view-delete without --database-url or config', async () => {
    const recorded = fileURLToPath(new URL('../../fixtures/logs/activity/activity-stderr-pg18.log', import.meta.url));
    const { events } = await classifyRecordedLog(recorded, {});
    expect(events.filter((e) => e.useCase === 'view-delete').map((e) => [e.command, e.objects, e.notes])).toEqual([
      ['DELETE', ['act_customer_emails'], ['DELETE through a view']],
      ['DROP VIEW', ['act_customer_emails'], []],
    ]);
  });

  it('does not know a view before the log creates it', async () => {
    // The recorded lines with the DELETE moved before the CREATE VIEW: the DELETE is then an ordinary write.
    const lines = readFileSync(fileURLToPath(new URL('../../fixtures/logs/activity/activity-stderr-pg18.log', import.meta.url)), 'utf8').split('\n');
    const remove = lines.findIndex((l) => l.includes('statement: DELETE FROM act_customer_emails'));
    const create = lines.findIndex((l) => l.includes('statement: CREATE VIEW act_customer_emails'));
    const [deleted] = lines.splice(remove, 1);
    lines.splice(create, 0, deleted!);
    const path = join(dir, 'reordered.log');
    writeFileSync(path, lines.join('\n'));
    const { events } = await classifyRecordedLog(path, {});
    expect(events.filter((e) => e.useCase === 'view-delete').map((e) => e.command)).toEqual(['DROP VIEW']);
  });
});

// fixtures/record-story.mjs recorded the same story from PostgreSQL 18 (stderr, csvlog, jsonlog) and 15 (csvlog, jsonlog,
// pgaudit).
describe.each(['story-pg18.log', 'story-pg18.csv', 'story-pg18.json', 'story-pg15.csv', 'story-pg15.json', 'story-pgaudit-pg15.log'])('the story recorded in %s', (name) => {
  const path = fileURLToPath(new URL(`../../fixtures/logs/activity/${name}`, import.meta.url));

  it("gives the same severities and mallory's incident, whatever the format or the source", async () => {
    const { events } = await classifyRecordedLog(path, {});
    expect(events.filter((e) => e.user === 'mallory').map((e) => [e.command, e.severity, e.application])).toEqual([
      ['SET ROLE', 'medium', 'pgAdmin 4 - CONN:4242'],
      ['TRUNCATE TABLE', 'critical', 'pgAdmin 4 - CONN:4242'],
      ['COPY TO', 'critical', 'pgAdmin 4 - CONN:4242'],
      ['CREATE EXTENSION', 'medium', 'pgAdmin 4 - CONN:4242'],
      ['CREATE FOREIGN SERVER', 'high', 'pgAdmin 4 - CONN:4242'],
      ['CREATE USER MAPPING', 'medium', 'pgAdmin 4 - CONN:4242'],
      ['ALTER SYSTEM', 'critical', 'pgAdmin 4 - CONN:4242'],
    ]);
    expect(events.filter((e) => e.application === 'billing-api')).toEqual([]);
    const { out } = await runOn(path, '--format', 'json');
    const incident = (JSON.parse(out) as Report).findings.find((f) => f.checkId === 'activity.incident' && f.resource?.startsWith('mallory'));
    expect(incident?.evidence.map((row) => row.act).at(-1)).toBe("ALTER SYSTEM SET log_statement = 'none'");
    expect(incident?.title).toMatch(/^mallory@postgres: 7 alerts within a minute: SET ROLE postgres → /);
    expect(out).not.toMatch(/hunter2|mallory-pw|fdw-secret-pw/);
  });
});
