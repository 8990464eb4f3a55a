import { awsCall } from '../aws.js';
import type { AwsClients } from '../aws.js';
import { DbsecError } from '../../errors.js';
import type { TimeWindow } from '../../time.js';
import type { ReadStats } from './file-reader.js';
import { compilePrefix, type LogRecord } from './prefix.js';

/** CloudWatch Logs filter pattern matching any of the phrases, e.g. ?"authentication failed" ?"no pg_hba.conf entry". */
export function filterPatternFor(terms: readonly string[]): string | undefined {
  if (terms.length === 0) return undefined;
  const quoted = terms.map((term) => `"${term.replace(/"/g, '\\"')}"`);
  return quoted.length === 1 ? quoted[0] : quoted.map((q) => `?${q}`).join(' ');
}

/** The log group as DescribeLogGroups lists it (retention, size), or undefined when it does not exist. */
export async function describeLogGroup(aws: AwsClients, logGroup: string) {
  const { sdk, client } = await aws.logs();
  const reply = await awsCall('logs:DescribeLogGroups', () =>
    client.send(new sdk.DescribeLogGroupsCommand({ logGroupNamePrefix: logGroup, limit: 5 })),
  );
  return reply.logGroups?.find((group) => group.logGroupName === logGroup);
}

export async function assertLogGroupExists(aws: AwsClients, logGroup: string): Promise<void> {
  if (!(await describeLogGroup(aws, logGroup))) {
    throw new DbsecError(`The log group ${logGroup} does not exist in ${aws.region}: no log line can be checked; enable the postgresql log export or pass --log-group.`);
  }
}

/**
 * Streams the events of a log group in the window, filtered server-side; FilterLogEvents times are epoch
 * milliseconds and a page may be empty yet carry a token, which the paginator follows.
 */
export async function* readLogGroup(
  aws: AwsClients,
  logGroup: string,
  window: TimeWindow,
  terms: readonly string[],
  logLinePrefix: string,
  stats: ReadStats,
): AsyncGenerator<LogRecord> {
  const { sdk, client } = await aws.logs();
  const parser = compilePrefix(logLinePrefix);
  const pages = sdk.paginateFilterLogEvents(
    { client },
    {
      logGroupName: logGroup,
      startTime: window.from.getTime(),
      endTime: window.to.getTime(),
      filterPattern: filterPatternFor(terms),
    },
  );
  const iterator = pages[Symbol.asyncIterator]();
  for (;;) {
    const next = await awsCall('logs:FilterLogEvents', () => iterator.next());
    if (next.done) return;
    for (const event of next.value.events ?? []) {
      stats.lines++;
      const record = parser.parse(event.message ?? '');
      if (!record) {
        stats.unparsed++;
        continue;
      }
      stats.records++;
      if (!record.time && event.timestamp !== undefined) record.time = new Date(event.timestamp);
      yield record;
    }
  }
}
