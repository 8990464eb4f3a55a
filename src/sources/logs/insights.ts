import pRetry, { AbortError } from 'p-retry';
import { awsCall, type AwsClients } from '../aws.js';
import { DbsecError } from '../../errors.js';
import type { TimeWindow } from '../../time.js';

/**
 * CloudWatch Logs Insights: counts computed where the logs live, over up to 50 log groups per query (a region's
 * instances in one), instead of every matching event pulled through FilterLogEvents to this machine.
 */

/** Log groups one StartQuery may name. */
export const MAX_GROUPS_PER_QUERY = 50;
/** Rows one query may return (StartQuery's limit). */
export const MAX_QUERY_ROWS = 10_000;
/** How long a query may run before dbsec stops it (Insights' own limit is 60 minutes). */
const QUERY_DEADLINE_MS = 10 * 60_000;
const FIRST_POLL_MS = 500;
const LONGEST_POLL_MS = 5_000;
/** Enough polls to outlast the deadline (p-retry lays out every wait in advance, so never Infinity). */
const MOST_POLLS = Math.ceil(QUERY_DEADLINE_MS / LONGEST_POLL_MS) + 10;

export type InsightsRow = Record<string, string>;

export interface InsightsQuery {
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
        // Insights takes whole seconds; the end is widened so the window's last second is in.
        startTime: Math.floor(request.window.from.getTime() / 1000),
        endTime: Math.ceil(request.window.to.getTime() / 1000),
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
export function groupOf(row: InsightsRow): string {
  const log = row['@log'] ?? '';
  return /^\d{12}:/.test(log) ? log.slice(13) : log;
}

/** Groups in batches a query may name. */
export function queryBatches(groups: readonly string[]): string[][] {
  const batches: string[][] = [];
  for (let i = 0; i < groups.length; i += MAX_GROUPS_PER_QUERY) batches.push(groups.slice(i, i + MAX_GROUPS_PER_QUERY));
  return batches;
}
