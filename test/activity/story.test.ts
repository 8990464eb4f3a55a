import { beforeAll, describe, expect, it } from 'vitest';
import { loadModule } from 'libpg-query';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli.js';
import type { ActivityEvent } from '../../src/activity/monitor.js';
import { severityOf, type SeverityFacts } from '../../src/activity/severity.js';
import type { Report } from '../../src/report.js';
import { bufferIo } from '../helpers/io.js';
import { classifyRecordedLog } from '../helpers/classify-log.js';

beforeAll(() => loadModule());

/** fixtures/record-story.mjs: benign traffic, then the DBA's grants to mallory and mallory's chain (log_statement = all). */
const STORY = fileURLToPath(new URL('../../fixtures/logs/activity/story-pg18.log', import.meta.url));
/** The recording's day: the runs happen just after it. */
const AFTER_RECORDING = new Date('2026-11-30T17:00:00Z');

async function run(...flags: string[]) {
  const io = bufferIo(AFTER_RECORDING);
  const code = await main(['node', 'dbsec', 'activity', '--log-file', STORY, ...flags], io);
  return { code, out: io.out(), err: io.err() };
}

const act = (e: ActivityEvent) => [e.user, e.command, e.objects.join(','), e.severity, e.alert?.status ?? null];

describe('severity on the recorded story', () => {
  it('ranks what blinds or owns the server critical, a REVOKE and a power taken away low, benign traffic nothing', async () => {
    const { events } = await classifyRecordedLog(STORY, {});
    expect(events.filter((e) => e.user === 'mallory').map(act)).toEqual([
      ['mallory', 'SET ROLE', 'postgres', 'medium', 'investigate'],
      ['mallory', 'TRUNCATE TABLE', 'audit_log', 'critical', 'investigate'],
      ['mallory', 'COPY TO', '(query)', 'critical', 'investigate'],
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
    expect(kept.map((f) => f.severity)).toEqual(['critical', 'critical', 'critical', 'critical', 'high']);
    expect(kept.length).toBeLessThan(alerts.length);
    expect((await run('--min-severity', 'severe')).err).toMatch(/option '--min-severity <level>' argument 'severe' is invalid/);
  });

  it("tells mallory's chain as one incident, in order, before the alerts it groups", async () => {
    const { code, out } = await run('--format', 'json');
    expect(code).toBe(1);
    const findings = (JSON.parse(out) as Report).findings;
    const incident = findings.find((f) => f.checkId === 'activity.incident' && f.resource?.startsWith('mallory'))!;
    expect(incident).toMatchObject({ status: 'investigate', severity: 'critical' });
    expect(incident.title).toBe("mallory@postgres: 4 alerts within a minute: SET ROLE postgres → TRUNCATE TABLE audit_log → COPY (query) TO PROGRAM cat > /dev/null → ALTER SYSTEM SET log_statement = 'none'");
    expect(incident.evidence.map((row) => row.useCase)).toEqual(['privileged-operation', 'truncate', 'data-exfiltration', 'privileged-operation']);
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

  it('keeps the password of the support ticket and of CREATE ROLE out of every output', async () => {
    for (const format of ['jsonl', 'markdown', 'table']) {
      const { out } = await run('--format', format, '--events');
      expect(out).not.toMatch(/hunter2|mallory-pw/);
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
    ['a grant to PUBLIC', { command: 'GRANT', notes: ['GRANT SELECT ON t TO app, PUBLIC'] }, 'high'],
    ['a plain grant', { command: 'GRANT', notes: ['GRANT SELECT ON t TO app'] }, 'medium'],
    ['CREATEROLE granted', { command: 'ALTER ROLE', highRisk: true, notes: ['CREATEROLE'] }, 'high'],
    ['a refused SUPERUSER grant', { command: 'ALTER ROLE', highRisk: true, notes: ['SUPERUSER'], outcome: 'failed' }, 'high'],
    ['COPY TO STDOUT by an application', { useCase: 'data-exfiltration', command: 'COPY TO', notes: ['COPY TO STDOUT'], application: 'etl' }, 'medium'],
    ['COPY TO STDOUT by a person', { useCase: 'data-exfiltration', command: 'COPY TO', notes: ['COPY TO STDOUT'], application: 'psql' }, 'high'],
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
});
