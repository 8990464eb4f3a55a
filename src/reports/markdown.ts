import type { Finding, Report } from '../report.js';
import { EVIDENCE_ROWS, cellText, evidenceColumns } from './evidence.js';
import { acceptance, shownAt } from './visibility.js';
import type { FormatOptions } from './table.js';
import { counted } from '../plural.js';

export const ICON: Record<Finding['status'], string> = { investigate: '🔴', monitor: '🟡', error: '🟣', skipped: '⚪', ok: '🟢' };

/** A report to keep as a daily log entry: summary first, then each finding with its evidence. */
export function formatMarkdown(report: Report, { minStatus }: Partial<FormatOptions> = {}): string {
  const s = report.summary;
  const shown = report.findings.filter((f) => shownAt(minStatus, f));
  const suppressed = report.findings.filter((f) => f.suppressed).length;
  const { comparison } = report;
  const lines = [
    `# dbsec ${report.command}: ${report.window.to.slice(0, 10)}`,
    '',
    `- Window: ${report.window.from} to ${report.window.to}`,
    `- Targets: ${report.targets.map((t) => md(t.name)).join(', ')}`,
    `- Result: **${s.investigate} investigate**, ${s.monitor} monitor, ${s.ok} ok, ${s.skipped} skipped, ${s.error} error${suppressed > 0 ? ` (${suppressed} suppressed)` : ''}${report.interrupted ? ' (**interrupted**: incomplete)' : ''}`,
    ...(comparison ? [`- Since ${md(comparison.previous)} (${comparison.previousStartedAt}): ${comparison.new} new, ${comparison.changed} changed, ${comparison.unchanged} unchanged, ${comparison.resolved.length} resolved`] : []),
    `- dbsec ${report.tool.version}, finished ${report.finishedAt}`,
    '',
    '| Status | Check | Target | Finding |',
    '| --- | --- | --- | --- |',
    ...shown.map((f) => `| ${ICON[f.status]} ${f.status}${f.severity ? ` (${f.severity})` : ''}${f.change === 'new' || f.change === 'changed' ? ` **${f.change}**` : ''}${f.suppressed ? ' _suppressed_' : ''} | \`${f.checkId}\` | ${md(f.target)} | ${md(f.title)} |`),
    ...(shown.length < report.findings.length ? ['', `_${counted(report.findings.length - shown.length, 'finding')} below --min-status ${minStatus} not shown; the JSON report has them all._`] : []),
  ];
  if (comparison && comparison.resolved.length > 0) {
    lines.push('', '## Resolved since the previous report', '', ...comparison.resolved.map((f) => `- \`${f.checkId}\` on ${md(f.target)}: ${md(f.title)} (was ${f.status})`));
  }
  // Findings of one check on one target share their check line and remediation: said once, above them all.
  const groups = new Map<string, Finding[]>();
  for (const finding of shown.filter((f) => f.status !== 'ok' || f.evidence.length > 0)) {
    const key = `${finding.checkId}\u0000${finding.target}`;
    groups.set(key, [...(groups.get(key) ?? []), finding]);
  }
  for (const group of groups.values()) {
    const [first] = group as [Finding];
    const acts = group.some((f) => f.status !== 'ok' && f.status !== 'skipped');
    const about = [`- Check: \`${first.checkId}\` (${md(first.runbook)}) on ${md(first.target)}`, ...(acts ? [`- Remediation: ${md(first.remediation)}`] : [])];
    if (group.length > 1) lines.push('', `## \`${first.checkId}\` on ${md(first.target)}: ${group.length} findings`, '', ...about);
    for (const finding of group) {
      lines.push('', `${group.length > 1 ? '###' : '##'} ${ICON[finding.status]} ${finding.severity ? `${finding.severity}: ` : ''}${md(finding.title)}`, '', `${md(finding.summary)}`, '');
      if (group.length === 1) lines.push(...about);
      if (finding.suppressed) lines.push(`- Suppressed: ${md(acceptance(finding.suppressed))}`);
      if (finding.resource) lines.push(`- Resource: \`${finding.resource.replace(/`/g, "'")}\``);
      if (finding.expected !== undefined) lines.push(`- Value: ${md(cellText(finding.value))}; expected ${md(finding.expected)}`);
      if (finding.evidence.length > 0) lines.push(...(finding.evidence.length > 1 ? [''] : []), ...evidenceTable(finding.evidence));
    }
  }
  return `${lines.join('\n')}\n`;
}

function evidenceTable(rows: ReadonlyArray<Record<string, unknown>>): string[] {
  const columns = evidenceColumns(rows);
  // One row reads as one line; its empty fields say nothing.
  if (rows.length === 1) return [`- ${columns.filter((c) => cellText(rows[0]![c]) !== '').map((c) => `${c}: ${md(cellText(rows[0]![c]))}`).join(' · ')}`];
  const out = [`| ${columns.join(' | ')} |`, `| ${columns.map(() => '---').join(' | ')} |`];
  for (const row of rows.slice(0, EVIDENCE_ROWS)) out.push(`| ${columns.map((c) => md(cellText(row[c]))).join(' | ')} |`);
  if (rows.length > EVIDENCE_ROWS) out.push('', `_${rows.length - EVIDENCE_ROWS} more rows in the JSON report._`);
  return out;
}

/** Text from the database or logs must not break the table or smuggle Markdown/HTML. */
export function md(text: string): string {
  return text.replace(/[\\`*_{}[\]<>|#]/g, (ch) => `\\${ch}`).replace(/\n/g, ' ');
}
