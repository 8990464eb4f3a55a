import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import ddl from '../../src/checks/weekly/ddl-statements.js';
import { pinClock, runCheck } from '../helpers/run-check.js';

/**
 * The activity scenario as real servers logged it (fixtures/record-activity.mjs): the clock is pinned to the first
 * recordings (2026-11-22 23:13 UTC); PostgreSQL 18's csvlog and jsonlog, recorded on 2026-12-01 at 04:09 UTC, are read
 * at their own time.
 */
pinClock(new Date('2026-11-22T23:30:00Z'));
const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/logs/activity/${name}`, import.meta.url));
const RECORDED_DEC_1 = new Date('2026-12-01T04:30:00Z');

describe.each([
  ['activity-stderr-pg18.log', 'log_statement = all, stderr', undefined],
  ['activity-pg15.csv', 'log_statement = all, csvlog', undefined],
  ['activity-pg15.json', 'log_statement = all, jsonlog', undefined],
  ['activity-pg18.csv', 'log_statement = all, csvlog', RECORDED_DEC_1],
  ['activity-pg18.json', 'log_statement = all, jsonlog', RECORDED_DEC_1],
  ['activity-pgaudit-pg15.log', 'pgaudit, no log_statement', undefined],
])('weekly.ddl-statements on the recorded %s (%s)', (name, _logging, now) => {
  // The same seven in every format: pgaudit's AUDIT entries too, which a search for "statement:" never saw.
  it('finds every DROP TABLE, ALTER TABLE and TRUNCATE of the scenario through the parser, one per statement', async () => {
    const findings = await runCheck(ddl, { logFiles: [fixture(name)] }, {}, { since: 7 * 86_400_000, now });
    expect(findings.map((f) => [f.status, f.value, f.summary])).toEqual([
      ['investigate', 'DROP TABLE', 'DROP TABLE IF EXISTS act_customers CASCADE'],
      ['investigate', 'DROP TABLE', 'DROP TABLE IF EXISTS act_copy, act_staging'],
      ['investigate', 'ALTER TABLE', 'ALTER TABLE act_customers ADD COLUMN note text'],
      ['investigate', 'ALTER TABLE', 'ALTER TABLE act_customers DISABLE ROW LEVEL SECURITY'],
      ['investigate', 'TRUNCATE TABLE', 'TRUNCATE act_copy'],
      ['investigate', 'DROP TABLE', 'DROP TABLE act_copy, act_staging'],
      ['investigate', 'DROP TABLE', 'DROP TABLE act_customers CASCADE'],
    ]);
  });

  it('is ok with the roles that ran them allow-listed', async () => {
    const findings = await runCheck(ddl, { logFiles: [fixture(name)] }, { allowRoles: ['*'] }, { since: 7 * 86_400_000, now });
    expect(findings.map((f) => [f.status, f.title])).toEqual([['ok', '7 DDL statements, all by allow-listed roles']]);
  });
});
