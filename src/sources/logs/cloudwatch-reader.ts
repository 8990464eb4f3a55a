import { awsCall } from '../aws.js';
import type { AwsClients } from '../aws.js';
import { DbsecError } from '../../errors.js';
import type { TimeWindow } from '../../time.js';
import type { Clock } from '../../clock.js';
import { FLUSH, sleep } from './follow.js';

/** CloudWatch Logs filter pattern matching any of the phrases, e.g. ?"authentication failed" ?"no pg_hba.conf entry". */
export function filterPatternFor(terms: readonly string[]): string | undefined {
  if (terms.length === 0) return undefined;
  const quoted = terms.map((term) => `"${term.trim().replace(/"/g, '\\"')}"`);
  return quoted.length === 1 ? quoted[0] : quoted.map((q) => `?${q}`).join(' ');
}

/** RDS's log groups, listed once per account and region for a fleet. */
const RDS_LOG_GROUPS = '/aws/rds/';
/** Pages of 50 groups listed at most: a region with more RDS log groups is asked one group at a time. */
const MAX_LOG_GROUP_PAGES = 40;

/**
 * The log group as DescribeLogGroups lists it (retention, size), or undefined when it does not exist. In a fleet
 * (`listAll`) an RDS group is found in the account's and region's one listing of RDS groups.
 */
export async function describeLogGroup(aws: AwsClients, logGroup: string, listAll = false) {
  const { sdk, client } = await aws.logs();
  if (listAll && logGroup.startsWith(RDS_LOG_GROUPS)) {
    const listed = await aws.shared('logs:DescribeLogGroups /aws/rds/', () =>
      awsCall('logs:DescribeLogGroups', async () => {
        const groups = [];
        let pages = 0;
        for await (const page of sdk.paginateDescribeLogGroups({ client }, { logGroupNamePrefix: RDS_LOG_GROUPS, limit: 50 })) {
          groups.push(...(page.logGroups ?? []));
          if (++pages >= MAX_LOG_GROUP_PAGES) return undefined;
        }
        return groups;
      }),
    );
    if (listed) return listed.find((group) => group.logGroupName === logGroup);
  }
  // Asked once per group and account and region: a target's own check and its peers' queries ask about the same groups.
  const reply = await aws.shared(`logs:DescribeLogGroups ${logGroup}`, () => awsCall('logs:DescribeLogGroups', () => client.send(new sdk.DescribeLogGroupsCommand({ logGroupNamePrefix: logGroup, limit: 5 }))));
  return reply.logGroups?.find((group) => group.logGroupName === logGroup);
}

export async function assertLogGroupExists(aws: AwsClients, logGroup: string, listAll = false): Promise<void> {
  if (!(await describeLogGroup(aws, logGroup, listAll))) {
    throw new DbsecError(`The log group ${logGroup} does not exist in ${aws.region}: no log line can be checked; enable the postgresql log export or pass --log-group.`);
  }
}

/** An event's message as a file holds it: continuation lines get the TAB PostgreSQL writes in its own file. */
export function eventText(message: string): string {
  return message.replace(/\n(?!\t)/g, '\n\t');
}

export interface CloudWatchReadOptions {
  /** Server-side filter: only events holding one of these phrases (none: every event). */
  phrases: readonly string[];
  /** Keep polling for new events by the run's clock until the signal aborts (activity --follow). */
  follow?: Clock;
  signal?: AbortSignal;
  pollMs?: number;
}

/**
 * The events of a log group in the window as log text, for the same readers as a file: page by page (FilterLogEvents
 * times are epoch milliseconds; a page may be empty yet carry a token, which the paginator follows), then with
 * `follow` new ones every few seconds. Continuation lines get the TAB PostgreSQL writes in its own file.
 */
export async function* cloudWatchText(aws: AwsClients, logGroup: string, window: TimeWindow, options: CloudWatchReadOptions): AsyncGenerator<Buffer> {
  const { sdk, client } = await aws.logs();
  const { follow, signal } = options;
  const filterPattern = filterPatternFor(options.phrases);
  let from = window.from.getTime();
  const seen = new Set<string>();
  for (;;) {
    const to = follow ? follow().getTime() : window.to.getTime();
    const pages = sdk.paginateFilterLogEvents({ client }, { logGroupName: logGroup, startTime: from, endTime: to, filterPattern });
    const iterator = pages[Symbol.asyncIterator]();
    let newest = from;
    for (;;) {
      const next = await awsCall('logs:FilterLogEvents', () => iterator.next());
      if (next.done) break;
      const lines: string[] = [];
      for (const event of next.value.events ?? []) {
        if (event.eventId && seen.has(event.eventId)) continue;
        if (event.eventId && follow) seen.add(event.eventId);
        newest = Math.max(newest, event.timestamp ?? 0);
        lines.push(eventText(event.message ?? ''));
      }
      if (lines.length > 0) yield Buffer.from(`${lines.join('\n')}\n`);
    }
    if (!follow || !signal || signal.aborted) return;
    yield FLUSH;
    from = newest;
    if (seen.size > 100_000) seen.clear();
    await sleep(options.pollMs ?? 5000, signal);
    if (signal.aborted) return;
  }
}
