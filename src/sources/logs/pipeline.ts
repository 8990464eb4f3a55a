import { stat } from 'node:fs/promises';
import { glob, isDynamicPattern } from 'tinyglobby';
import type { Clock } from '../../clock.js';
import { DbsecError } from '../../errors.js';
import type { TimeWindow } from '../../time.js';
import type { AwsClients } from '../aws.js';
import { cloudWatchText } from './cloudwatch-reader.js';
import { insightsText, type ServerSideFilter } from './insights.js';
import { DENSE_READ_BYTES, SPARSE_READ_BYTES, openLog, readFailure } from './file-reader.js';
import { followFile } from './follow.js';
import { readRecords } from './formats.js';
import { inWindow } from './window.js';
import { planShards, readShards, type ShardPlan } from './shards.js';
import type { LogFormat, LogRecord, LogStats } from './record.js';

/**
 * The one road from a log to records, for every check and for `dbsec activity`: files (plain or .gz, in the order
 * given), stdin ("-") or a CloudWatch log group; stderr with any log_line_prefix, csvlog or jsonlog; the same record
 * model, window and counts whoever reads.
 */
export interface LogPlan {
  files: readonly string[];
  logGroup?: string;
  aws?: () => AwsClients;
  format: LogFormat | 'auto';
  /** The log_line_prefix for stderr logs, or candidates to choose from by the log's first lines. */
  prefix: string | readonly string[];
  /** Records outside it are counted and dropped; undefined reads whole files. */
  window?: TimeWindow;
  /** The run's time: records stamped after it are counted apart (clock skew, a wrong log_timezone). */
  now: Date;
  /**
   * What the caller looks for: the server-side filter for CloudWatch Logs, and for stderr logs the lines worth
   * parsing (any case; session lines always). The caller filters records itself. Empty: everything.
   */
  phrases: readonly string[];
  /** The caller keeps most lines whatever the phrases (activity): the log is read in smaller pieces. */
  dense?: boolean;
  /** Keep reading what is appended (files, rotation too) or newly delivered (CloudWatch) until the signal aborts. */
  follow?: { clock: Clock; signal: AbortSignal };
  /** The role dbsec connects as: records of sessions named dbsec under this role are dbsec's own, left out. */
  ownRole?: string;
  /**
   * A CloudWatch log read once (not followed): Logs Insights drops the plain reads and writes where the log lives and
   * hands over their counts (activity; see insightsText).
   */
  plainDmlOnServer?: ServerSideFilter;
  /** Large stderr files are read by worker threads, ordinary statements arriving as tallies (activity; see shards.ts). */
  shards?: ShardPlan;
}

/** One input of a plan: a file, stdin or the log group, read when iterated, in batches of records. */
export interface LogInput {
  name: string;
  batches(stats: LogStats): AsyncIterable<LogRecord[]>;
}

/**
 * With a log_line_prefix that has no client address (%r or %h), a session's "connection received" line travels with
 * a CloudWatch filter: it carries the address the lines that matter leave out.
 */
function sessionPhrases(prefix: string | readonly string[]): string[] {
  const known = typeof prefix === 'string' ? prefix : prefix.length === 1 ? prefix[0]! : undefined;
  return known !== undefined && /%-?\d*[rh]/.test(known) ? [] : ['connection received'];
}

export function logInputs(plan: LogPlan): LogInput[] {
  if (plan.files.length > 0) {
    return plan.files.map((path) => ({
      name: path === '-' ? 'stdin' : path,
      batches: (stats) => fileRecords(path, plan, stats),
    }));
  }
  if (!plan.logGroup || !plan.aws || !plan.window) throw new DbsecError('No log to read: pass --log-file FILE (or - for stdin), or --rds-instance ID for its CloudWatch log group.');
  const { logGroup, aws, window } = plan;
  const phrases = plan.phrases.length > 0 ? [...new Set([...plan.phrases, ...sessionPhrases(plan.prefix)])] : [];
  const server = plan.follow ? undefined : plan.plainDmlOnServer;
  const text = () => (server ? insightsText(aws(), logGroup, window, server) : cloudWatchText(aws(), logGroup, window, { phrases, follow: plan.follow?.clock, signal: plan.follow?.signal }));
  return [{ name: logGroup, batches: (stats) => inWindow(readRecords(text(), plan.format, plan.prefix, stats, { now: plan.now }), plan, stats) }];
}

/** A file, stdin, or each file a glob pattern matches in rotation order; with follow, the newest is followed. */
async function* fileRecords(pattern: string, plan: LogPlan, stats: LogStats): AsyncGenerator<LogRecord[]> {
  const paths = await filesOf(pattern);
  const bytesBefore = stats.bytes;
  const wanted = wantedLines(plan.phrases);
  for (const [index, path] of paths.entries()) {
    const follow = plan.follow && path !== '-' && index === paths.length - 1;
    try {
      const sharded = follow ? undefined : await planShards(path, plan, wanted);
      if (sharded) {
        yield* readShards(path, sharded, plan, wanted, stats);
        continue;
      }
      const chunks = follow ? followFile(path, plan.follow!.signal) : ((await openLog(path, plan.dense || plan.phrases.length === 0 ? DENSE_READ_BYTES : SPARSE_READ_BYTES)) as AsyncIterable<Buffer>);
      yield* inWindow(readRecords(chunks, plan.format, plan.prefix, stats, { wanted, now: plan.now }), plan, stats);
    } catch (err) {
      throw err instanceof DbsecError ? err : readFailure(path, err);
    }
  }
  // Nothing at all to read is not a quiet log: the wrong file, or one rotated away. A followed file may fill later.
  if (stats.bytes === bytesBefore && !plan.follow) {
    const name = pattern === '-' ? 'stdin' : pattern;
    throw new DbsecError(`${name} is empty: there is no log line to review; check that it is the server's log for the window (log_destination, logging_collector) and was not rotated away.`);
  }
}

/**
 * A path as given, or the files a glob pattern (postgresql-*.log*) matches, oldest first by modification time: the
 * order rotation wrote them, so a session's lines are read in the order they happened. No match is an error.
 */
async function filesOf(pattern: string): Promise<string[]> {
  if (pattern === '-' || !isDynamicPattern(pattern)) return [pattern];
  const paths = await glob(pattern, { onlyFiles: true, expandDirectories: false });
  if (paths.length === 0) throw new DbsecError(`No file matches --log-file ${pattern}: check the pattern (quote it so the shell leaves it to dbsec).`);
  const dated = await Promise.all(paths.map(async (path) => ({ path, time: (await stat(path)).mtimeMs })));
  return dated.sort((a, b) => a.time - b.time || a.path.localeCompare(b.path)).map((file) => file.path);
}

/** Lines a session's client, application and end are read from: always parsed, for SessionAttributes. */
const SESSION_LINES = ['connection received: ', 'connection authorized: ', 'disconnection: '];

/** The phrases of the lines worth parsing for these phrases; undefined (every line) when the caller wants all. */
function wantedLines(phrases: readonly string[]): string[] | undefined {
  return phrases.length === 0 ? undefined : [...phrases, ...SESSION_LINES];
}

/** A log none of whose lines fit the format is a reading error, never an empty (and so "ok") log. */
export function assertReadable(name: string, stats: LogStats): void {
  if (stats.lines > 0 && stats.records === 0) {
    const how = stats.format === 'stderr' || stats.format === undefined ? "matched the log_line_prefix; pass the server's prefix with --log-line-prefix (SHOW log_line_prefix)" : `was a ${stats.format} record`;
    throw new DbsecError(`None of the ${stats.lines} lines of ${name} ${how}.`);
  }
}

/** "12 lines fit no record and were skipped; 3 records outside the window…": what a count left out, or ''. */
export function skippedInput(stats: LogStats): string {
  const parts = [
    stats.skipped > 0 ? `${stats.skipped} line${stats.skipped === 1 ? '' : 's'} fit no record and ${stats.skipped === 1 ? 'was' : 'were'} skipped` : '',
    stats.truncated > 0 ? `${stats.truncated} overlong line${stats.truncated === 1 ? ' was' : 's were'} cut` : '',
    stats.future > 0 ? `${stats.future} record${stats.future === 1 ? ' is' : 's are'} stamped after the run's time (clock skew or log_timezone?)` : '',
    stats.own > 0 ? `${stats.own} record${stats.own === 1 ? '' : 's'} of dbsec's own sessions ${stats.own === 1 ? 'was' : 'were'} left out` : '',
  ].filter(Boolean);
  return parts.length ? ` ${parts.join('; ')}.` : '';
}
