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

/** One row per finding with its status coloured, and its evidence as a sub-table underneath. */
export function formatTable(report: Report, { color }: FormatOptions): string {
  const chalk = new Chalk({ level: color ? 1 : 0 });
  const style = color ? undefined : { head: [], border: [] };
  const table = new Table({ head: ['Status', 'Check', 'Target', 'Finding'], wordWrap: true, colWidths: [13, 30, 18, 60], ...(style ? { style } : { style: { head: ['cyan'] } }) });
  for (const finding of report.findings) {
    table.push([
      STATUS_STYLE[finding.status](chalk)(finding.status.toUpperCase()),
      finding.checkId,
      finding.target,
      `${chalk.bold(finding.title)}\n${finding.summary}`,
    ]);
    if (finding.evidence.length > 0) table.push([{ colSpan: 4, content: evidenceTable(finding.evidence, style) }]);
  }
  const s = report.summary;
  const totals = `${report.command}: ${s.investigate} investigate, ${s.monitor} monitor, ${s.ok} ok, ${s.skipped} skipped, ${s.error} error` +
    ` (window ${report.window.from} to ${report.window.to})`;
  return `${table.toString()}\n${chalk.bold(totals)}\n`;
}

/** Width inside the main table's spanning cell. */
const EVIDENCE_WIDTH = 116;

function evidenceTable(rows: ReadonlyArray<Record<string, unknown>>, style: object | undefined): string {
  const columns = evidenceColumns(rows);
  const shown = rows.slice(0, EVIDENCE_ROWS).map((row) => columns.map((column) => truncateCell(cellText(row[column]))));
  const sub = new Table({ head: columns, colWidths: fitWidths(columns, shown), wordWrap: true, wrapOnWordBoundary: false, ...(style ? { style } : { style: { head: ['gray'] } }) });
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
