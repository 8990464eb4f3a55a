/**
 * The one record model of every log reader (stderr with any log_line_prefix, csvlog, jsonlog; files, stdin,
 * CloudWatch Logs): a main line with its continuation lines joined and the DETAIL that follows it.
 */
export interface LogRecord {
  time?: Date;
  user?: string;
  database?: string;
  /** The client address (%r or %h, csvlog's connection_from, jsonlog's remote_host; else the session's connection line). */
  client?: string;
  port?: string;
  pid?: number;
  /** The application name (%a, csvlog/jsonlog; else the session's `connection authorized` line). */
  application?: string;
  sessionId?: string;
  level: string;
  message: string;
  /** The lines PostgreSQL attaches to a message: DETAIL (execute's parameters), HINT, CONTEXT, and an ERROR's STATEMENT. */
  detail?: string;
  hint?: string;
  context?: string;
  statement?: string;
  /** TDengine's module (MND, DND, TAOS_ADAPTER…): set on TDengine's lines only. */
  component?: string;
  /** Set on a stand-in for ordinary statements a worker thread counted instead of shipping (level LOG, no message). */
  tally?: StatementTally;
}

/**
 * Log_statement records of no use case (src/activity/classifier.ts) that a reader counted in place of the records, in
 * their order among the records around them: what the monitor would have done with each, summed.
 */
export interface StatementTally {
  statements: number;
  /** Sub-statements, each of no use case (a log_statement line may hold several statements). */
  other: number;
  /** Statements by command word. */
  commands: Map<string, number>;
  /** Each process's last statement among them, trimmed: a pgaudit entry repeating it is the same statement. */
  lastByPid: Map<number, string>;
  /** The first and last time stamped on them (ms), for the span a report covers. */
  from?: number;
  to?: number;
}

export type LogFormat = 'stderr' | 'csvlog' | 'jsonlog' | 'syslog' | 'tdengine';
export const LOG_FORMATS = ['auto', 'stderr', 'csvlog', 'jsonlog', 'syslog', 'tdengine'] as const;

/** What a read saw: every count that skips input says how much it skipped. */
export interface LogStats {
  bytes: number;
  lines: number;
  /** Lines cut at the line size bound. */
  truncated: number;
  /** Records read (a main line with its continuation and attached lines). */
  records: number;
  /** Lines or rows that fit no record (another prefix, garbage, a broken CSV row or JSON object): counted, skipped. */
  skipped: number;
  /** Records outside the window, and those stamped after the run's time (clock skew, a wrong log_timezone). */
  outOfWindow: number;
  future: number;
  /** Lines passed over unparsed because they hold none of the phrases the reader asked for (stderr only). */
  passedOver: number;
  /** Records of dbsec's own sessions (its application name and its role), left out: dbsec never reports itself. */
  own: number;
  format?: LogFormat;
  /** The log_line_prefix a stderr log was read with (given, the server's, or found from its first lines). */
  prefix?: string;
}

export function newLogStats(): LogStats {
  return { bytes: 0, lines: 0, truncated: 0, records: 0, skipped: 0, outOfWindow: 0, future: 0, passedOver: 0, own: 0 };
}

const LOG_COUNTS = ['bytes', 'lines', 'truncated', 'records', 'skipped', 'outOfWindow', 'future', 'passedOver', 'own'] as const;

/** Adds one input's counts to a run's; with `before`, only what they grew by since then. */
export function addLogStats(total: LogStats, part: LogStats, before?: LogStats): void {
  for (const key of LOG_COUNTS) total[key] += part[key] - (before?.[key] ?? 0);
  total.format ??= part.format;
  total.prefix ??= part.prefix;
}
