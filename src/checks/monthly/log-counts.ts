import type { CheckContext } from '../../context.js';
import { forEachLoggedStatement } from '../../sql/logged-statements.js';
import { readRecords } from '../../sources/logs/formats.js';
import { eventText } from '../../sources/logs/cloudwatch-reader.js';
import { queriesForRegion, type InsightsRow } from '../../sources/logs/insights.js';
import { newLogStats, type LogRecord } from '../../sources/logs/record.js';

/** What the monthly log summary counts, in the window and in the previous window of the same length. */
export const METRICS = ['failedAuth', 'drop', 'alter', 'connections'] as const;
export type Metric = (typeof METRICS)[number];
export type Counts = Record<Metric, number>;

function zero(): Counts {
  return { failedAuth: 0, drop: 0, alter: 0, connections: 0 };
}

export interface Tally {
  current: Counts;
  previous: Counts;
  byDay: Array<{ day: string } & Counts>;
  /** The Logs Insights queries the counts came from, to run again in the console. */
  queries?: string[];
}

/** Adds up records into the window's and the previous window's counts, the window's by UTC day. */
export class Tallier {
  readonly current = zero();
  readonly previous = zero();
  private readonly days = new Map<string, Counts>();

  constructor(private readonly windowFrom: Date) {}

  /** One record at its time. */
  add(time: Date | undefined, metric: Metric): void {
    if (time) this.count(time >= this.windowFrom, metric, 1, time.toISOString().slice(0, 10));
  }

  /** A count already made (by Insights), in the window (on its day) or in the previous window. */
  count(inCurrent: boolean, metric: Metric, count: number, day?: string): void {
    (inCurrent ? this.current : this.previous)[metric] += count;
    if (inCurrent && day) (this.days.get(day) ?? this.days.set(day, zero()).get(day)!)[metric] += count;
  }

  /** DROP and ALTER among the records, by PostgreSQL's parser. */
  async addStatements(records: AsyncIterable<LogRecord>): Promise<void> {
    await forEachLoggedStatement(records, (record, { command }) => {
      if (command.startsWith('DROP ')) this.add(record.time, 'drop');
      else if (command.startsWith('ALTER ')) this.add(record.time, 'alter');
    });
  }

  tally(): Tally {
    return { current: this.current, previous: this.previous, byDay: [...this.days].sort(([a], [b]) => a.localeCompare(b)).map(([day, counts]) => ({ day, ...counts })) };
  }
}

/** Failed logins (FATAL) and authorized connections (LOG), as Insights finds them in RDS's postgresql log lines. */
const SESSION_LINES = '/(FATAL|LOG): +(\\w+ authentication failed for user|no pg_hba\\.conf entry|connection authorized)/';
const SESSION_KIND = '/(?<level>FATAL|LOG): +(?<kind>\\w+ authentication failed|no pg_hba\\.conf entry|connection authorized)/';
/** Candidates only: PostgreSQL's parser, here, decides which hold a DROP or an ALTER. */
const DDL_CANDIDATES = '/(?i)(statement|execute [^:]*|AUDIT): .*\\b(drop|alter)\\b/';

export function sessionCountsQuery(byDay: boolean): string {
  return [`fields @log`, `| filter @message like ${SESSION_LINES}`, `| parse @message ${SESSION_KIND}`, `| stats count(*) as n by @log, level, kind${byDay ? ', bin(1d) as day' : ''}`].join('\n');
}

const DDL_CANDIDATES_QUERY = ['fields @log, @timestamp, @message', `| filter @message like ${DDL_CANDIDATES}`, '| sort @timestamp asc'].join('\n');

/**
 * The log summary's counts from CloudWatch Logs Insights, asked once for the run's targets in the account and region
 * (queriesForRegion). Undefined when the DDL candidates of its batch filled a query (the caller then reads the
 * events themselves).
 */
export async function insightsTally(ctx: CheckContext, previousFrom: Date): Promise<Tally | undefined> {
  const window = ctx.window;
  const previous = { from: previousFrom, to: new Date(window.from.getTime() - 1) };
  const answer = await queriesForRegion(ctx, 'log-summary', [
    { query: sessionCountsQuery(true), window },
    { query: sessionCountsQuery(false), window: previous },
    { query: DDL_CANDIDATES_QUERY, window: { from: previousFrom, to: window.to } },
  ]);
  if (answer.full[2]) return undefined;
  const [current, before, ddl] = answer.rows as [InsightsRow[], InsightsRow[], InsightsRow[]];
  const tallier = new Tallier(window.from);
  for (const row of current) tallier.count(true, metricOf(row), Number(row.n), row.day?.slice(0, 10));
  for (const row of before) tallier.count(false, metricOf(row), Number(row.n));
  const candidates = ddl.map((row) => eventText(row['@message'] ?? ''));
  if (candidates.length > 0) await tallier.addStatements(recordsOf(candidates, await ctx.logLinePrefixes()));
  return { ...tallier.tally(), queries: answer.queries };
}

function metricOf(row: InsightsRow): Metric {
  return row.level === 'LOG' ? 'connections' : 'failedAuth';
}

/** The candidate lines as records, through the same reader as a file's. */
async function* recordsOf(lines: string[], prefixes: string | string[]): AsyncGenerator<LogRecord> {
  const text = (async function* () {
    yield Buffer.from(`${lines.join('\n')}\n`);
  })();
  for await (const batch of readRecords(text, 'auto', prefixes, newLogStats())) yield* batch;
}
