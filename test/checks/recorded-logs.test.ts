import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import failedAuth from '../../src/checks/daily/failed-auth.js';
import { readLogFiles, type ReadStats } from '../../src/sources/logs/file-reader.js';
import { RDS_LOG_LINE_PREFIX } from '../../src/target.js';
import { pinClock, runCheck } from '../helpers/run-check.js';

/** fixtures/record-logs.mjs wrote both logs at 2026-11-22 21:43 UTC: the runs here happen just after. */
pinClock(new Date('2026-11-22T21:45:00Z'));

/** Logs recorded from real servers by fixtures/record-logs.mjs: 4 + 4 failed logins each, and other FATAL lines. */
describe.each(['rds-prefix-pg18.log', 'rds-prefix-pg15.log'])('daily.failed-auth on the recorded %s', (name) => {
  const path = fileURLToPath(new URL(`../../fixtures/logs/${name}`, import.meta.url));

  it('parses every line of the recorded log', async () => {
    const stats: ReadStats = { lines: 0, records: 0, unparsed: 0 };
    const levels = new Set<string>();
    for await (const record of readLogFiles([path], RDS_LOG_LINE_PREFIX, stats)) levels.add(record.level);
    expect(stats.unparsed).toBe(0);
    expect(stats.records).toBeGreaterThan(30);
    for (const level of ['LOG', 'FATAL', 'DETAIL']) expect(levels).toContain(level);
  });

  it('counts the eight failures and nothing else, per user and address', async () => {
    const findings = await runCheck(failedAuth, { logFiles: [path] }, {}, { since: 24 * 3600_000 });
    expect(findings[0]).toMatchObject({ status: 'monitor', value: 8 });
    expect(findings[0]!.evidence.map((row) => [row.by, row.name, row.count])).toEqual([
      ['user', 'admin', 4],
      ['user', 'app_user', 4],
      ['client', '127.0.0.1', 8],
    ]);
  });

  it('keeps lines outside the window out of the count', async () => {
    const findings = await runCheck(failedAuth, { logFiles: [path] }, {}, { now: new Date('2020-01-02T00:00:00Z') });
    expect(findings[0]).toMatchObject({ status: 'ok', value: 0 });
  });
});
