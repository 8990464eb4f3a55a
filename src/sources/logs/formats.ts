import { Readable } from 'node:stream';
import { parse as csvParse } from 'csv-parse';
import { DbsecError, messageOf } from '../../errors.js';
import { choosePrefix, parseLogTime, type PrefixParser } from './prefix.js';
import { LineSplitter, MAX_LINE_BYTES } from './lines.js';
import { PhraseFinder, phrasePattern } from './phrases.js';
import type { LogFormat, LogRecord, LogStats } from './record.js';
import { SessionAttributes } from './sessions.js';
import { TDENGINE_HEAD, TdengineLines } from './tdengine.js';
import { systemClock } from '../../clock.js';

export interface ReadOptions {
  /** The phrases (any case) of the stderr lines worth parsing, besides the lines that belong to them; undefined: every line. */
  wanted?: readonly string[];
  /** The run's time: TDengine's lines carry no year. */
  now?: Date;
  /** The input is a piece of a stderr log that starts at a record whose line fits the prefix (a worker's shard). */
  fromRecord?: boolean;
}

/**
 * The records of one input in any format (`auto` looks at the first line), in batches as the input's chunks arrive,
 * with the session's client and application filled in where the format's own fields lack them. Lines are split and
 * parsed synchronously per chunk. Damaged input is counted in stats.skipped, never fatal.
 */
export async function* readRecords(
  input: AsyncIterable<Buffer>,
  format: LogFormat | 'auto',
  prefixes: string | readonly string[],
  stats: LogStats,
  { wanted, now = systemClock(), fromRecord = false }: ReadOptions = {},
): AsyncGenerator<LogRecord[]> {
  const { first, rest } = await peek(input);
  const chosen = format === 'auto' ? detectFormat(first) : format;
  stats.format = chosen;
  const all = prepend(first, rest);
  const sessions = new SessionAttributes();
  const filled = (batch: LogRecord[]) => {
    for (const record of batch) sessions.fill(record);
    return batch;
  };
  if (chosen === 'csvlog') {
    for await (const batch of csvRecords(all, stats)) yield filled(batch);
    return;
  }
  const out: LogRecord[] = [];
  const stderr = () => new StderrLines(stderrParser(prefixes, first, stats, chosen === 'syslog'), stats, out, wanted, fromRecord);
  const parser = chosen === 'jsonlog' ? new JsonLines(stats, out) : chosen === 'tdengine' ? new TdengineLines(stats, out, now) : chosen === 'syslog' ? new SyslogLines(stderr(), stats) : stderr();
  // Plain stderr and TDengine lines are found in the bytes; a syslog line's escapes (#011) must be undone first.
  const skimmed = parser instanceof StderrLines || parser instanceof TdengineLines ? parser : undefined;
  const finder = skimmed && wanted ? PhraseFinder.of(wanted) : undefined;
  const filter = finder && skimmed ? { finder, passOver: (byte: number) => skimmed.passOver(byte) } : undefined;
  const splitter = new LineSplitter(stats, (line, hasPhrase) => parser.line(line, hasPhrase), filter);
  for await (const chunk of all) {
    splitter.push(chunk);
    if (out.length > 0) yield filled(out.splice(0));
  }
  splitter.end();
  parser.end();
  if (out.length > 0) yield filled(out.splice(0));
}

/** The given log_line_prefix, or of several candidates the one that fits the head of the log best. */
function stderrParser(prefixes: string | readonly string[], head: Buffer | undefined, stats: LogStats, syslog: boolean): PrefixParser {
  const { prefix, parser } = stderrPrefix(prefixes, head, syslog);
  stats.prefix = prefix;
  return parser;
}

/** Of the candidate prefixes, the one that fits the first lines of a stderr (or syslog) log best, with its parser. */
export function stderrPrefix(prefixes: string | readonly string[], head: Buffer | undefined, syslog = false): { prefix: string; parser: PrefixParser } {
  const candidates = typeof prefixes === 'string' ? [prefixes] : prefixes;
  const text = head?.toString('utf8', 0, Math.min(head.length, 256 * 1024)) ?? '';
  return choosePrefix(candidates, syslog ? text.split('\n').map((line) => unwrapSyslog(line)?.text ?? line).join('\n') : text);
}

export function detectFormat(head: Buffer | undefined): LogFormat {
  // TDengine opens each log file with a banner of = signs.
  const line = (head?.toString('utf8', 0, Math.min(head.length, 4096)) ?? '').split('\n').find((l) => l.trim() !== '' && !/^(?:=+|\s*new log file\s*)$/.test(l)) ?? '';
  if (line.trimStart().startsWith('{')) return 'jsonlog';
  if (TDENGINE_HEAD.test(line)) return 'tdengine';
  if (/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)? [A-Za-z+\-0-9]+,/.test(line)) return 'csvlog';
  if (SYSLOG_HEADER.test(line)) return 'syslog';
  return 'stderr';
}

/**
 * syslog's header as rsyslog writes it to a file (RFC 3164: "Nov 30 12:35:53 host postgres[4510]: "), then
 * PostgreSQL's "[sequence-part] " (syslog_sequence_numbers).
 */
const SYSLOG_HEADER = /^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ [^\s[]+\[\d+\]: (?:\[\d+-(\d+)\] )?/;

/** The PostgreSQL line inside a syslog line, with rsyslog's #ooo escapes of control characters (a TAB is #011) undone. */
function unwrapSyslog(line: string): { text: string; part: number } | undefined {
  const header = SYSLOG_HEADER.exec(line);
  if (!header) return undefined;
  const text = line.slice(header[0].length).replace(/#(0[0-3][0-7])/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
  return { text, part: Number(header[1] ?? 1) };
}

/**
 * syslog lines: each stderr line comes inside a syslog header (a TAB-led continuation as #011); a message longer than
 * syslog takes is split into parts [n-2], [n-3]… without a prefix, which belong to the record before them.
 */
class SyslogLines {
  constructor(
    private readonly stderr: StderrLines,
    private readonly stats: LogStats,
  ) {}

  line(line: string): void {
    const unwrapped = unwrapSyslog(line);
    if (!unwrapped) {
      if (line.trim() !== '') this.stats.skipped++;
      return;
    }
    if (unwrapped.part > 1 && !unwrapped.text.startsWith('\t') && this.stderr.continues(unwrapped.text)) return;
    this.stderr.line(unwrapped.text);
  }

  end(): void {
    this.stderr.end();
  }
}

/** Levels of the lines PostgreSQL attaches to the record before them (of the same process). */
export const ATTACHED = new Set(['DETAIL', 'HINT', 'CONTEXT', 'STATEMENT', 'LOCATION', 'QUERY']);
type Part = 'message' | 'detail' | 'hint' | 'context' | 'statement';
const PART_OF: Record<string, Part> = { DETAIL: 'detail', HINT: 'hint', CONTEXT: 'context', STATEMENT: 'statement' };

/**
 * stderr lines: the log_line_prefix, TAB-led continuation lines, and the lines PostgreSQL attaches to a message.
 * With `wanted` (the phrases a reader asked for, and the session lines), once a line of the input has fit the prefix,
 * a line holding none of them is passed over without the prefix's regular expression, with its continuation lines;
 * the line after a wanted record is always read, since DETAIL, HINT and STATEMENT lines belong to it.
 */
class StderrLines {
  private pending?: LogRecord;
  private pendingWanted = false;
  /** Which part of the pending record the last line filled, for the continuation lines after it. */
  private part: Part = 'message';
  private passing = false;
  /** Whether a line has fit the prefix: until one has, no line is passed over (it may be the wrong prefix). */
  private fitted: boolean;
  /** Any of the wanted phrases, in any case; undefined: every line is wanted. */
  private readonly wanted?: RegExp;
  private readonly phrases: readonly string[];

  constructor(
    private readonly parser: PrefixParser,
    private readonly stats: LogStats,
    private readonly out: LogRecord[],
    phrases: readonly string[] = [],
    fromRecord = false,
  ) {
    this.fitted = fromRecord;
    this.phrases = phrases;
    this.wanted = phrases.length > 0 ? phrasePattern(phrases) : undefined;
  }

  /** `hasPhrase`: whether the line holds a wanted phrase, when the caller already looked. */
  line(line: string, hasPhrase?: boolean): void {
    const { pending } = this;
    if (line.charCodeAt(0) === 9) {
      if (pending) {
        // A continuation belongs to the line just before it: the message, or the DETAIL (…) attached last.
        const text = pending[this.part] ?? '';
        if (text.length < MAX_LINE_BYTES) pending[this.part] = `${text}\n${line.slice(1)}`;
        return;
      }
      if (this.passing) {
        this.stats.passedOver++;
        return;
      }
    }
    if (line === '') {
      // PostgreSQL never writes an empty line (a statement's own blank lines get a TAB): it is a flush from --follow.
      this.end();
      return;
    }
    // Whether the line holds a wanted phrase, tested once: undefined when it was read for another reason.
    let lineWanted: boolean | undefined;
    if (this.wanted && this.fitted && !(pending && this.pendingWanted) && !(lineWanted = hasPhrase ?? this.wanted.test(line))) {
      this.passOn();
      return;
    }
    this.passing = false;
    const record = this.parser.parse(line);
    if (!record) {
      if (line.trim() !== '') this.stats.skipped++;
      return;
    }
    // DETAIL, HINT, CONTEXT and STATEMENT belong to the record just before them from the same process.
    if (pending && ATTACHED.has(record.level) && record.pid === pending.pid) {
      const part = PART_OF[record.level];
      if (part) pending[part] = record.message;
      this.part = part ?? this.part;
      return;
    }
    if (pending) this.out.push(pending);
    this.stats.records++;
    this.fitted = true;
    this.pending = record;
    this.part = 'message';
    // Tested on the whole line: a phrase may be the level itself ("ERROR:"), which the record keeps apart.
    // A message that opens with a phrase as written holds it: cheaper to see than the pattern's scan of the line.
    this.pendingWanted = !this.wanted || (lineWanted ?? hasPhrase ?? (this.opensWithPhrase(record.message) || this.wanted.test(line)));
  }

  end(): void {
    if (this.pending) this.out.push(this.pending);
    this.pending = undefined;
  }

  /**
   * Whether a line (known to hold no wanted phrase; its first byte given) is passed over exactly as `line` would pass
   * it over, so it need not be decoded: false when `line` would keep it (a continuation of the pending record).
   */
  passOver(firstByte: number): boolean {
    if (firstByte === 9) {
      if (this.pending) return false;
      if (this.passing) {
        this.stats.passedOver++;
        return true;
      }
    }
    // A carriage return may be all there is: an empty line, which flushes.
    if (firstByte === 13 || !this.wanted || !this.fitted || (this.pending && this.pendingWanted)) return false;
    this.passOn();
    return true;
  }

  private passOn(): void {
    this.end();
    this.passing = true;
    this.stats.passedOver++;
  }

  private opensWithPhrase(message: string): boolean {
    for (const phrase of this.phrases) if (message.startsWith(phrase)) return true;
    return false;
  }

  /** A piece of the pending record's message cut off by the transport (syslog), when it is not a line of its own. */
  continues(text: string): boolean {
    if (this.passing) {
      this.stats.passedOver++;
      return true;
    }
    if (!this.pending || this.parser.parse(text)) return false;
    if (this.pending.message.length < MAX_LINE_BYTES) this.pending.message += text;
    return true;
  }
}

/** jsonlog: one JSON object per line (PostgreSQL 15+). */
class JsonLines {
  constructor(
    private readonly stats: LogStats,
    private readonly out: LogRecord[],
  ) {}

  line(line: string): void {
    if (line.trim() === '') return;
    let row: Record<string, unknown>;
    try {
      row = JSON.parse(line);
    } catch {
      this.stats.skipped++;
      return;
    }
    if (typeof row.message !== 'string' || typeof row.error_severity !== 'string') {
      this.stats.skipped++;
      return;
    }
    this.stats.records++;
    this.out.push({
      time: typeof row.timestamp === 'string' ? parseLogTime(row.timestamp) : undefined,
      user: str(row.user),
      database: str(row.dbname),
      pid: typeof row.pid === 'number' ? row.pid : undefined,
      client: str(row.remote_host),
      level: row.error_severity,
      message: row.message,
      detail: str(row.detail),
      hint: str(row.hint),
      context: str(row.context),
      statement: str(row.statement),
      sessionId: str(row.session_id),
      application: str(row.application_name),
    });
  }

  end(): void {}
}

// csvlog columns (PostgreSQL 12–18): the ones dbsec reads, by position.
const CSV = { time: 0, user: 1, database: 2, pid: 3, client: 4, sessionId: 5, level: 11, message: 13, detail: 14, hint: 15, context: 18, statement: 19, application: 22 } as const;
const CSV_BATCH = 1000;

/** csvlog: quoted fields may hold newlines, so csv-parse reads the rows. */
async function* csvRecords(input: AsyncIterable<Buffer>, stats: LogStats): AsyncGenerator<LogRecord[]> {
  const counted = countBytes(input, stats);
  const parser = Readable.from(counted).pipe(
    csvParse({ relax_quotes: true, relax_column_count: true, skip_records_with_error: true, max_record_size: MAX_LINE_BYTES, on_skip: () => void stats.skipped++ }),
  );
  let batch: LogRecord[] = [];
  try {
    for await (const row of parser as AsyncIterable<string[]>) {
      stats.lines++;
      if (row.length <= CSV.message || !row[CSV.level]) {
        stats.skipped++;
        continue;
      }
      stats.records++;
      batch.push({
        time: parseLogTime(row[CSV.time]!),
        user: row[CSV.user] || undefined,
        database: row[CSV.database] || undefined,
        pid: Number(row[CSV.pid]) || undefined,
        client: row[CSV.client]?.replace(/:\d+$/, '') || undefined,
        level: row[CSV.level]!,
        message: row[CSV.message]!,
        detail: row[CSV.detail] || undefined,
        hint: row[CSV.hint] || undefined,
        context: row[CSV.context] || undefined,
        statement: row[CSV.statement] || undefined,
        sessionId: row[CSV.sessionId] || undefined,
        application: row[CSV.application] || undefined,
      });
      if (batch.length >= CSV_BATCH) {
        yield batch;
        batch = [];
      }
    }
  } catch (err) {
    throw new DbsecError(`The csvlog input could not be read past row ${stats.lines}: ${messageOf(err)}.`);
  }
  if (batch.length > 0) yield batch;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

async function peek(input: AsyncIterable<Buffer>): Promise<{ first?: Buffer; rest: AsyncIterator<Buffer> }> {
  const rest = input[Symbol.asyncIterator]();
  const next = await rest.next();
  return { first: next.done ? undefined : next.value, rest };
}

async function* prepend(first: Buffer | undefined, rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  if (first) yield first;
  for (;;) {
    const next = await rest.next();
    if (next.done) return;
    yield next.value;
  }
}

async function* countBytes(input: AsyncIterable<Buffer>, stats: LogStats): AsyncGenerator<Buffer> {
  for await (const chunk of input) {
    stats.bytes += chunk.length;
    yield chunk;
  }
}
