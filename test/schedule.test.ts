import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../src/cli.js';
import { bufferIo } from './helpers/io.js';

/** Failed logins recorded from PostgreSQL 18 with RDS's prefix (2026-11-22 21:43 UTC); the clock is pinned after them. */
const LOG = fileURLToPath(new URL('../fixtures/logs/rds-prefix-pg18.log', import.meta.url));
const AT = new Date('2026-11-22T23:00:00Z');
const HOUR = 3_600_000;

async function run(args: string[], at = AT) {
  const io = bufferIo(at, process.env);
  const code = await main(['node', 'dbsec', ...args], io);
  return { code, out: io.out(), err: io.err() };
}

describe('dbsec schedule', () => {
  it('prints crontab lines that sh runs with every argument intact, cron\'s % escaped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dbsec schedule-'));
    // A stand-in for dbsec that prints the arguments it was given.
    const bin = join(dir, 'print args');
    writeFileSync(bin, `#!${process.execPath}\nprocess.stdout.write(JSON.stringify(process.argv.slice(2)));\n`);
    chmodSync(bin, 0o755);
    const config = join(dir, "it's config.yaml");
    const notify = 'https://hooks.example.com/x?a=1&b=50%off';
    const { code, out } = await run(['schedule', '--cron', '--bin', bin, '-c', config, '--state', join(dir, 'state'), '--notify', notify, '--fail-on', 'monitor']);
    expect(code).toBe(0);
    const jobs = out.split('\n').filter((line) => /^\d/.test(line));
    expect(jobs.map((line) => line.split('  ')[0])).toEqual(['15 6 * * *', '30 6 * * 1', '45 6 1 * *']);
    for (const [i, cadence] of ['daily', 'weekly', 'monthly'].entries()) {
      const command = jobs[i]!.slice(jobs[i]!.indexOf('  ') + 2);
      expect(command).toContain('50\\%off');
      // what cron does with the line: "\%" becomes "%", and sh runs the rest
      const args = JSON.parse(execFileSync('/bin/sh', ['-c', command.replace(/\\%/g, '%')], { encoding: 'utf8' }));
      expect(args).toEqual([cadence, '-c', config, '--state', join(dir, 'state'), '--quiet', '--notify', notify, '--fail-on', 'monitor']);
    }
  });

  it('prints systemd service and timer units, and a service for activity --follow', async () => {
    const { out } = await run(['schedule', '--systemd', '-c', '/etc/dbsec/my config.yaml', '--user', 'dbsec', '--notify', 'https://h.example.com/%s?$x', '--log-file', '/var/log/postgresql/postgresql.csv']);
    expect(out).toContain('# /etc/systemd/system/dbsec-weekly.timer\n[Unit]\nDescription=Run the dbsec weekly security review\n\n[Timer]\nOnCalendar=Mon *-*-* 06:30:00\n');
    expect(out).toContain('ExecStart=dbsec daily -c "/etc/dbsec/my config.yaml" --state /var/lib/dbsec --quiet --notify https://h.example.com/%%s?$$x\n');
    expect(out).toContain('# /etc/systemd/system/dbsec-activity.service\n');
    expect(out).toContain('ExecStart=dbsec activity --log-file /var/log/postgresql/postgresql.csv --follow --format jsonl -c "/etc/dbsec/my config.yaml" --notify https://h.example.com/%%s?$$x\nRestart=on-failure');
    expect(out).toMatch(/User=dbsec\n/);
    expect(out.trimEnd().split('\n').at(-1)).toBe('# then: systemctl daemon-reload && systemctl enable --now dbsec-daily.timer dbsec-weekly.timer dbsec-monthly.timer dbsec-activity.service');
  });

  it('status: says when each review last ran from the kept reports, and which is overdue', async () => {
    const state = mkdtempSync(join(tmpdir(), 'dbsec-state-'));
    for (const cadence of ['daily', 'weekly']) await run([cadence, '--log-file', LOG, '--state', state, '--format', 'json', '--only', cadence === 'daily' ? 'daily.failed-auth' : 'weekly.ddl-statements']);
    const soon = await run(['schedule', 'status', state], new Date(AT.getTime() + HOUR));
    expect(soon.code).toBe(1);
    const lines = soon.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^daily {4}last ran 2026-11-22T23:00:0\d\.\d{3}Z \(target-1\), next due by 2026-11-24T05:00:0\d\.\d{3}Z {2}on time$/);
    expect(lines[2]).toMatch(/^monthly {2}never ran \(no report kept in .*\) {2}OVERDUE$/);
    const later = await run(['schedule', 'status', state], new Date(AT.getTime() + 40 * HOUR));
    expect(later.out.split('\n')[0]).toMatch(/ {2}OVERDUE$/);
    expect((await run(['schedule', 'status', join(state, 'missing')])).code).toBe(2);
  });
});
