import Table from 'cli-table3';
import { Chalk, type ChalkInstance } from 'chalk';
import type { Report } from '../report.js';
import type { Status } from '../status.js';
import { EVIDENCE_ROWS, cellText, evidenceColumns } from './evidence.js';

export interface FormatOptions {
  color: boolean;
}

const STATUS_STYLE: Record<Status, (c: ChalkInstance) => ChalkInstance> = {
  ok: (c) => c.green,
  monitor: (c) => c.yellow,
  investigate: (c) => c.red.bold,
  skipped: (c) => c.gray,
  error: (c) => c.magenta,
};

const COLUMN_WIDTHS = [13, 30, 18, 60];
/** Evidence sub-tables stay within the width of the finding table above them, less the indent. */
const EVIDENCE_WIDTH = COLUMN_WIDTHS.reduce((a, b) => a + b, 0) + COLUMN_WIDTHS.length - 3;

/**
 * One row per finding with its status coloured, and its evidence as a sub-table underneath, indented.
 * Each finding is its own small table: cli-table3 is slow (quadratic) on a wide multi-line cell spanning columns.
 */
export function formatTable(report: Report, { color }: FormatOptions): string {
  const chalk = new Chalk({ level: color ? 1 : 0 });
  const style = color ? { head: ['cyan'] } : { head: [], border: [] };
  const blocks = report.findings.map((finding, index) => {
    const table = new Table({ ...(index === 0 ? { head: ['Status', 'Check', 'Target', 'Finding'] } : {}), colWidths: COLUMN_WIDTHS, wordWrap: true, style });
    table.push([
      STATUS_STYLE[finding.status](chalk)(finding.status.toUpperCase()) + (finding.severity ? `\n${finding.severity}` : ''),
      finding.checkId,
      finding.target,
      `${chalk.bold(finding.title)}\n${finding.summary}`,
    ]);
    const evidence = finding.evidence.length > 0 ? `\n${indent(evidenceTable(finding.evidence, color))}` : '';
    return table.toString() + evidence;
  });
  return `${blocks.join('\n')}\n${chalk.bold(totalsLine(report))}\n`;
}

/** "daily: 1 investigate, 0 monitor, … (window … to …)": the report in one line. */
export function totalsLine(report: Report): string {
  const s = report.summary;
  return (
    `${report.command}: ${s.investigate} investigate, ${s.monitor} monitor, ${s.ok} ok, ${s.skipped} skipped, ${s.error} error` +
    ` (window ${report.window.from} to ${report.window.to})` +
    (report.interrupted ? '; interrupted, so incomplete' : '')
  );
}

function indent(text: string): string {
  return text.split('\n').map((line) => `   ${line}`).join('\n');
}


function evidenceTable(rows: ReadonlyArray<Record<string, unknown>>, color: boolean): string {
  const style = color ? { head: ['gray'] } : { head: [], border: [] };
  const columns = evidenceColumns(rows);
  const shown = rows.slice(0, EVIDENCE_ROWS).map((row) => columns.map((column) => truncateCell(cellText(row[column]))));
  const sub = new Table({ head: columns, colWidths: fitWidths(columns, shown), wordWrap: true, wrapOnWordBoundary: false, style });
  for (const cells of shown) sub.push(cells);
  const more = rows.length > EVIDENCE_ROWS ? `\n… ${rows.length - EVIDENCE_ROWS} more rows (see --format json)` : '';
  return sub.toString() + more;
}

/** Natural column widths, the widest shrunk in turn until the sub-table fits in the spanning cell. */
function fitWidths(columns: string[], rows: string[][]): number[] {
  const widths = columns.map((column, i) => Math.max(column.length, ...rows.map((cells) => cells[i]!.length)) + 2);
  const budget = EVIDENCE_WIDTH - (columns.length + 1);
  while (widths.reduce((a, b) => a + b, 0) > budget) {
    const widest = widths.indexOf(Math.max(...widths));
    if (widths[widest]! <= 8) break;
    widths[widest]!--;
  }
  return widths;
}

function truncateCell(text: string): string {
  return text.length > 120 ? `${text.slice(0, 119)}…` : text;
}
