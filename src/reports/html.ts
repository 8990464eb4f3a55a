import type { Finding, Report } from '../report.js';
import { cellText, evidenceColumns, EVIDENCE_ROWS } from './evidence.js';
import { HTML_CLIENT } from './html-client.js';
import { acceptance } from './visibility.js';

/**
 * One self-contained HTML file: the findings as a static table (readable without the script), the report as JSON for
 * the script that draws the counts, the charts by status, target and check, the counts over days and the incident
 * timeline, and filters the table. Its Content-Security-Policy allows no network at all: the file shows the same
 * offline, in an auditor's archive, years later.
 */
export function formatHtml(report: Report): string {
  const title = `dbsec ${report.command}: ${report.window.to.slice(0, 10)}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<meta name="generator" content="dbsec ${escape(report.tool.version)}">
<title>${escape(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>${escape(title)}</h1>
<p>Window ${escape(report.window.from)} to ${escape(report.window.to)} · targets ${escape(report.targets.map((t) => t.name).join(', '))} · finished ${escape(report.finishedAt)} · dbsec ${escape(report.tool.version)}${report.interrupted ? ' · <strong>interrupted: incomplete</strong>' : ''}</p>
${report.comparison ? `<p>Since ${escape(report.comparison.previous)}: ${report.comparison.new} new, ${report.comparison.changed} changed, ${report.comparison.unchanged} unchanged, ${report.comparison.resolved.length} resolved</p>` : ''}
</header>
<section id="summary" aria-label="counts by status"></section>
<section id="charts"><figure id="by-status"></figure><figure id="by-target"></figure><figure id="by-check"></figure></section>
<section id="days" aria-label="counts over days"><h2>Over days</h2></section>
<section id="timeline" aria-label="incidents"><h2>Incidents</h2></section>
<section id="findings">
<h2>Findings</h2>
<div class="filters">
<label>Status <select id="filter-status"><option value="">all</option></select></label>
<label>Target <select id="filter-target"><option value="">all</option></select></label>
<label>Check <select id="filter-check"><option value="">all</option></select></label>
<label>Text <input id="filter-text" type="search"></label>
<span id="shown"></span>
</div>
<table id="findings-table">
<thead><tr><th>Status</th><th>Check</th><th>Target</th><th>Finding</th></tr></thead>
<tbody>
${report.findings.map(row).join('\n')}
</tbody>
</table>
</section>
<script type="application/json" id="report-data">${scriptSafeJson(report)}</script>
<script>${HTML_CLIENT}</script>
</body>
</html>
`;
}

function row(finding: Finding): string {
  const labels = [finding.severity, finding.change === 'new' || finding.change === 'changed' ? finding.change : undefined, finding.suppressed ? 'suppressed' : undefined].filter(Boolean);
  const details = [
    finding.summary && finding.summary !== finding.title ? `<p>${escape(finding.summary)}</p>` : '',
    finding.resource ? `<p class="meta">Resource: <code>${escape(finding.resource)}</code> · fingerprint <code>${finding.fingerprint.slice(0, 12)}</code></p>` : '',
    finding.suppressed ? `<p class="meta">Accepted: ${escape(acceptance(finding.suppressed))}</p>` : '',
    finding.status !== 'ok' && finding.status !== 'skipped' && !finding.suppressed ? `<p class="fix">${escape(finding.remediation)}</p>` : '',
    finding.evidence.length > 0 ? evidence(finding.evidence) : '',
  ].join('');
  return `<tr class="${finding.status}" data-status="${finding.status}" data-target="${escape(finding.target)}" data-check="${escape(finding.checkId)}"><td>${finding.status}${labels.length ? ` <small>${escape(labels.join(', '))}</small>` : ''}</td><td><code>${escape(finding.checkId)}</code></td><td>${escape(finding.target)}</td><td><details><summary>${escape(finding.title)}</summary>${details}</details></td></tr>`;
}

function evidence(rows: ReadonlyArray<Record<string, unknown>>): string {
  const columns = evidenceColumns(rows);
  const shown = rows.slice(0, EVIDENCE_ROWS);
  const more = rows.length > shown.length ? `<p class="meta">${rows.length - shown.length} more rows in the JSON report.</p>` : '';
  return `<table class="evidence"><thead><tr>${columns.map((c) => `<th>${escape(c)}</th>`).join('')}</tr></thead><tbody>${shown.map((r) => `<tr>${columns.map((c) => `<td>${escape(cellText(r[c]))}</td>`).join('')}</tr>`).join('')}</tbody></table>${more}`;
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** JSON inside <script>: no "</script>" or "<!--" can end or bend the block. */
function scriptSafeJson(report: Report): string {
  return JSON.stringify(report).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1200px;padding:0 16px;color:#1d1d1f}
header p{color:#555;margin:.2em 0}
#summary{display:flex;gap:10px;flex-wrap:wrap;margin:12px 0}
.card{border-radius:6px;padding:8px 14px;min-width:90px;background:#f2f2f2}
.card .count{display:block;font-size:26px;font-weight:600}
.card.investigate{background:#fde2e1}.card.monitor{background:#fff1c2}.card.error{background:#f1e0f7}.card.ok{background:#dff3e2}
#charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(360px,1fr));gap:12px}
figure{margin:0;padding:8px;border:1px solid #e3e3e3;border-radius:6px}
figcaption{font-weight:600;margin-bottom:4px}
svg{width:100%;height:auto;font-size:11px}
rect.bar{fill:#4a78c2}rect.investigate{fill:#c9302c}rect.monitor{fill:#e0a800}rect.error{fill:#8e44ad}rect.skipped{fill:#aaa}rect.ok{fill:#3c9d4e}
.sev-critical{fill:#8b0000}.sev-high{fill:#c9302c}.sev-medium{fill:#e0a800}.sev-low{fill:#4a78c2}.sev-info{fill:#aaa}
.note,.meta{color:#666;font-size:12px}
.filters{display:flex;gap:12px;flex-wrap:wrap;align-items:center;margin:8px 0}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;vertical-align:top;padding:4px 6px;border-bottom:1px solid #eee}
#findings-table tr.investigate td:first-child{color:#c9302c;font-weight:600}
#findings-table tr.monitor td:first-child{color:#a07800;font-weight:600}
#findings-table tr.error td:first-child{color:#8e44ad}
table.evidence{font-size:12px;margin:6px 0}
.fix{border-left:3px solid #4a78c2;padding-left:8px}
code{font-size:12px}
`;
