import pRetry, { AbortError } from 'p-retry';
import { AwsDenied, awsCall, type AwsClients } from '../aws.js';
import { DbsecError } from '../../errors.js';
import type { TimeWindow } from '../../time.js';
import { eventText } from './cloudwatch-reader.js';
import type { CheckContext } from '../../context.js';

/**
 * CloudWatch Logs Insights: counts computed where the logs live, over up to 50 log groups per query (a region's
 * instances in one), instead of every matching event pulled through FilterLogEvents to this machine.
 */

/** Log groups one StartQuery may name. */
const MAX_GROUPS_PER_QUERY = 50;
/** Rows one query may return (StartQuery's limit). */
export const MAX_QUERY_ROWS = 10_000;
/** How long a query may run before dbsec stops it (Insights' own limit is 60 minutes). */
const QUERY_DEADLINE_MS = 10 * 60_000;
const FIRST_POLL_MS = 500;
const LONGEST_POLL_MS = 5_000;
/** Enough polls to outlast the deadline (p-retry lays out every wait in advance, so never Infinity). */
const MOST_POLLS = Math.ceil(QUERY_DEADLINE_MS / LONGEST_POLL_MS) + 10;

export type InsightsRow = Record<string, string>;

interface InsightsQuery {
  logGroups: readonly string[];
  window: TimeWindow;
  /** One command per line, each after the first starting with "| ". */
  query: string;
  limit?: number;
}

/** A query that was stopped or gave up: the rows it had are not a count. */
class StillRunning extends Error {}

/**
 * Runs one query to the end: StartQuery, then GetQueryResults polled with backoff (p-retry: 0.5 s growing to 5 s)
 * until Complete, within QUERY_DEADLINE_MS. Ctrl-C (the signal) or the deadline stops it on the service (StopQuery),
 * so it does not go on scanning, and billing, after dbsec has gone.
 */
export async function runInsightsQuery(aws: AwsClients, request: InsightsQuery, signal?: AbortSignal): Promise<InsightsRow[]> {
  const { sdk, client } = await aws.logs();
  const started = await awsCall('logs:StartQuery', () =>
    client.send(
      new sdk.StartQueryCommand({
        logGroupNames: [...request.logGroups],
        // Insights takes whole seconds, both ends included: the seconds inside the window, never one outside it (an
        // event in the fraction of a second at either edge is left out).
        startTime: Math.ceil(request.window.from.getTime() / 1000),
        endTime: Math.floor(request.window.to.getTime() / 1000),
        queryString: request.query,
        limit: request.limit ?? MAX_QUERY_ROWS,
      }),
    ),
  );
  const queryId = started.queryId!;
  const stop = () => awsCall('logs:StopQuery', () => client.send(new sdk.StopQueryCommand({ queryId }))).catch(() => undefined);
  try {
    const done = await pRetry(
      async () => {
        const reply = await awsCall('logs:GetQueryResults', () => client.send(new sdk.GetQueryResultsCommand({ queryId })));
        if (reply.status === 'Complete') return reply;
        if (reply.status === 'Scheduled' || reply.status === 'Running' || reply.status === 'Unknown') throw new StillRunning();
        throw new AbortError(new DbsecError(`The Logs Insights query over ${request.logGroups.length} log group(s) ended ${reply.status}; run it again, or narrow the window with --since.`));
      },
      { retries: MOST_POLLS, factor: 1.5, minTimeout: FIRST_POLL_MS, maxTimeout: LONGEST_POLL_MS, maxRetryTime: QUERY_DEADLINE_MS, shouldRetry: (err) => err instanceof StillRunning, ...(signal ? { signal } : {}) },
    );
    return (done.results ?? []).map((fields) => Object.fromEntries(fields.filter((f) => f.field).map((f) => [f.field!, f.value ?? ''])));
  } catch (err) {
    await stop();
    if (err instanceof StillRunning) throw new DbsecError(`The Logs Insights query over ${request.logGroups.length} log group(s) did not complete within ${QUERY_DEADLINE_MS / 60_000} minutes and was stopped; narrow the window with --since.`);
    if (signal?.aborted) throw new DbsecError('The Logs Insights query was stopped: dbsec was interrupted.');
    throw err;
  }
}

/** The log group of a row's @log ("123456789012:/aws/rds/instance/db/postgresql"). */
function groupOf(row: InsightsRow): string {
  const log = row['@log'] ?? '';
  return /^\d{12}:/.test(log) ? log.slice(13) : log;
}

/** Groups in batches a query may name. */
function queryBatches(groups: readonly string[]): string[][] {
  const batches: string[][] = [];
  for (let i = 0; i < groups.length; i += MAX_GROUPS_PER_QUERY) batches.push(groups.slice(i, i + MAX_GROUPS_PER_QUERY));
  return batches;
}

interface OwnRows {
  /** Per query, the rows of this target's log group. */
  rows: InsightsRow[][];
  /** Per query, whether its batch filled the rows a query may return: its counts would be short. */
  full: boolean[];
  /** The queries as sent, to run again in the console. */
  queries: string[];
}

/**
 * Runs the queries over this target's CloudWatch log group and those of the run's other targets in its account and
 * region, 50 groups a query, once for all of them (the first target to ask runs them; the others share the answer);
 * each target gets the rows of its own group.
 */
export async function queriesForRegion(ctx: CheckContext, name: string, queries: ReadonlyArray<{ query: string; window: TimeWindow }>): Promise<OwnRows> {
  const { own, peers } = await ctx.cloudWatchGroups();
  const groups = [...new Set([own, ...peers])].sort();
  const aws = ctx.aws();
  const key = `insights:${name} ${groups.join(',')} ${queries.map((q) => `${q.window.from.toISOString()}/${q.window.to.toISOString()}`).join(' ')}`;
  const region = await aws.shared(key, async () => {
    const byQuery = queries.map(() => ({ rows: new Map<string, InsightsRow[]>(), full: new Set<string>() }));
    for (const batch of queryBatches(groups)) {
      const answers = await Promise.all(queries.map((q) => runInsightsQuery(aws, { logGroups: batch, window: q.window, query: q.query }, ctx.signal)));
      answers.forEach((rows, i) => {
        for (const row of rows) {
          const group = groupOf(row);
          (byQuery[i]!.rows.get(group) ?? byQuery[i]!.rows.set(group, []).get(group)!).push(row);
        }
        if (rows.length >= MAX_QUERY_ROWS) for (const group of batch) byQuery[i]!.full.add(group);
      });
    }
    return byQuery;
  });
  return { rows: region.map((q) => q.rows.get(own) ?? []), full: region.map((q) => q.full.has(own)), queries: queries.map((q) => q.query) };
}

/**
 * The answer, or the sentence saying Logs Insights was refused (a policy without logs:StartQuery): the check then reads
 * the events instead, as before, and says so.
 */
export async function unlessRefused<T>(run: () => Promise<T>): Promise<{ answer?: T; refused: string }> {
  try {
    return { answer: await run(), refused: '' };
  } catch (err) {
    if (!(err instanceof AwsDenied)) throw err;
    return { refused: ' Logs Insights was refused (logs:StartQuery), so the events were read instead; allow logs:StartQuery, logs:GetQueryResults and logs:StopQuery to count where the log lives.' };
  }
}

/**
 * Logged statements (log_statement's own lines, not "duration: … statement:") that are plain application reads and
 * writes: SELECT, INSERT, UPDATE or DELETE with no call (no "("), no second statement and no INTO. They can be no use case (unless views, sensitive or large tables are
 * configured), and a busy server logs millions of them.
 */
const PLAIN_DML = '/(?i)LOG: +(statement|execute [^:]*): +(select|insert|update|delete)\\b[^(;]*;?\\s*$/';
const HAS_INTO = '/(?i)\\binto\\b/';
const PLAIN_COMMAND = '/(?i)LOG: +(statement|execute [^:]*): +(?<command>select|insert|update|delete)\\b/';

/** Names a query may list: past this, or with a name no regular expression should hold, nothing is dropped. */
const MAX_KEPT_NAMES = 200;

/**
 * The queries that drop plain reads and writes where the log lives, keeping those that name a table or view to
 * watch (views, sensitive and large tables, as bare names); undefined when the names cannot go in a query.
 */
export function plainDmlQueries(watched: readonly string[]): { without: string; count: string } | undefined {
  const names = [...new Set(watched.map((name) => name.toLowerCase().split('.').pop()!))];
  if (names.length > MAX_KEPT_NAMES || names.some((name) => !/^[a-z_][a-z0-9_$]*$/.test(name))) return undefined;
  const mentions = names.length > 0 ? `/(?i)\\b(${names.join('|')})\\b/` : undefined;
  return {
    without: ['fields @timestamp, @message', `| filter @message not like ${PLAIN_DML} or @message like ${HAS_INTO}${mentions ? ` or @message like ${mentions}` : ''}`, '| sort @timestamp asc'].join('\n'),
    count: ['fields @message', `| filter @message like ${PLAIN_DML} and @message not like ${HAS_INTO}${mentions ? ` and @message not like ${mentions}` : ''}`, `| parse @message ${PLAIN_COMMAND}`, '| stats count(*) as n by command'].join('\n'),
  };
}

export interface ServerSideFilter {
  queries: { without: string; count: string };
  /** The plain reads and writes left on the server, by command word. */
  onPlain(command: string, count: number): void;
  /** A single second whose lines fill a query: those beyond the limit were not read. */
  onFull(second: Date): void;
  signal?: AbortSignal;
}

/**
 * A log group's events in the window less the plain reads and writes, which Logs Insights drops where the log lives
 * and only counts: as log text for the same readers as a file. A slice of the window whose rows fill a query is split
 * in two until each fits, so nothing is cut off; a single second that still fills one is said (onFull).
 */
export async function* insightsText(aws: AwsClients, logGroup: string, window: TimeWindow, filter: ServerSideFilter): AsyncGenerator<Buffer> {
  const query = (text: string, slice: TimeWindow) => runInsightsQuery(aws, { logGroups: [logGroup], window: slice, query: text }, filter.signal);
  for (const row of await query(filter.queries.count, window)) filter.onPlain((row.command ?? '?').toUpperCase(), Number(row.n));
  const slices: TimeWindow[] = [window];
  while (slices.length > 0) {
    const slice = slices.shift()!;
    const rows = await query(filter.queries.without, slice);
    const seconds = Math.floor(slice.to.getTime() / 1000) - Math.ceil(slice.from.getTime() / 1000);
    if (rows.length >= MAX_QUERY_ROWS && seconds < 1) filter.onFull(new Date(Math.ceil(slice.from.getTime() / 1000) * 1000));
    if (rows.length >= MAX_QUERY_ROWS && seconds >= 1) {
      // Halves that meet on a whole second: each second is read once.
      const middle = new Date(Math.ceil(slice.from.getTime() / 1000) * 1000 + Math.ceil(seconds / 2) * 1000);
      slices.unshift({ from: slice.from, to: new Date(middle.getTime() - 1) }, { from: middle, to: slice.to });
      continue;
    }
    if (rows.length > 0) yield Buffer.from(`${rows.map((row) => eventText(row['@message'] ?? '')).join('\n')}\n`);
  }
}
