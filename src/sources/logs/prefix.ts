/**
 * Turns a log_line_prefix (PostgreSQL's escapes, e.g. RDS's "%t:%r:%u@%d:[%p]:") into a regular expression
 * that splits a stderr log line into its fields. See postgresql.conf's log_line_prefix documentation.
 */
import type { LogRecord } from './record.js';

type Field = keyof Omit<LogRecord, 'level' | 'message' | 'detail' | 'hint' | 'context' | 'statement'> | 'remote' | 'timeText' | 'epoch' | 'skip';

/** Escapes whose value runs up to whatever follows: a lazy .*?, or when a literal character follows, a faster [^c]*. */
const RUNS_TO_NEXT = new Set(['u', 'd', 'a', 'i', 'b', 'L']);

const TIMESTAMP = String.raw`\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)?(?: ?[A-Za-z][A-Za-z0-9+/_-]*|[+-]\d{2}(?::?\d{2})?)?`;
const ESCAPES: Record<string, [string, Field]> = {
  t: [`(${TIMESTAMP})`, 'timeText'],
  m: [`(${TIMESTAMP})`, 'timeText'],
  s: [`(?:${TIMESTAMP})`, 'skip'],
  n: [String.raw`(\d+(?:\.\d+)?)`, 'epoch'],
  r: [String.raw`(\[local\]|[^\s()]*)(?:\((\d+)\))?`, 'remote'],
  h: [String.raw`(\[local\]|[^\s]*?)`, 'client'],
  u: ['(.*?)', 'user'],
  d: ['(.*?)', 'database'],
  a: ['(.*?)', 'application'],
  p: [String.raw`(\d*)`, 'pid'],
  c: [String.raw`([0-9a-f]*\.[0-9a-f]*|)`, 'sessionId'],
  P: [String.raw`\d*`, 'skip'],
  l: [String.raw`\d*`, 'skip'],
  i: ['.*?', 'skip'],
  e: ['[0-9A-Z]{0,5}', 'skip'],
  v: [String.raw`[\d/]*`, 'skip'],
  x: [String.raw`\d*`, 'skip'],
  b: ['.*?', 'skip'],
  Q: [String.raw`-?\d*`, 'skip'],
  L: ['.*?', 'skip'],
};

const LEVELS = 'LOG|WARNING|ERROR|FATAL|PANIC|DETAIL|STATEMENT|HINT|CONTEXT|LOCATION|NOTICE|INFO|DEBUG[1-5]?|QUERY';

export interface PrefixParser {
  parse(line: string): LogRecord | undefined;
}

/** RDS's fixed prefix: dbsec's default for CloudWatch and the first guess for a file. */
export const RDS_LOG_LINE_PREFIX = '%t:%r:%u@%d:[%p]:';

/**
 * The prefixes dbsec tries on a stderr log when none is given: RDS's, Debian's and PostgreSQL's defaults, and the
 * one pgBadger's documentation recommends. The server's own setting comes first when a database is configured.
 */
export const KNOWN_LOG_LINE_PREFIXES = [RDS_LOG_LINE_PREFIX, '%m [%p] %q%u@%d ', '%m [%p] ', '%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ', '%t [%p]: [%l-1] ', '%t [%p]: '];

/** Lines of a log's head a prefix is tried on before the reader settles on one. */
const SAMPLE_LINES = 500;

/**
 * The candidate that parses most of the head of a log (its first lines, continuations left out), with its parser;
 * the first candidate on a tie or when none fits, so the error names the prefix that was asked for.
 */
export function choosePrefix(candidates: readonly string[], head: string): { prefix: string; parser: PrefixParser } {
  const parsers = candidates.map((prefix) => ({ prefix, parser: compilePrefix(prefix) }));
  if (parsers.length === 1) return parsers[0]!;
  const lines = head.split('\n', SAMPLE_LINES + 1).slice(0, SAMPLE_LINES).filter((line) => line !== '' && !line.startsWith('\t'));
  let best = parsers[0]!;
  let bestFits = -1;
  for (const candidate of parsers) {
    const fits = lines.reduce((n, line) => n + (candidate.parser.parse(line) ? 1 : 0), 0);
    if (fits > bestFits) [best, bestFits] = [candidate, fits];
  }
  return best;
}

export function compilePrefix(prefix: string): PrefixParser {
  const fields: Field[] = [];
  let pattern = '';
  let sessionOnlyFrom = -1;
  for (let i = 0; i < prefix.length; i++) {
    const ch = prefix[i]!;
    if (ch !== '%') {
      pattern += escapeRegex(ch);
      continue;
    }
    // %-10u and %10u pad the value with spaces
    const pad = /^-?\d+/.exec(prefix.slice(i + 1));
    if (pad) i += pad[0].length;
    const escape = prefix[++i];
    if (escape === '%') pattern += '%';
    else if (escape === 'q') sessionOnlyFrom = pattern.length; // background processes print nothing after %q
    else if (escape && ESCAPES[escape]) {
      const [lazy, field] = ESCAPES[escape]!;
      const next = prefix[i + 1];
      // "[^@]*" before "@" matches what ".*?" would on a line that parses, without the backtracking.
      const fragment = RUNS_TO_NEXT.has(escape) && next !== undefined && next !== '%' && !pad ? lazy.replace('.*?', `[^${escapeRegex(next)}\n]*`) : lazy;
      pattern += pad ? ` *${fragment} *` : fragment;
      if (field === 'remote') fields.push('client', 'port');
      else if (field !== 'skip') fields.push(field);
    }
  }
  if (sessionOnlyFrom >= 0) pattern = `${pattern.slice(0, sessionOnlyFrom)}(?:${pattern.slice(sessionOnlyFrom)})?`;
  // CloudWatch events may carry an ISO timestamp in front of the line; it is skipped.
  const regex = new RegExp(String.raw`^(?:\d{4}-\d{2}-\d{2}T\S+\s+)?${pattern}\s*(${LEVELS}):\s+([\s\S]*)$`);
  // The group of each field (the last, should a prefix repeat one; 0: none). Every record is built with the same
  // properties in the same order: one object shape, which keeps the hot loop's property stores monomorphic.
  const group = (field: Field) => fields.lastIndexOf(field) + 1;
  const [user, database, client, port, pid, application, sessionId, epoch] = [group('user'), group('database'), group('client'), group('port'), group('pid'), group('application'), group('sessionId'), group('epoch')] as const;
  const time = Math.max(group('timeText'), epoch);
  return {
    parse(line) {
      const match = regex.exec(line);
      if (match === null) return undefined;
      // Written out rather than through a helper: this runs for every line of a log.
      const stamp = time > 0 ? match[time] || undefined : undefined;
      const process = pid > 0 ? match[pid] || undefined : undefined;
      return {
        time: stamp === undefined ? undefined : time === epoch ? new Date(Number(stamp) * 1000) : parseLogTime(stamp),
        user: user > 0 ? match[user] || undefined : undefined,
        database: database > 0 ? match[database] || undefined : undefined,
        client: client > 0 ? match[client] || undefined : undefined,
        port: port > 0 ? match[port] || undefined : undefined,
        pid: process === undefined ? undefined : Number(process),
        application: application > 0 ? match[application] || undefined : undefined,
        sessionId: sessionId > 0 ? match[sessionId] || undefined : undefined,
        level: match[fields.length + 1]!,
        message: match[fields.length + 2]!,
      };
    },
  };
}

/** "2026-11-22 10:00:00 UTC", "… .123 UTC", "… +01": zone names other than UTC/GMT/Z are read as UTC. */
let lastTimeText = '';
let lastTime: Date | undefined;

/** The Date returned is shared by the records of the same second: records' times are never mutated. */
export function parseLogTime(text: string): Date | undefined {
  // A busy log writes many lines in the same second: the last answer is usually the right one.
  if (text !== lastTimeText) {
    lastTimeText = text;
    lastTime = parseTime(text);
  }
  return lastTime;
}

function parseTime(text: string): Date | undefined {
  const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?) ?(.*)$/.exec(text.trim());
  if (!m) return undefined;
  const zone = m[3]!;
  const offset = /^[+-]\d{2}(?::?\d{2})?$/.test(zone) ? normalizeOffset(zone) : 'Z';
  const date = new Date(`${m[1]}T${m[2]}${offset}`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function normalizeOffset(zone: string): string {
  const digits = zone.replace(':', '');
  return `${digits.slice(0, 3)}:${digits.slice(3, 5) || '00'}`;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
