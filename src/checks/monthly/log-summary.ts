import { counted } from '../../plural.js';
import { z } from 'zod';
import { boundsOptions, defineCheck, type FindingDraft } from '../types.js';
import { AUTH_FAILURE_PHRASES, authFailureOf } from '../../sources/logs/auth-failures.js';
import { keywordPhrases } from '../../sql/logged-statements.js';
import { insightsTally, METRICS, Tallier, type Metric, type Tally } from './log-counts.js';
import { unlessRefused } from '../../sources/logs/insights.js';
import type { LogRecord } from '../../sources/logs/record.js';
import { skippedInput } from '../../sources/logs/pipeline.js';
import type { Level } from '../../status.js';

/** Each metric's noun, singular and plural. */
const LABELS: Record<Metric, [string, string]> = {
  failedAuth: ['failed authentication', 'failed authentications'],
  drop: ['DROP statement', 'DROP statements'],
  alter: ['ALTER statement', 'ALTER statements'],
  connections: ['connection authorized', 'connections authorized'],
};

/** Candidates for the server-side filter; PostgreSQL's parser decides which lines hold a DROP or an ALTER. */
const PHRASES = [...AUTH_FAILURE_PHRASES, 'connection authorized', ...keywordPhrases(['DROP', 'ALTER'])];

interface SummaryData extends Tally {
  origin: string;
  /** A sentence about the read: what it left out, or that Logs Insights counted (or ''). */
  note: string;
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
    /** false: count a CloudWatch log from its events (FilterLogEvents) rather than with Logs Insights queries. */
    insights: z.boolean().default(true),
  }),
  async collect(ctx, options): Promise<SummaryData> {
    const length = ctx.window.to.getTime() - ctx.window.from.getTime();
    const previousFrom = new Date(ctx.window.from.getTime() - length);
    // A CloudWatch log is counted where it lives (Logs Insights), unless the config asks for the events themselves.
    const tried = options.insights && ctx.target.logFiles.length === 0 && ctx.target.logGroup ? await unlessRefused(() => insightsTally(ctx, previousFrom)) : { refused: '' };
    if (tried.answer) return { origin: ctx.target.logGroup!, ...tried.answer, note: ' Counted by CloudWatch Logs Insights, where the log lives (--verbose shows the queries).' };
    const scan = await ctx.scanLogs(PHRASES, { from: previousFrom, to: ctx.window.to });
    const tallier = new Tallier(ctx.window.from);
    const sessions = tap(scan.records, (record) => {
      if (authFailureOf(record)) tallier.add(record.time, 'failedAuth');
      else if (record.message.startsWith('connection authorized')) tallier.add(record.time, 'connections');
    });
    await tallier.addStatements(sessions);
    return { origin: scan.origin, ...tallier.tally(), note: `${skippedInput(scan.stats)}${tried.refused}` };
  },
  evaluate({ origin, current, previous, byDay, note, queries }, options): FindingDraft[] {
    const rows = METRICS.map((metric) => {
      const growth = ((current[metric] - previous[metric]) / Math.max(previous[metric], 1)) * 100;
      const level: Level =
        current[metric] < options.minCount ? 'ok' : growth > options.investigateAbove ? 'investigate' : growth > options.monitorAbove ? 'monitor' : 'ok';
      return { metric, current: current[metric], previous: previous[metric], growth, level };
    });
    const totals = rows.map((r) => `${counted(r.current, ...LABELS[r.metric])} (${change(r)})`).join(', ');
    const rising = rows.filter((r) => r.level !== 'ok');
    if (rising.length > 0) {
      return rising.map((r) => ({
        status: r.level,
        resource: `${origin} ${r.metric}`,
        title: `${counted(r.current, ...LABELS[r.metric])}, ${change(r)} on the previous window`,
        summary: `The previous window of the same length had ${r.previous}. Window totals: ${totals}.${note}`,
        value: r.current,
        expected: `growth at most ${options.monitorAbove}%`,
        evidence: byDay.map((d) => ({ ...d })),
        ...(queries ? { queries } : {}),
      }));
    }
    return [{ status: 'ok', resource: origin, title: 'No log metric rose beyond its bound', summary: `${totals}.${note}`, value: current.failedAuth, evidence: byDay.map((d) => ({ ...d })), ...(queries ? { queries } : {}) }];
  },
});

/** The records as they pass, each shown to `see` first. */
async function* tap(records: AsyncIterable<LogRecord>, see: (record: LogRecord) => void): AsyncGenerator<LogRecord> {
  for await (const record of records) {
    see(record);
    yield record;
  }
}

function change(row: { current: number; previous: number; growth: number }): string {
  if (row.previous === 0) return row.current === 0 ? 'unchanged' : 'none before';
  const sign = row.growth >= 0 ? '+' : '';
  return `${sign}${Math.round(row.growth)}%`;
}
