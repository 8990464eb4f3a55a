import { z } from 'zod';
import { boundsOptions, defineCheck, type FindingDraft } from '../types.js';
import { AUTH_FAILURE_PHRASES, authFailureOf } from '../../sources/logs/auth-failures.js';
import { loggedStatement } from '../../sources/logs/statements.js';
import type { LogRecord } from '../../sources/logs/prefix.js';
import type { Level } from '../../status.js';

const METRICS = ['failedAuth', 'drop', 'alter', 'connections'] as const;
type Metric = (typeof METRICS)[number];
type Counts = Record<Metric, number>;

const LABELS: Record<Metric, string> = { failedAuth: 'failed authentications', drop: 'DROP statements', alter: 'ALTER statements', connections: 'connections authorized' };

/** FilterLogEvents matches phrases case-sensitively, so both spellings of the SQL keywords are asked for. */
const PHRASES = [...AUTH_FAILURE_PHRASES, 'connection authorized', 'DROP', 'drop', 'ALTER', 'alter'];
const STATEMENT_KEYWORD = /(?:^|;)\s*(DROP|ALTER)\b/gi;

interface SummaryData {
  origin: string;
  current: Counts;
  previous: Counts;
  byDay: Array<{ day: string } & Counts>;
  unparsed: number;
}

export default defineCheck({
  meta: {
    id: 'monthly.log-summary',
    title: 'Monthly log summary with the change from the previous window',
    area: 'monitoring',
    cadence: 'monthly',
    sources: ['logs'],
    sees: 'window',
    runbook: 'Monthly Security Audit §5: Review and Analyze Logs',
    remediation:
      'Explain each rise: failed logins by user and address (dbsec daily, dbsec respond failed-auth), DROP/ALTER against change tickets (dbsec weekly), new connection sources against the deployment history.',
  },
  options: z.object({
    /** Growth in percent over the previous window of the same length; growth from zero counts as from one. */
    ...boundsOptions(100, 900),
    /** A metric below this count in the window is never a finding, whatever its growth. */
    minCount: z.number().int().nonnegative().default(10),
  }),
  async collect(ctx): Promise<SummaryData> {
    const length = ctx.window.to.getTime() - ctx.window.from.getTime();
    const previousFrom = new Date(ctx.window.from.getTime() - length);
    const scan = await ctx.scanLogs(PHRASES, { from: previousFrom, to: ctx.window.to });
    const current = zero();
    const previous = zero();
    const days = new Map<string, Counts>();
    for await (const record of scan.records) {
      const counts = countsOf(record);
      if (!counts || !record.time) continue;
      const inCurrent = record.time >= ctx.window.from;
      add(inCurrent ? current : previous, counts);
      if (inCurrent) {
        const day = record.time.toISOString().slice(0, 10);
        add(days.get(day) ?? days.set(day, zero()).get(day)!, counts);
      }
    }
    const byDay = [...days].sort(([a], [b]) => a.localeCompare(b)).map(([day, counts]) => ({ day, ...counts }));
    return { origin: scan.origin, current, previous, byDay, unparsed: scan.stats.unparsed };
  },
  evaluate({ origin, current, previous, byDay, unparsed }, options): FindingDraft[] {
    const rows = METRICS.map((metric) => {
      const growth = ((current[metric] - previous[metric]) / Math.max(previous[metric], 1)) * 100;
      const level: Level =
        current[metric] < options.minCount ? 'ok' : growth > options.investigateAbove ? 'investigate' : growth > options.monitorAbove ? 'monitor' : 'ok';
      return { metric, current: current[metric], previous: previous[metric], growth, level };
    });
    const totals = rows.map((r) => `${r.current} ${LABELS[r.metric]} (${change(r)})`).join(', ');
    const skippedLines = unparsed > 0 ? ` ${unparsed} lines did not match the log_line_prefix.` : '';
    const rising = rows.filter((r) => r.level !== 'ok');
    if (rising.length > 0) {
      return rising.map((r) => ({
        status: r.level,
        resource: `${origin} ${r.metric}`,
        title: `${r.current} ${LABELS[r.metric]}, ${change(r)} on the previous window`,
        summary: `The previous window of the same length had ${r.previous}. Window totals: ${totals}.${skippedLines}`,
        value: r.current,
        expected: `growth at most ${options.monitorAbove}%`,
        evidence: byDay.map((d) => ({ ...d })),
      }));
    }
    return [{ status: 'ok', resource: origin, title: 'No log metric rose beyond its bound', summary: `${totals}.${skippedLines}`, value: current.failedAuth, evidence: byDay.map((d) => ({ ...d })) }];
  },
});

function countsOf(record: LogRecord): Counts | undefined {
  const counts = zero();
  if (authFailureOf(record)) counts.failedAuth = 1;
  else if (record.message.startsWith('connection authorized')) counts.connections = 1;
  else {
    const statement = loggedStatement(record.message);
    if (!statement) return undefined;
    for (const [, keyword] of statement.matchAll(STATEMENT_KEYWORD)) counts[keyword!.toLowerCase() as 'drop' | 'alter']++;
  }
  return counts;
}

function zero(): Counts {
  return { failedAuth: 0, drop: 0, alter: 0, connections: 0 };
}

function add(into: Counts, counts: Counts): void {
  for (const metric of METRICS) into[metric] += counts[metric];
}

function change(row: { current: number; previous: number; growth: number }): string {
  if (row.previous === 0) return row.current === 0 ? 'unchanged' : 'none before';
  const sign = row.growth >= 0 ? '+' : '';
  return `${sign}${Math.round(row.growth)}%`;
}
