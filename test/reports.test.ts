import { describe, expect, it } from 'vitest';
import { FORMATTERS } from '../src/reports/index.js';
import type { Report } from '../src/report.js';

const report: Report = {
  schemaVersion: 1,
  tool: { name: 'dbsec', version: '0.1.0' },
  command: 'daily',
  startedAt: '2026-11-22T07:00:00.000Z',
  finishedAt: '2026-11-22T07:00:01.000Z',
  window: { from: '2026-11-21T07:00:00.000Z', to: '2026-11-22T07:00:00.000Z' },
  targets: [{ name: 'prod', database: null, rdsInstance: 'prod-db', region: 'eu-west-1', logSource: null }],
  summary: { ok: 1, monitor: 0, investigate: 1, skipped: 0, error: 0 },
  findings: [
    {
      checkId: 'daily.failed-auth',
      target: 'prod',
      status: 'investigate',
      title: '31 failed connection attempts',
      summary: 'From a | pipe and <b>html</b>',
      resource: '/aws/rds/instance/prod-db/postgresql',
      fingerprint: '0f3c2a1e5d4b4c3a9e8f7a6b5c4d3e21',
      value: 31,
      expected: 'at most 5',
      evidence: [
        { by: 'user', name: 'app', count: 31 },
        { by: 'client', name: '10.0.0.9|x', count: 31 },
      ],
      remediation: 'Block the address.',
      runbook: 'Daily Security Checks §2',
    },
    { checkId: 'daily.cpu', target: 'prod', status: 'ok', title: 'CPU at most 12%', summary: 'fine', resource: 'prod-db', fingerprint: '1a2b3c4d11114a2b8c3d9e0f1a2b3c4d', evidence: [], remediation: 'r', runbook: 'Daily Security Checks §5' },
  ],
};

describe('formatters (pure, colour off)', () => {
  it('table: a row per finding, the evidence under it, totals last, no escape codes', () => {
    const text = FORMATTERS.table(report, { color: false });
    expect(text).not.toMatch(/\x1b\[/);
    const lines = text.split('\n');
    const row = lines.findIndex((l) => l.includes('INVESTIGATE'));
    const evidence = lines.findIndex((l) => /│ user\s+│ app\s+│ 31/.test(l));
    expect(row).toBeGreaterThan(0);
    expect(evidence).toBeGreaterThan(row);
    expect(lines.findIndex((l) => l.includes('OK '))).toBeGreaterThan(evidence);
    expect(text).toContain('daily: 1 investigate, 0 monitor, 1 ok, 0 skipped, 0 error');
  });

  it('table: colours the status when asked', () => {
    expect(FORMATTERS.table(report, { color: true })).toMatch(/\x1b\[31m\x1b\[1mINVESTIGATE/);
  });

  it('markdown: a daily log entry whose tables cannot be broken by text from the database', () => {
    const text = FORMATTERS.markdown(report);
    expect(text.split('\n')[0]).toBe('# dbsec daily: 2026-11-22');
    expect(text).toContain('From a \\| pipe and \\<b\\>html\\</b\\>');
    expect(text).toContain('| by | name | count |');
    expect(text).toContain('| client | 10.0.0.9\\|x | 31 |');
    expect(text).toContain('- Remediation: Block the address.');
  });

  it('markdown: findings of one check share one heading and remediation; one evidence row is one line', () => {
    const alert = (title: string, pid: number) => ({ ...report.findings[0]!, checkId: 'activity.drop-table', title, resource: `pid ${pid}`, evidence: [{ time: '2026-11-22T06:00:00Z', pid, application: null, notes: '' }] });
    const text = FORMATTERS.markdown({ ...report, findings: [alert('DROP TABLE a by x', 1), alert('DROP TABLE b by y', 2)] });
    expect(text).toContain('## `activity.drop-table` on prod: 2 findings');
    expect(text.match(/- Remediation: Block the address\./g)).toHaveLength(1);
    expect(text).toContain('### 🔴 DROP TABLE b by y');
    // empty fields are left out of the one line
    expect(text).toContain('- time: 2026-11-22T06:00:00Z · pid: 2\n');
  });

  it('json: the report as it is', () => {
    expect(JSON.parse(FORMATTERS.json(report))).toEqual(report);
  });
});
