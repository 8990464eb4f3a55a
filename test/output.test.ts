import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The launcher as a user runs it, with the standard streams as the test wires them. */
const BIN = fileURLToPath(new URL('../bin/dbsec', import.meta.url));
const LOG = fileURLToPath(new URL('../fixtures/logs/activity/activity-stderr-pg18.log', import.meta.url));

function run(args: string[], stdout: 'pipe' | number, onData?: (child: ReturnType<typeof spawn>) => void): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', stdout, 'pipe'], env: { PATH: process.env.PATH!, HOME: '/tmp' } });
    let out = '';
    let err = '';
    child.stdout?.on('data', (chunk) => {
      out += chunk;
      onData?.(child);
    });
    child.stdout?.on('error', () => undefined);
    child.stderr!.on('data', (chunk) => (err += chunk));
    child.on('close', (code) => resolve({ code, stdout: out, stderr: err }));
  });
}

describe('output that is never lost or torn', () => {
  it('ends quietly with 0 when the reader of stdout goes away (| head -1)', async () => {
    const result = await run(['activity', '--log-file', LOG, '--format', 'jsonl', '--events'], 'pipe', (child) => child.stdout!.destroy());
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
  });

  it('says in one sentence, with exit 2, that stdout could not be written (a full disk)', async () => {
    const result = await run(['checks', '--format', 'json'], openSync('/dev/full', 'w'));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^dbsec: cannot write to standard output: .*ENOSPC.*; check where it goes \(a full disk\?\)\.\n$/);
  });

  it('puts the report on stdout when -o cannot be written, and exits 2', async () => {
    const result = await run(['activity', '--log-file', LOG, '--format', 'json', '-o', '/nonexistent-dir/report.json'], 'pipe');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^dbsec: Cannot write \/nonexistent-dir\/report\.json: .*; check -o\/--output\. The report follows on standard output\.\n$/);
    expect(JSON.parse(result.stdout)).toMatchObject({ schemaVersion: 1, command: 'activity' });
  });

  it('with -o and --quiet, prints one line when the exit code is not 0, so cron mails it, and nothing when it is', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dbsec-quiet-'));
    try {
      const out = join(dir, 'activity.md');
      const found = await run(['activity', '--log-file', LOG, '--format', 'markdown', '-o', out, '--quiet'], 'pipe');
      expect(found.code).toBe(1);
      expect(found.stdout).toMatch(new RegExp(`^activity: \\d+ investigate, \\d+ monitor, 1 ok, 0 skipped, 0 error \\(window .+\\); the report is in ${out}\\n$`));
      expect(readFileSync(out, 'utf8')).toMatch(/^# dbsec activity: 2026-11-22\n/);
      const clean = await run(['activity', '--log-file', LOG, '--format', 'markdown', '-o', out, '--quiet', '--fail-on', 'never'], 'pipe');
      expect([clean.code, clean.stdout]).toEqual([0, '']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
