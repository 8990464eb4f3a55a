import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/cli.js';
import type { Report } from '../src/report.js';
import { bufferIo } from './helpers/io.js';
import { writeQuietLog } from './helpers/quiet-log.js';

const dir = mkdtempSync(join(tmpdir(), 'dbsec-only-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const log = writeQuietLog(join(dir, 'quiet.log'));

/** dbsec daily on a quiet log alone (no database, no AWS): which checks it ran. */
async function daily(...flags: string[]) {
  const io = bufferIo(new Date(), { PATH: process.env.PATH });
  const code = await main(['node', 'dbsec', 'daily', '--log-file', log, '--format', 'json', ...flags], io);
  return { code, ids: code === 2 ? [] : [...new Set((JSON.parse(io.out()) as Report).findings.map((f) => f.checkId))].sort(), err: io.err() };
}

describe('--only and --exclude', () => {
  it('run only the checks whose id matches, or all but those', async () => {
    expect((await daily('--only', 'daily.failed-auth')).ids).toEqual(['daily.failed-auth']);
    expect((await daily('--only', 'daily.c*, daily.failed-auth')).ids).toEqual(['daily.cloudtrail-rds-changes', 'daily.cloudwatch-alarms', 'daily.connections', 'daily.cpu', 'daily.failed-auth']);
    const all = (await daily()).ids;
    const without = (await daily('--exclude', 'daily.c*')).ids;
    expect(without).toEqual(all.filter((id) => !id.startsWith('daily.c')));
    expect(without.length).toBeGreaterThan(0);
  });

  it('refuse, with exit 2 and one sentence, a choice that leaves no check', async () => {
    const none = await daily('--only', 'weekly.*');
    expect(none.code).toBe(2);
    expect(none.err).toBe('dbsec: --only/--exclude leave none of the daily checks to run; `dbsec checks` lists their ids.\n');
  });
});
