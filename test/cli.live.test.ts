import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { ROLES, createRoles, failLogins, holdSessions } from '../src/sandbox/pg-scenario.js';
import { SANDBOX_INSTANCE, sandboxAwsEnv, sandboxEndpoint } from '../src/sandbox/aws-scenario.js';
import type { AwsEndpoint } from '../src/sandbox/aws-endpoint.js';
import { servers, sql } from './helpers/servers.js';
import { writeQuietLog } from './helpers/quiet-log.js';

const BIN = new URL('../bin/dbsec', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'dbsec-cli-'));
const [server] = servers();
let endpoint: AwsEndpoint;
let awsEnv: Record<string, string>;
let release: () => Promise<void>;
const databaseUrl = server!.url({ user: ROLES.auditor.name, password: ROLES.auditor.password, ssl: true });

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI as a user would, in a clean environment. */
function dbsec(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH!, HOME: dir, AWS_EC2_METADATA_DISABLED: 'true', ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  await createRoles(server!);
  await failLogins(server!, 3);
  release = await holdSessions(server!, { longRunningQuery: true });
  endpoint = sandboxEndpoint({ now: new Date(), logFile: server!.logFile });
  const url = await endpoint.start();
  awsEnv = { ...sandboxAwsEnv(url), AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', AWS_CONFIG_FILE: '/nonexistent' };
  await new Promise((resolve) => setTimeout(resolve, 1200));
});

afterAll(async () => {
  await release();
  await endpoint.stop();
  rmSync(dir, { recursive: true, force: true });
});

const daily = (extra: string[] = []) => ['daily', '--database-url', databaseUrl, '--rds-instance', SANDBOX_INSTANCE, ...extra];

describe('dbsec daily end to end', () => {
  it('prints JSON that validates against the shipped schema, and exits 1 on investigate findings', async () => {
    const run = await dbsec(daily(['--format', 'json']), awsEnv);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('');
    const report = JSON.parse(run.stdout);
    const ajv = new Ajv({ allErrors: true, strict: false });
    const validate = ajv.compile(JSON.parse(readFileSync(new URL('../schema/report.schema.json', import.meta.url), 'utf8')));
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    expect(new Set(report.findings.map((f: { checkId: string }) => f.checkId))).toEqual(
      new Set(['daily.cloudwatch-alarms', 'daily.failed-auth', 'daily.connections', 'daily.long-running-queries', 'daily.cloudtrail-rds-changes', 'daily.cpu']),
    );
    expect(report.targets[0].database).toContain(':***@');
    expect(run.stdout).not.toContain(ROLES.auditor.password);
  });

  it('exits 0 with --fail-on never, and 1 with --fail-on monitor', async () => {
    expect((await dbsec(daily(['--fail-on', 'never', '--quiet']), awsEnv)).code).toBe(0);
    expect((await dbsec(['daily', '--database-url', databaseUrl, '--fail-on', 'monitor', '-c', writeConfig('thresholds.yaml', 'checks:\n  daily.long-running-queries:\n    minDuration: 1h\n  daily.connections:\n    monitorAtPercent: 0\n')])).code).toBe(1);
  });

  it('writes Markdown to --output and still shows the table', async () => {
    const out = join(dir, 'daily.md');
    const run = await dbsec(daily(['--format', 'markdown', '--output', out, '--no-color']), awsEnv);
    expect(run.stdout).toMatch(/^daily: \d+ investigate, \d+ monitor, /);
    expect(run.stdout).toMatch(/^INVESTIGATE {2}daily\./m);
    const markdown = readFileSync(out, 'utf8');
    expect(markdown).toMatch(/^# dbsec daily: \d{4}-\d{2}-\d{2}/);
    expect(markdown).toContain('| Status | Check | Target | Finding |');
  });

  it('prints no colour codes with NO_COLOR, even when forced', async () => {
    const run = await dbsec(daily(), { ...awsEnv, FORCE_COLOR: '1', NO_COLOR: '1' });
    expect(run.stdout).not.toMatch(/\x1b\[/);
    const coloured = await dbsec(daily(), { ...awsEnv, FORCE_COLOR: '1' });
    expect(coloured.stdout).toMatch(/\x1b\[/);
  });

  it('runs self-hosted with no AWS at all: AWS checks skipped with the flag to add, exit 0 when nothing else is found', async () => {
    const log = join(dir, 'empty.log');
    writeQuietLog(log);
    const run = await dbsec(['daily', '--database-url', databaseUrl, '--log-file', log, '--format', 'json', '-c', writeConfig('calm.yaml', 'checks:\n  daily.long-running-queries:\n    minDuration: 1h\n')]);
    const report = JSON.parse(run.stdout);
    const skipped = report.findings.filter((f: { status: string }) => f.status === 'skipped');
    expect(skipped.map((f: { checkId: string }) => f.checkId).sort()).toEqual(['daily.cloudtrail-rds-changes', 'daily.cloudwatch-alarms', 'daily.cpu']);
    expect(skipped[0].summary).toContain('--rds-instance');
    expect(report.findings.find((f: { checkId: string }) => f.checkId === 'daily.failed-auth').status).toBe('ok');
    expect(run.code).toBe(0);
  });

  it('exits 3 when some checks error and the rest are clean, and 2 when nothing is reachable', async () => {
    const some = await dbsec(['daily', '--database-url', databaseUrl, '--rds-instance', SANDBOX_INSTANCE, '--fail-on', 'never', '--quiet'], { ...awsEnv, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' });
    expect(some.code).toBe(3);
    const none = await dbsec(['daily', '--database-url', 'postgres://auditor:topsecret@127.0.0.1:1/app']);
    expect(none.code).toBe(2);
    expect(none.stdout).toContain('connection refused');
    expect(none.stdout + none.stderr).not.toContain('topsecret');
    expect(none.stdout + none.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('bad input', () => {
  it('a wrong flag exits 2 with commander’s sentence', async () => {
    const run = await dbsec(['daily', '--frmat', 'json']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unknown option '--frmat'/);
  });

  it('a bad --format, --since or --fail-on exits 2', async () => {
    expect((await dbsec(['daily', '--format', 'xml'])).code).toBe(2);
    const since = await dbsec(['daily', '--since', 'yesterday']);
    expect(since.code).toBe(2);
    expect(since.stderr).toMatch(/^dbsec: --since "yesterday" is neither a duration/);
  });

  it('a malformed or missing config exits 2 before anything runs', async () => {
    const bad = await dbsec(['daily', '-c', writeConfig('bad.yaml', 'checks:\n  daily.cpu:\n    monitorAbove: [\n')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^dbsec: Config file .*bad\.yaml .*is not valid YAML/);
    const missing = await dbsec(['daily', '-c', join(dir, 'nope.yaml')]);
    expect(missing.stderr).toMatch(/Cannot read config file .*nope\.yaml: no such file; check the --config path\./);
  });
});

describe('other commands', () => {
  it('dbsec weekly runs the weekly checks built so far over a 7-day window, and says when the logs are blind', async () => {
    const quiet = join(dir, 'weekly.log');
    writeQuietLog(quiet);
    const run = await dbsec(['weekly', '--database-url', databaseUrl, '--log-file', quiet, '--format', 'json']);
    const report = JSON.parse(run.stdout);
    expect(report.command).toBe('weekly');
    expect(run.stderr).toBe('');
    expect(Date.parse(report.window.to) - Date.parse(report.window.from)).toBe(7 * 86400_000);
    expect(new Set(report.findings.map((f: { checkId: string }) => f.checkId))).toEqual(new Set(['weekly.backups', 'weekly.db-users', 'weekly.ddl-statements', 'weekly.query-patterns', 'weekly.security-groups', 'weekly.table-privileges']));
    expect(report.findings.find((f: { checkId: string }) => f.checkId === 'weekly.security-groups').status).toBe('skipped');
    // the test server runs with log_statement = none: the DDL review says it is blind, and the exit code is 3
    expect(report.findings.find((f: { checkId: string }) => f.checkId === 'weekly.ddl-statements').status).toBe('error');
    expect(run.code).toBe(3);
  });

  it('dbsec monthly runs every monthly check over 30 days and saves the instance configuration with --save-config', async () => {
    const saveDir = join(dir, 'audit');
    const run = await dbsec(['monthly', '--rds-instance', SANDBOX_INSTANCE, '--database-url', databaseUrl, '--format', 'json', '--save-config', saveDir], awsEnv);
    const report = JSON.parse(run.stdout);
    expect(Date.parse(report.window.to) - Date.parse(report.window.from)).toBe(30 * 86400_000);
    expect(new Set(report.findings.map((f: { checkId: string }) => f.checkId))).toEqual(
      new Set(['monthly.access-control', 'monthly.alarm-coverage', 'monthly.aurora-cluster', 'monthly.catalog-grants', 'monthly.compliance', 'monthly.encryption', 'monthly.event-subscriptions', 'monthly.instance-config', 'monthly.lifecycle', 'monthly.log-summary', 'monthly.logging-config', 'monthly.network', 'monthly.parameter-drift']),
    );
    expect(report.findings.find((f: { checkId: string }) => f.checkId === 'monthly.alarm-coverage').status).toBe('investigate');
    // Named by the run's own clock (its report's startedAt), so the test cannot disagree with it across midnight.
    const file = join(saveDir, `rds-config-${SANDBOX_INSTANCE}-${report.startedAt.slice(0, 10).replace(/-/g, '')}.json`);
    expect(run.stderr).toBe(`dbsec: ${SANDBOX_INSTANCE}: saved the instance configuration to ${file}.\n`);
    expect(JSON.parse(readFileSync(file, 'utf8')).DBInstances[0]).toMatchObject({ DBInstanceIdentifier: SANDBOX_INSTANCE, StorageEncrypted: true });
    expect(run.code).toBe(1);
  });

  it('dbsec weekly --reset-stats is a dry run without --execute, needs the privilege with it, and resets as superuser', async () => {
    await sql(server!, 'CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    const quiet = join(dir, 'reset.log');
    writeQuietLog(quiet);
    const weekly = (url: string, extra: string[]) => dbsec(['weekly', '--database-url', url, '--log-file', quiet, '--format', 'json', '--reset-stats', ...extra]);
    const dry = await weekly(databaseUrl, []);
    expect(dry.stderr).toMatch(/: dry run: would run SELECT pg_stat_statements_reset\(\) after this review; add --execute/);
    const denied = await weekly(databaseUrl, ['--execute', '--fail-on', 'never']);
    expect(denied.stderr).toMatch(/reset-stats failed: .*permission denied.*GRANT EXECUTE ON FUNCTION pg_stat_statements_reset/);
    expect(denied.code).toBe(3);
    await sql(server!, "SELECT 'dbsec reset marker'");
    const done = await weekly(server!.url(), ['--execute']);
    expect(done.stderr).toMatch(/: reset pg_stat_statements\.\n$/);
    const left = await sql(server!, "SELECT count(*)::int AS n FROM pg_stat_statements WHERE query LIKE '%dbsec reset marker%'");
    expect(left.rows[0].n).toBe(0);
  });

  it('dbsec report compliance runs the monthly checks over the month and writes the runbook report', async () => {
    const month = new Date().toISOString().slice(0, 7);
    const run = await dbsec(['report', 'compliance', '--rds-instance', SANDBOX_INSTANCE, '--database-url', databaseUrl, '--month', month], awsEnv);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const headings = run.stdout.split('\n').filter((line) => line.startsWith('## '));
    expect(headings).toEqual(['## 1. Security Configuration Status', '## 2. Access Control', '## 3. Monitoring & Logging', '## 4. Incidents & Anomalies', '## 5. Maintenance Activities', '## 6. Compliance Status']);
    expect(run.stdout).toContain(`# Database Security Compliance Report: ${month}`);
    expect(run.stdout).toMatch(/\| `monthly.alarm-coverage` \| ✗ non-compliant \| 🔴 No alarm on FreeableMemory/);
    expect(run.stdout).toMatch(/\| `monthly.encryption` \| ✓ compliant \|/);
    expect(run.stdout).toMatch(/### Remediation items\n\n(?:.+\n)*\d+\. `monthly.alarm-coverage`/);
    // The configuration baseline's items are controls of the report too.
    expect(run.stdout).toMatch(/\| `config.tls.ssl` \| ✓ compliant \|/);
    expect(run.stdout).toMatch(/## 3\. Monitoring & Logging[\s\S]*\| `config.log.connections` \|/);
    expect(run.stdout).toContain('AWS Config: AWS Config rule rds-logging-enabled is NON\\_COMPLIANT');
  });

  it('dbsec report compliance --from builds the report offline from saved JSON reports of the month, latest first', async () => {
    const saved = async (name: string, args: string[]) => {
      const path = join(dir, name);
      await dbsec([...args, '--format', 'json', '-o', path, '--quiet'], awsEnv);
      return path;
    };
    const daily = await saved('daily.json', ['daily', '--database-url', databaseUrl, '--rds-instance', SANDBOX_INSTANCE]);
    const monthly = await saved('monthly.json', ['monthly', '--database-url', databaseUrl, '--rds-instance', SANDBOX_INSTANCE]);
    const old = join(dir, 'old.json');
    const oldReport = JSON.parse(readFileSync(daily, 'utf8'));
    writeFileSync(old, JSON.stringify({ ...oldReport, window: { from: '2020-01-01T00:00:00Z', to: '2020-01-02T00:00:00Z' } }));
    const out = join(dir, 'compliance.md');
    const run = await dbsec(['report', 'compliance', '--from', daily, monthly, old, '-o', out]);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/wrote the \d{4}-\d{2} compliance report to /);
    const text = readFileSync(out, 'utf8');
    expect(text).toContain('from 2 reports:');
    expect(text).toMatch(/\| `daily.failed-auth` \|/);
    expect(text).toMatch(/\| `monthly.network` \| ✓ compliant \|/);
  });

  it('dbsec report compliance refuses a foreign file, a missing file and a bad month in one sentence (exit 2)', async () => {
    const foreign = writeConfig('foreign.json', JSON.stringify({ hello: 'world' }));
    const cases: Array<[string[], RegExp]> = [
      [['--from', foreign], /foreign.json is not a dbsec JSON report \(schemaVersion 1\): schemaVersion: /],
      [['--from', join(dir, 'nope.json')], /Cannot read the report .*nope.json: no such file; check --from\./],
      [['--month', '2026-13'], /--month "2026-13" is not a month: use YYYY-MM/],
    ];
    for (const [args, message] of cases) {
      const run = await dbsec(['report', 'compliance', ...args]);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('dbsec evidence collect writes every item and a manifest that sha256sum and evidence verify accept; verify finds tampering', async () => {
    const out = join(dir, 'evidence-full');
    const run = await dbsec(['evidence', 'collect', '--rds-instance', SANDBOX_INSTANCE, '--database-url', databaseUrl, '-o', out], awsEnv);
    expect(run.code).toBe(0);
    expect(run.stdout.match(/^  collected /gm)).toHaveLength(7);
    const manifest = readFileSync(join(out, 'MANIFEST.sha256'), 'utf8');
    expect(manifest.trim().split('\n').map((line) => line.split('  ')[1])).toEqual([
      'audit-cloudtrail-rds-events.json', 'audit-kms-config.json', 'audit-privileges.json', 'audit-rds-config.json', 'audit-roles.json', 'audit-sample-logs.json', 'audit-security-groups.json', 'collection.json',
    ]);
    const sums = await new Promise<string>((resolve) => execFile('sha256sum', ['-c', 'MANIFEST.sha256'], { cwd: out }, (_err, stdout) => resolve(stdout)));
    expect(sums.match(/: OK$/gm)).toHaveLength(8);
    expect(JSON.parse(readFileSync(join(out, 'audit-roles.json'), 'utf8')).roles.map((r: { name: string }) => r.name)).toContain(ROLES.app.name);
    expect(readFileSync(join(out, 'audit-sample-logs.json'), 'utf8')).not.toContain(ROLES.app.password);

    expect((await dbsec(['evidence', 'verify', out])).code).toBe(0);
    writeFileSync(join(out, 'audit-roles.json'), '{"roles": []}\n');
    rmSync(join(out, 'audit-kms-config.json'));
    writeFileSync(join(out, 'planted.json'), '{}');
    const verify = await dbsec(['evidence', 'verify', out]);
    expect(verify.code).toBe(1);
    expect(verify.stdout).toBe('CHANGED  audit-roles.json\nMISSING  audit-kms-config.json\nADDED    planted.json\nNOT OK: 6 files unchanged, 1 changed, 1 missing, 1 added, 0 tampered (' + join(out, 'MANIFEST.sha256') + ').\n');
    const again = await dbsec(['evidence', 'collect', '--rds-instance', SANDBOX_INSTANCE, '-o', out], awsEnv);
    expect(again).toMatchObject({ code: 2, stderr: expect.stringContaining('evidence is never overwritten') });
  });

  it('dbsec evidence collect keeps a partial collection when an API is denied, lists what is missing and exits 3', async () => {
    const out = join(dir, 'evidence-partial');
    endpoint.inject('DescribeKey', 'access-denied', Infinity);
    try {
      const run = await dbsec(['evidence', 'collect', '--rds-instance', SANDBOX_INSTANCE, '-o', out], awsEnv);
      expect(run.code).toBe(3);
      expect(run.stdout).toMatch(/MISSING {4}audit-kms-config.json {2}.*kms:DescribeKey/);
      // The database items cannot apply to a target without one: not applicable, not missing.
      expect(run.stdout).toMatch(/n\/a {8}audit-roles.json {2}no database configured/);
      const record = JSON.parse(readFileSync(join(out, 'collection.json'), 'utf8'));
      expect(record.items.filter((i: { collected: boolean }) => i.collected).map((i: { file: string }) => i.file)).toEqual([
        'audit-rds-config.json', 'audit-security-groups.json', 'audit-cloudtrail-rds-events.json', 'audit-sample-logs.json',
      ]);
      expect(readFileSync(join(out, 'MANIFEST.sha256'), 'utf8')).not.toContain('audit-kms-config.json');
      expect((await dbsec(['evidence', 'verify', out])).code).toBe(0);
    } finally {
      endpoint.faults.splice(0);
    }
    const none = await dbsec(['evidence', 'verify', join(dir, 'no-such-dir')]);
    expect(none).toMatchObject({ code: 2, stderr: expect.stringContaining('cannot be read: pass the directory') });
  });

  it('dbsec evidence collect seals nothing and leaves no directory when nothing could be collected', async () => {
    const out = join(dir, 'evidence-none');
    const run = await dbsec(['evidence', 'collect', '--database-url', 'postgres://u:pw@127.0.0.1:1/db', '-o', out], { ...awsEnv, AWS_REGION: '' });
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(/^Nothing could be collected for 127\.0\.0\.1:1\/db: no evidence was sealed or kept\.\n/);
    expect(run.stdout).toMatch(/^ {2}MISSING {4}audit-roles\.json {2}Cannot connect to PostgreSQL at u@127\.0\.0\.1:1\/db: connection refused/m);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((name) => name.startsWith('.evidence-none.partial-'))).toEqual([]);
  });

  it('--notify POSTs the summary with a Slack text, retries after a 500, and a failed notification changes nothing', async () => {
    const { createServer } = await import('node:http');
    const received: Array<{ status: number; body: any }> = [];
    let replies = [500, 200];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const status = replies.shift() ?? 404;
        received.push({ status, body: JSON.parse(body) });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const hook = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/services/T000/B000/secret-token`;
    try {
      const run = await dbsec(daily(['--format', 'json', '--notify', hook]), awsEnv);
      expect(run.code).toBe(1);
      expect(run.stderr).toBe('');
      expect(received.map((r) => r.status)).toEqual([500, 200]);
      const payload = received[1]!.body;
      expect(payload.text).toMatch(/^dbsec daily on dbsec-demo-db: \d+ investigate, \d+ monitor, \d+ error\.\n• INVESTIGATE /);
      expect(payload.summary.investigate).toBe(JSON.parse(run.stdout).summary.investigate);
      replies = [404];
      const failed = await dbsec(daily(['--format', 'json', '--notify', hook]), awsEnv);
      expect(failed.code).toBe(1);
      expect(failed.stderr).toBe('dbsec: the notification to http://' + hook.split('/')[2] + '/… failed: HTTP 404; the report itself is unchanged.\n');
      expect(JSON.parse(failed.stdout).command).toBe('daily');
      received.length = 0;
      const quiet = join(dir, 'quiet-activity.log');
      writeQuietLog(quiet);
      expect((await dbsec(['activity', '--log-file', quiet, '--notify', hook, '--format', 'json'])).code).toBe(0);
      expect(received).toEqual([]);
    } finally {
      receiver.close();
    }
  });

  it('dbsec checks --format json lists every check with its defaults', async () => {
    const run = await dbsec(['checks', '--format', 'json']);
    const checks = JSON.parse(run.stdout);
    expect(checks.find((c: { id: string }) => c.id === 'daily.failed-auth').defaults).toEqual({ monitorAbove: 5, investigateAbove: 20, top: 10, insights: true });
  });

  it('--help shows examples and exit codes; --version the version', async () => {
    const help = await dbsec(['daily', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Examples:');
    expect(help.stdout).toContain('Exit codes:');
    expect((await dbsec(['--version'])).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

function writeConfig(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
