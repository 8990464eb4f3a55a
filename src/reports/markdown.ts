import type { Finding, Report } from '../report.js';
import { EVIDENCE_ROWS, cellText, evidenceColumns } from './evidence.js';

export const ICON: Record<Finding['status'], string> = { investigate: '🔴', monitor: '🟡', error: '🟣', skipped: '⚪', ok: '🟢' };

/** A report to keep as a daily log entry: summary first, then each finding with its evidence. */
export function formatMarkdown(report: Report): string {
  const s = report.summary;
  const lines = [
    `# dbsec ${report.command}: ${report.window.to.slice(0, 10)}`,
    '',
    `- Window: ${report.window.from} to ${report.window.to}`,
    `- Targets: ${report.targets.map((t) => md(t.name)).join(', ')}`,
    `- Result: **${s.investigate} investigate**, ${s.monitor} monitor, ${s.ok} ok, ${s.skipped} skipped, ${s.error} error${report.interrupted ? ' (**interrupted**: incomplete)' : ''}`,
    `- dbsec ${report.tool.version}, finished ${report.finishedAt}`,
    '',
    '| Status | Check | Target | Finding |',
    '| --- | --- | --- | --- |',
    ...report.findings.map((f) => `| ${ICON[f.status]} ${f.status}${f.severity ? ` (${f.severity})` : ''} | \`${f.checkId}\` | ${md(f.target)} | ${md(f.title)} |`),
  ];
  for (const finding of report.findings.filter((f) => f.status !== 'ok' || f.evidence.length > 0)) {
    lines.push('', `## ${ICON[finding.status]} ${finding.severity ? `${finding.severity}: ` : ''}${md(finding.title)}`, '', `${md(finding.summary)}`, '');
    lines.push(`- Check: \`${finding.checkId}\` (${md(finding.runbook)}) on ${md(finding.target)}`);
    if (finding.resource) lines.push(`- Resource: \`${finding.resource.replace(/`/g, "'")}\``);
    if (finding.expected !== undefined) lines.push(`- Value: ${md(cellText(finding.value))}; expected ${md(finding.expected)}`);
    if (finding.status !== 'ok' && finding.status !== 'skipped') lines.push(`- Remediation: ${md(finding.remediation)}`);
    if (finding.evidence.length > 0) lines.push('', ...evidenceTable(finding.evidence));
  }
  return `${lines.join('\n')}\n`;
}

function evidenceTable(rows: ReadonlyArray<Record<string, unknown>>): string[] {
  const columns = evidenceColumns(rows);
  const out = [`| ${columns.join(' | ')} |`, `| ${columns.map(() => '---').join(' | ')} |`];
  for (const row of rows.slice(0, EVIDENCE_ROWS)) out.push(`| ${columns.map((c) => md(cellText(row[c]))).join(' | ')} |`);
  if (rows.length > EVIDENCE_ROWS) out.push('', `_${rows.length - EVIDENCE_ROWS} more rows in the JSON report._`);
  return out;
}

/** Text from the database or logs must not break the table or smuggle Markdown/HTML. */
export function md(text: string): string {
  return text.replace(/[\\`*_{}[\]<>|#]/g, (ch) => `\\${ch}`).replace(/\n/g, ' ');
}
