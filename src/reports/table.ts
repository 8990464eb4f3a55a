import Table from 'cli-table3';
import { Chalk, type ChalkInstance } from 'chalk';
import stringWidth from 'string-width';
import wrapAnsi from 'wrap-ansi';
import { fleetRows, type Finding, type Report } from '../report.js';
import { STATUSES, type FailOn, type Status } from '../status.js';
import { EVIDENCE_ROWS, cellText, evidenceColumns } from './evidence.js';
import { counted } from '../plural.js';
import type { AwsIdentity } from './asff.js';
import { acceptance, shownAt, type MinStatus } from './visibility.js';

export interface FormatOptions {
  color: boolean;
  /** The terminal's columns (80 at the least); the text formats ignore it. */
  width?: number;
  /** Every finding in full with all its evidence rows, ok and skipped ones too. */
  verbose?: boolean;
  /** The table and Markdown show only findings at or above it (errors always); the counts stay whole. */
  minStatus?: MinStatus;
  /** JUnit: the lowest status that fails a check's testcase, as it makes the exit code 1. */
  failOn?: FailOn;
  /** ASFF: the account and region the findings belong to. */
  aws?: AwsIdentity;
}

const STATUS_STYLE: Record<Status, (c: ChalkInstance) => ChalkInstance> = {
  ok: (c) => c.green,
  monitor: (c) => c.yellow,
  investigate: (c) => c.red.bold,
  skipped: (c) => c.gray,
  error: (c) => c.magenta,
};

export const MIN_WIDTH = 80;
const DEFAULT_WIDTH = 100;
/** Evidence rows under an investigate finding unless --verbose; other findings show theirs only with --verbose. */
const TOP_ROWS = 5;
const INDENT = '  ';

/**
 * The terminal view: a header with the counts by status and by target, then each target's findings worst first, one
 * compact block each (status, check, resource, title, summary, the first sentence of the remediation), the top
 * evidence rows under investigate findings, and ok and skipped findings one line per check; all of it wrapped on word
 * boundaries to the terminal's width. --verbose shows every finding in full.
 */
export function formatTable(report: Report, { color, width = DEFAULT_WIDTH, verbose = false, minStatus }: FormatOptions): string {
  const chalk = new Chalk({ level: color ? 1 : 0 });
  const columns = Math.max(MIN_WIDTH, width);
  const lines = [wrap(chalk.bold(totalsLine(report)), columns, INDENT)];
  const targets = [...new Set(report.findings.map((f) => f.target))];
  if (targets.length > 1) lines.push(...fleetSummary(report, chalk, columns));
  const quiet = (f: Finding) => f.status === 'ok' || f.status === 'skipped' || f.suppressed !== undefined;
  for (const target of targets) {
    const findings = report.findings.filter((f) => f.target === target && shownAt(minStatus, f));
    if (findings.length === 0) continue;
    lines.push('', chalk.bold(`── ${target} ${'─'.repeat(Math.max(0, columns - stringWidth(target) - 4))}`));
    for (const finding of findings.filter((f) => verbose || !quiet(f))) lines.push(...block(finding, chalk, columns, verbose));
    if (!verbose) lines.push(...collapsed(findings.filter(quiet), chalk, columns));
  }
  const hidden = report.findings.filter((f) => !shownAt(minStatus, f)).length;
  if (hidden > 0) lines.push('', chalk.dim(`${counted(hidden, 'finding')} below --min-status ${minStatus} not shown.`));
  const resolved = report.comparison?.resolved ?? [];
  if (resolved.length > 0) lines.push('', ...resolved.slice(0, RESOLVED_SHOWN).map((f) => wrap(`${chalk.green('RESOLVED')}  ${f.checkId}: ${f.title} (was ${f.status})`, columns, INDENT)));
  if (resolved.length > RESOLVED_SHOWN) lines.push(chalk.dim(`… ${resolved.length - RESOLVED_SHOWN} more resolved (--format json)`));
  lines.push('', wrap(chalk.bold(totalsLine(report)), columns, INDENT));
  return `${lines.join('\n')}\n`;
}

const RESOLVED_SHOWN = 20;

/** "daily: 1 investigate, 0 monitor, … (window … to …)": the report in one line. */
export function totalsLine(report: Report): string {
  const s = report.summary;
  return (
    `${report.command}: ${s.investigate} investigate, ${s.monitor} monitor, ${s.ok} ok, ${s.skipped} skipped, ${s.error} error` +
    (suppressedCount(report) > 0 ? `, ${suppressedCount(report)} of them suppressed` : '') +
    ` (window ${report.window.from} to ${report.window.to})` +
    (report.interrupted ? '; interrupted, so incomplete' : '') +
    (report.comparison ? `; since ${report.comparison.previous}: ${report.comparison.new} new, ${report.comparison.changed} changed, ${report.comparison.resolved.length} resolved` : '')
  );
}

/** One letter per status in the fleet summary: the worst finding of a check on a target. */
const MARK: Record<Status, string> = { investigate: 'I', monitor: 'M', error: 'E', skipped: '-', ok: '✓' };

/**
 * Several targets: one row per target, worst first, with its counts and one column per check (its worst status as a
 * letter, numbered checks named in a legend), so a fleet reads at a glance before the details. When the columns do not
 * fit the terminal, the rows keep only the counts.
 */
function fleetSummary(report: Report, chalk: ChalkInstance, columns: number): string[] {
  const rows = fleetRows(report);
  const checks = [...new Set(report.findings.map((f) => f.checkId))].sort();
  const width = Math.max(...rows.map((row) => stringWidth(row.target)));
  const grid = checks.map((_, i) => String(i + 1).padStart(2)).join(' ');
  const fits = width + 2 + grid.length <= columns - INDENT.length;
  const lines = [''];
  if (fits) lines.push(`${INDENT}${' '.repeat(width)}  ${chalk.dim(grid)}`);
  for (const { target, checks: worst, counts: byStatus } of rows) {
    const counts = countsOf(byStatus);
    if (!fits) {
      lines.push(wrap(`${target}: ${counts}`, columns, INDENT, INDENT));
      continue;
    }
    const cell = (check: string) => {
      const status = worst[check];
      return status ? STATUS_STYLE[status](chalk)(MARK[status]) : ' ';
    };
    const row = `${INDENT}${target.padEnd(width)}  ${checks.map((check) => ` ${cell(check)}`).join(' ')}`;
    // The counts follow the row when they fit beside it, else on a line of their own under it.
    lines.push(stringWidth(`${row}  ${counts}`) <= columns ? `${row}  ${chalk.dim(counts)}` : `${row}\n${INDENT}${' '.repeat(width + 2)}${chalk.dim(counts)}`);
  }
  if (fits) lines.push(wrap(chalk.dim(`${checks.map((check, i) => `${i + 1} ${check}`).join(' · ')} (I investigate, M monitor, E error, - skipped, ✓ ok)`), columns, INDENT, INDENT));
  return lines;
}

function suppressedCount(report: Report): number {
  return report.findings.filter((f) => f.suppressed).length;
}

function countsOf(counts: Record<Status, number>): string {
  return STATUSES.filter((status) => counts[status] > 0)
    .map((status) => `${counts[status]} ${status}`)
    .join(' · ');
}

function statusLabel(finding: Finding, chalk: ChalkInstance): string {
  if (finding.suppressed) return `${chalk.dim('SUPPRESSED')} ${finding.status}`;
  const change = finding.change === 'new' || finding.change === 'changed' ? ` ${chalk.bold(finding.change.toUpperCase())}` : '';
  return STATUS_STYLE[finding.status](chalk)(finding.status.toUpperCase()) + (finding.severity ? ` ${finding.severity}` : '') + change;
}

/** One finding: its status, check and resource, then its title, summary, remediation and top evidence rows. */
function block(finding: Finding, chalk: ChalkInstance, columns: number, verbose: boolean): string[] {
  const lines = ['', wrap(`${statusLabel(finding, chalk)}  ${finding.checkId}${finding.resource ? `  ${chalk.dim(finding.resource)}` : ''}`, columns, INDENT)];
  lines.push(wrap(chalk.bold(finding.title), columns, INDENT, INDENT));
  if (finding.summary && finding.summary !== finding.title) lines.push(wrap(finding.summary, columns, INDENT, INDENT));
  if (finding.suppressed) lines.push(wrap(chalk.dim(`accepted: ${acceptance(finding.suppressed)}`), columns, INDENT, INDENT));
  else if (finding.status !== 'ok' && finding.status !== 'skipped' && finding.remediation && finding.remediation !== '-') lines.push(wrap(`→ ${firstSentence(finding.remediation)}`, columns, `${INDENT}  `, INDENT));
  // The first 12 digits are enough for a suppress entry to match it.
  if (verbose) lines.push(chalk.dim(`${INDENT}fingerprint ${finding.fingerprint.slice(0, 12)}`));
  // Logs Insights queries as written, one command a line, to paste into the console.
  if (verbose) for (const query of finding.queries ?? []) lines.push(chalk.dim(`${INDENT}Logs Insights query:`), ...query.split('\n').map((line) => chalk.dim(`${INDENT}  ${line}`)));
  const rows = verbose ? EVIDENCE_ROWS : finding.status === 'investigate' ? TOP_ROWS : 0;
  if (rows > 0 && finding.evidence.length > 0) lines.push(...evidence(finding.evidence, rows, chalk, columns - INDENT.length).map((line) => `${INDENT}${line}`));
  return lines;
}

/**
 * Ok, skipped and suppressed findings, one line per check and status: what it found, why it could not look, or why
 * the problem was accepted.
 */
function collapsed(findings: readonly Finding[], chalk: ChalkInstance, columns: number): string[] {
  const groups = new Map<string, Finding[]>();
  for (const finding of findings) {
    const key = `${finding.suppressed ? 'suppressed ' : ''}${finding.status} ${finding.checkId}`;
    groups.set(key, [...(groups.get(key) ?? []), finding]);
  }
  if (groups.size === 0) return [];
  const lines = [''];
  for (const group of groups.values()) {
    const [first] = group as [Finding];
    const text = first.suppressed ? `${first.title} — ${acceptance(first.suppressed)}` : first.status === 'skipped' ? first.summary || first.title : first.title;
    const more = group.length > 1 ? ` (+${group.length - 1} more)` : '';
    lines.push(wrap(`${statusLabel(first, chalk)}  ${first.checkId}: ${text}${more}`, columns, INDENT));
  }
  return lines;
}

/**
 * Evidence as a table that fits: columns shrink, widest first, but never below their longest word, so a name is never
 * cut in two; when even that does not fit, each row is one wrapped line of its fields.
 */
function evidence(rows: ReadonlyArray<Record<string, unknown>>, limit: number, chalk: ChalkInstance, width: number): string[] {
  const columns = evidenceColumns(rows);
  const shown = rows.slice(0, limit).map((row) => columns.map((column) => truncateCell(cellText(row[column]))));
  const more = rows.length > shown.length ? [chalk.dim(`… ${rows.length - shown.length} more rows (--verbose, or --format json)`)] : [];
  const widths = fitWidths(columns, shown, width);
  if (!widths) {
    const listed = shown.map((cells) => wrap(`• ${columns.flatMap((column, c) => (cells[c] ? [`${chalk.dim(`${column}:`)} ${cells[c]}`] : [])).join(chalk.dim(' · '))}`, width, '  '));
    return [...listed.flatMap((row) => row.split('\n')), ...more];
  }
  const table = new Table({ head: columns, colWidths: widths, wordWrap: true, style: chalk.level > 0 ? { head: ['gray'] } : { head: [], border: [] } });
  for (const cells of shown) table.push(cells);
  return [...table.toString().split('\n'), ...more];
}

/** Column widths that fit `width`, or undefined when the columns' longest words alone do not. */
function fitWidths(columns: readonly string[], rows: readonly string[][], width: number): number[] | undefined {
  const longestWord = (text: string) => Math.max(0, ...text.split(/\s+/).map((word) => stringWidth(word)));
  const natural = columns.map((column, i) => Math.max(stringWidth(column), ...rows.map((cells) => stringWidth(cells[i]!))) + 2);
  const floor = columns.map((column, i) => Math.min(natural[i]!, Math.max(stringWidth(column), ...rows.map((cells) => longestWord(cells[i]!))) + 2));
  const budget = width - (columns.length + 1);
  if (floor.reduce((a, b) => a + b, 0) > budget) return undefined;
  const widths = [...natural];
  while (widths.reduce((a, b) => a + b, 0) > budget) {
    const widest = widths.reduce((best, w, i) => (w - floor[i]! > widths[best]! - floor[best]! ? i : best), 0);
    widths[widest]!--;
  }
  return widths;
}

function wrap(text: string, columns: number, indent: string, firstIndent = ''): string {
  return wrapAnsi(text, columns - indent.length, { hard: false, trim: true })
    .split('\n')
    .map((line, i) => `${i === 0 ? firstIndent : indent}${line}`)
    .join('\n');
}

function firstSentence(text: string): string {
  const end = text.search(/\.(?:\s|$)/);
  return end === -1 ? text : text.slice(0, end + 1);
}

function truncateCell(text: string): string {
  return text.length > 120 ? `${text.slice(0, 119)}…` : text;
}
