import type { Finding, Report } from '../report.js';
import { controlsOf, type Control, type ControlResult } from './controls.js';
import { ICON, md } from './markdown.js';

/**
 * The runbook's "Monthly Compliance Report" sections, and which checks' controls each one reports; a name ending in
 * "*" takes every check id it begins (the configuration baseline's items, config.<section>.<item>).
 */
const SECTIONS: Array<{ title: string; checks: string[] }> = [
  { title: 'Security Configuration Status', checks: ['monthly.instance-config', 'monthly.aurora-cluster', 'monthly.encryption', 'monthly.network', 'weekly.security-groups', 'monthly.parameter-drift', 'config.auth.*', 'config.tls.*', 'config.net.*', 'config.safety.*'] },
  { title: 'Access Control', checks: ['weekly.db-users', 'weekly.table-privileges', 'monthly.access-control', 'monthly.catalog-grants', 'config.priv.*'] },
  { title: 'Monitoring & Logging', checks: ['monthly.logging-config', 'monthly.alarm-coverage', 'monthly.event-subscriptions', 'daily.cloudwatch-alarms', 'monthly.log-summary', 'config.log.*'] },
  { title: 'Incidents & Anomalies', checks: ['daily.failed-auth', 'daily.connections', 'daily.long-running-queries', 'daily.cpu', 'weekly.query-patterns', 'weekly.ddl-statements'] },
  { title: 'Maintenance Activities', checks: ['weekly.backups', 'monthly.lifecycle', 'daily.cloudtrail-rds-changes'] },
];

const RESULT: Record<ControlResult, string> = { compliant: '✓ compliant', 'non-compliant': '✗ non-compliant', 'not assessed': '– not assessed' };

export interface ComplianceInput {
  month: string;
  generatedAt: Date;
  version: string;
  /** The reports the controls come from; for a control run by several, the latest one counts. */
  reports: Report[];
}

export function latestFindings(reports: readonly Report[]): Finding[] {
  const latest = new Map<string, { at: string; findings: Finding[] }>();
  for (const report of reports) {
    for (const finding of report.findings) {
      const key = `${finding.target}\u0000${finding.checkId}`;
      const seen = latest.get(key);
      if (!seen || seen.at < report.finishedAt) latest.set(key, { at: report.finishedAt, findings: [finding] });
      else if (seen.at === report.finishedAt) seen.findings.push(finding);
    }
  }
  return [...latest.values()].flatMap((entry) => entry.findings);
}

/** The Markdown an auditor keeps: one section per runbook heading, then the compliance status and remediation items. */
export function formatComplianceReport(input: ComplianceInput): string {
  const findings = latestFindings(input.reports);
  const rollups = findings.filter((f) => f.checkId === 'monthly.compliance');
  const controls = controlsOf(findings.filter((f) => f.checkId !== 'monthly.compliance'));
  const targets = [...new Set(findings.map((f) => f.target))];
  const lines = [
    `# Database Security Compliance Report: ${input.month}`,
    '',
    `- Targets: ${targets.map(md).join(', ') || 'none'}`,
    `- Generated ${input.generatedAt.toISOString()} by dbsec ${input.version} from ${input.reports.length} report${input.reports.length === 1 ? '' : 's'}:`,
    ...input.reports.map((r) => `  - \`dbsec ${r.command}\`, window ${r.window.from} to ${r.window.to}`),
    `- Where several reports ran a control, the latest counts.`,
  ];
  const placed = new Set<string>();
  SECTIONS.forEach((section, index) => {
    const own = controls.filter((c) => section.checks.some((name) => (name.endsWith('*') ? c.checkId.startsWith(name.slice(0, -1)) : c.checkId === name)));
    own.forEach((c) => placed.add(c.checkId));
    lines.push('', `## ${index + 1}. ${section.title}`, '', ...controlTable(own));
  });
  const others = controls.filter((c) => !placed.has(c.checkId));
  if (others.length > 0) lines.push('', '## Other controls', '', ...controlTable(others));
  lines.push('', `## ${SECTIONS.length + 1}. Compliance Status`, '', ...statusSection(controls, rollups));
  return `${lines.join('\n')}\n`;
}

function controlTable(controls: readonly Control[]): string[] {
  if (controls.length === 0) return ['_No report covered these controls in this month._'];
  const lines = ['| Control | Result | Findings |', '| --- | --- | --- |'];
  for (const control of controls) {
    const shown = control.findings.filter((f) => control.result !== 'non-compliant' || f.status === 'monitor' || f.status === 'investigate');
    lines.push(`| \`${control.checkId}\` | ${RESULT[control.result]} | ${shown.map((f) => `${ICON[f.status]} ${md(f.title)}`).join('<br>')} |`);
  }
  return lines;
}

function statusSection(controls: readonly Control[], rollups: readonly Finding[]): string[] {
  const count = (result: ControlResult) => controls.filter((c) => c.result === result).length;
  const failing = controls.filter((c) => c.result === 'non-compliant');
  const lines = [
    `- Controls compliant: **${count('compliant')}**; non-compliant: **${count('non-compliant')}**; not assessed: ${count('not assessed')}`,
    `- Audit findings: ${failing.length === 0 ? 'none' : failing.reduce((n, c) => n + c.findings.filter((f) => f.status === 'investigate' || f.status === 'monitor').length, 0)}`,
  ];
  const configRules = rollups.filter((f) => f.resource?.startsWith('config rule '));
  if (rollups.length > 0) lines.push(`- AWS Config: ${configRules.length === 0 ? 'no non-compliant rule for the instance (or not consulted; see the monthly report)' : configRules.map((f) => md(f.title)).join('; ')}`);
  lines.push('', '### Remediation items', '');
  if (failing.length === 0) lines.push('None.');
  failing.forEach((control, index) => {
    lines.push(`${index + 1}. \`${control.checkId}\` (${md(control.runbook)}): ${md(control.remediation)}`);
    for (const finding of control.findings.filter((f) => f.status === 'investigate' || f.status === 'monitor')) {
      lines.push(`   - ${ICON[finding.status]} ${finding.status}: ${md(finding.title)} (${md(finding.target)})`);
    }
  });
  const notAssessed = controls.filter((c) => c.result === 'not assessed');
  if (notAssessed.length > 0) {
    lines.push('', '### Not assessed', '', ...notAssessed.map((c) => `- \`${c.checkId}\`: ${md(c.findings[0]!.summary)}`));
  }
  return lines;
}
