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
  it('table: counts first, a block per finding with its evidence, ok in one line, totals last, no escape codes', () => {
    const text = FORMATTERS.table(report, { color: false, width: 80 });
    expect(text).not.toMatch(/\x1b\[/);
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('daily: 1 investigate, 0 monitor, 1 ok, 0 skipped, 0 error (window');
    const block = lines.findIndex((l) => l.startsWith('INVESTIGATE  daily.failed-auth  /aws/rds/instance/prod-db/postgresql'));
    expect(lines.slice(block + 1, block + 4)).toEqual(['  31 failed connection attempts', '  From a | pipe and <b>html</b>', '  → Block the address.']);
    const evidence = lines.findIndex((l) => /│ user\s+│ app\s+│ 31/.test(l));
    expect(evidence).toBeGreaterThan(block);
    expect(lines.findIndex((l) => l === 'OK  daily.cpu: CPU at most 12%')).toBeGreaterThan(evidence);
    expect(lines.at(-2)).toBe('daily: 1 investigate, 0 monitor, 1 ok, 0 skipped, 0 error (window');
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(80);
  });

  it('table: wraps to the width on word boundaries, and lists evidence that cannot fit row by row, never cutting a word', () => {
    const wide = { ...report, findings: [{ ...report.findings[0]!, evidence: [{ event: 'ModifyDBParameterGroup', arn: 'arn:aws:iam::123456789012:user/contractor-with-a-long-name', sourceIp: '198.51.100.23', userAgent: 'aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64' }] }] };
    const lines = FORMATTERS.table(wide, { color: false, width: 80 }).split('\n');
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(80);
    const text = lines.join(' ');
    for (const word of ['ModifyDBParameterGroup', 'arn:aws:iam::123456789012:user/contractor-with-a-long-name', 'aws-cli/2.15.0']) expect(text).toContain(word);
    expect(lines.some((l) => l.startsWith('  • event: ModifyDBParameterGroup · arn:'))).toBe(true);
  });

  it('table: --verbose shows ok findings in full, and evidence of other findings', () => {
    const text = FORMATTERS.table(report, { color: false, width: 80, verbose: true });
    expect(text).toContain('OK  daily.cpu  prod-db\n  CPU at most 12%\n  fine\n');
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
