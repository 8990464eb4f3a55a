import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { main } from '../src/cli.js';
import { bufferIo } from './helpers/io.js';

/**
 * The README's CI recipes, run as written: their dbsec command (in-process, the clock pinned to the recording) over a
 * recorded log of eight failed logins (fixtures/record-logs.mjs, 2026-11-22 ~21:43 UTC), then what their next step
 * reads: the SARIF file code scanning uploads, the JUnit file GitLab collects, the jq line run by jq.
 */
const README = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
const LOG = fileURLToPath(new URL('../fixtures/logs/rds-prefix-pg18.log', import.meta.url));
const AT = new Date('2026-11-22T22:00:00Z');
const dir = mkdtempSync(join(tmpdir(), 'dbsec-recipes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// The recipes' dbsec.yaml: one target, the recorded log.
writeFileSync(join(dir, 'dbsec.yaml'), stringify({ targets: [{ name: 'prod', logFiles: [LOG], logLinePrefix: '%t:%r:%u@%d:[%p]:' }] }));

function block(language: string, firstLine: string): string {
  const found = [...README.matchAll(new RegExp('```' + language + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!).find((b) => b.startsWith(firstLine));
  if (!found) throw new Error(`README has no ${language} block starting "${firstLine}"`);
  return found;
}

/**
 * A recipe's dbsec command, run in the recipe's directory: its relative file paths are the directory's files, and its
 * absolute ones (/etc/dbsec.yaml, /var/log/dbsec/…) are the same paths under the directory.
 */
async function runDbsec(command: string, at = AT): Promise<{ code: number; out: string; err: string }> {
  expect(command).not.toMatch(/["'`$]/);
  const [name, ...args] = command.trim().split(/\s+/);
  expect(name).toBe('dbsec');
  const io = bufferIo(at, { ...process.env, COLUMNS: '100' });
  const local = (arg: string, i: number) => (isAbsolute(arg) ? join(dir, arg) : ['-c', '-o', '--state'].includes(args[i - 1]!) ? join(dir, arg) : arg);
  const code = await main(['node', 'dbsec', ...args.map(local)], io);
  return { code, out: io.out(), err: io.err() };
}

/** The command of each crontab line in the README's cron blocks, as cron hands it to the shell. */
function cronCommands(): string[] {
  return [...README.matchAll(/```cron\n([\s\S]*?)```/g)]
    .flatMap((m) => m[1]!.split('\n'))
    .filter((line) => line.trim() && !line.startsWith('#'))
    .map((line) => line.trim().split(/\s+/).slice(5).join(' '));
}

describe("the README's cron recipes", () => {
  const [daily, weekly] = cronCommands();
  const config = (checks: Record<string, unknown> = {}, log = LOG) => writeFileSync(join(dir, 'etc', 'dbsec.yaml'), stringify({ targets: [{ name: 'prod', logFiles: [log], logLinePrefix: '%t:%r:%u@%d:[%p]:' }], checks }));
  mkdirSync(join(dir, 'etc'));
  mkdirSync(join(dir, 'var', 'log', 'dbsec'), { recursive: true });

  it('daily: silent when all is well, one line (which cron mails) when not, the Markdown entry written either way', async () => {
    // cron turns \% into %, the shell $(date +%F) into the day
    const command = daily!.replace('$(date +\\%F)', '2026-11-22');
    const entry = join(dir, 'var', 'log', 'dbsec', 'daily-2026-11-22.md');
    config();
    const calm = await runDbsec(command);
    expect([calm.code, calm.out, calm.err]).toEqual([0, '', '']);
    expect(readFileSync(entry, 'utf8')).toMatch(/^# dbsec daily: 2026-11-22\n/);
    config({ 'daily.failed-auth': { monitorAbove: 2, investigateAbove: 5 } });
    const alarmed = await runDbsec(command);
    expect(alarmed.code).toBe(1);
    expect(alarmed.out).toMatch(new RegExp(`^daily: 1 investigate, 0 monitor, 0 ok, 5 skipped, 0 error \\(window [^)]+\\); the report is in ${entry}\\n$`));
  });

  it('weekly with --state: the first run fails on every problem, the next only on new ones', async () => {
    // the story's TRUNCATE of audit_log (fixtures/record-story.mjs, 2026-11-30 ~17:15 UTC)
    config({}, fileURLToPath(new URL('../fixtures/logs/activity/story-pg18.log', import.meta.url)));
    const at = new Date('2026-11-30T23:00:00Z');
    const first = await runDbsec(weekly!, at);
    expect(first.code).toBe(1);
    expect(first.out).toMatch(/^weekly: 1 investigate, .*; the report is in .*weekly\.md\n$/);
    const second = await runDbsec(weekly!, at);
    expect([second.code, second.out]).toEqual([0, '']);
    expect(readdirSync(join(dir, 'var', 'lib', 'dbsec'))).toEqual([expect.stringMatching(/^weekly-prod-[0-9a-f]{8}\.json$/)]);
  });
});

describe("the README's CI recipes", () => {
  it('GitHub Actions: the dbsec step passes on findings and writes the SARIF file the upload step sends', async () => {
    const workflow = parse(block('yaml', '# .github/workflows/dbsec.yml'));
    const steps = workflow.jobs.daily.steps as Array<Record<string, any>>;
    const run = steps.find((step) => String(step.run ?? '').startsWith('dbsec '))!.run as string;
    const [command, fallback] = run.split(' || ');
    const { code } = await runDbsec(command!);
    // `|| [ $? -eq 1 ]`: findings (1) keep the job going so the upload runs; 2 and 3 fail it
    expect(fallback).toBe('[ $? -eq 1 ]');
    expect([0, 1]).toContain(code);
    const upload = steps.find((step) => String(step.uses ?? '').startsWith('github/codeql-action/upload-sarif'))!;
    expect(workflow.permissions['security-events']).toBe('write');
    const sarif = JSON.parse(readFileSync(join(dir, upload.with.sarif_file), 'utf8'));
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0].results.map((r: any) => [r.ruleId, r.level])).toEqual([['daily.failed-auth', 'warning']]);
  });

  it('GitLab CI: the dbsec line fails the job at --fail-on monitor and leaves the JUnit report GitLab collects', async () => {
    const pipeline = parse(block('yaml', '# .gitlab-ci.yml'));
    const job = pipeline['dbsec-daily'];
    const line = (job.script as string[]).find((l) => l.startsWith('dbsec '))!;
    const { code } = await runDbsec(line);
    expect(code).toBe(1);
    expect(job.artifacts.when).toBe('always');
    const junit = readFileSync(join(dir, job.artifacts.reports.junit), 'utf8');
    expect(junit).toMatch(/<testsuite name="prod" tests="6" failures="1" errors="0" skipped="5"/);
    expect(junit).toMatch(/name="daily\.failed-auth" time="0">\n {6}<failure type="monitor"/);
  });

  it('shell: the JSON goes to daily.json and the jq line lists the problems', async () => {
    const [first, jqLine, last] = block('sh', 'dbsec daily -c dbsec.yaml --format json > daily.json').trim().split('\n');
    const [command, redirect] = first!.split('; ')[0]!.split(' > ');
    const { code, out } = await runDbsec(command!);
    writeFileSync(join(dir, redirect!), out);
    expect(last).toBe('exit $code');
    expect(code).toBe(0);
    const jq = spawnSync('sh', ['-c', jqLine!], { cwd: dir, encoding: 'utf8' });
    expect(jq.stderr).toBe('');
    expect(jq.stdout).toBe(`monitor daily.failed-auth ${LOG}: 8 failed connection attempts\n`);
    expect(existsSync(join(dir, 'daily.json'))).toBe(true);
  });
});
