import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from './helpers/cli.js';

const LOG = fileURLToPath(new URL('../fixtures/logs/rds-prefix-pg15.log', import.meta.url));

describe('start-up', () => {
  // node-postgres is loaded on first use (src/sources/node-postgres.ts): a run that never connects is spared it.
  const loadsNodePostgres = async (args: string[]) => {
    const dir = mkdtempSync(join(tmpdir(), 'dbsec-startup-'));
    try {
      const hook = join(dir, 'hook.cjs');
      writeFileSync(hook, `process.on('exit', () => require('fs').writeSync(2, 'node-postgres loaded: ' + Object.keys(require.cache).some((k) => /node_modules\\/pg\\/lib\\/index\\.js$/.test(k)) + '\\n'));\n`);
      const run = await runCli(args, { PATH: process.env.PATH!, HOME: dir, NO_COLOR: '1', NODE_OPTIONS: `--require ${hook}` });
      return /node-postgres loaded: (true|false)/.exec(run.stderr)?.[1];
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it.each([
    [['daily', '--log-file', LOG, '--since', '3650d', '--format', 'json', '--quiet']],
    [['activity', '--log-file', LOG, '--format', 'jsonl', '--quiet']],
  ])('%j without a database never loads node-postgres', async (args) => {
    expect(await loadsNodePostgres(args)).toBe('false');
  });

  it('loads it for a run that connects', async () => {
    expect(await loadsNodePostgres(['daily', '--database-url', 'postgres://auditor@127.0.0.1:1/app', '--only', 'daily.connections', '--format', 'json', '--quiet'])).toBe('true');
  });
});
