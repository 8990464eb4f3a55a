import { Readable } from 'node:stream';
import { parse as csvParse } from 'csv-parse';
import { DbsecError, messageOf } from '../errors.js';
import { compilePrefix, parseLogTime } from '../sources/logs/prefix.js';
import { boundedLines, MAX_LINE_BYTES, type LineStats } from './lines.js';

/** One log entry in any format: a main line with its continuation lines and the DETAIL that follows it. */
export interface LogEntry {
  time?: Date;
  user?: string;
  database?: string;
  client?: string;
  pid?: number;
  application?: string;
  level: string;
  message: string;
  detail?: string;
}

export type LogFormat = 'stderr' | 'csvlog' | 'jsonlog';
export const LOG_FORMATS = ['auto', 'stderr', 'csvlog', 'jsonlog'] as const;

export interface EntryStats extends LineStats {
  entries: number;
  /** Lines or rows that fit no entry (another prefix, garbage, a broken CSV row or JSON object): counted, skipped. */
  skipped: number;
  format?: LogFormat;
}

export function newEntryStats(): EntryStats {
  return { bytes: 0, lines: 0, truncated: 0, entries: 0, skipped: 0 };
}

/** Reads entries from one input; `format` auto looks at the first line. Damaged input is counted, never fatal. */
export async function* readEntries(input: AsyncIterable<Buffer | string>, format: LogFormat | 'auto', prefix: string, stats: EntryStats): AsyncGenerator<LogEntry> {
  const { first, rest } = await peek(input);
  const chosen = format === 'auto' ? detectFormat(first) : format;
  stats.format = chosen;
  const all = prepend(first, rest);
  if (chosen === 'csvlog') yield* csvEntries(all, stats);
  else if (chosen === 'jsonlog') yield* jsonEntries(all, stats);
  else yield* stderrEntries(all, prefix, stats);
}

export function detectFormat(head: Buffer | undefined): LogFormat {
  const line = (head?.toString('utf8', 0, Math.min(head.length, 4096)) ?? '').split('\n').find((l) => l.trim() !== '') ?? '';
  if (line.trimStart().startsWith('{')) return 'jsonlog';
  if (/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)? [A-Za-z+\-0-9]+,/.test(line)) return 'csvlog';
  return 'stderr';
}

const ATTACHED = new Set(['DETAIL', 'HINT', 'CONTEXT', 'STATEMENT', 'LOCATION', 'QUERY']);

async function* stderrEntries(input: AsyncIterable<Buffer>, prefix: string, stats: EntryStats): AsyncGenerator<LogEntry> {
  const parser = compilePrefix(prefix);
  let pending: LogEntry | undefined;
  for await (const line of boundedLines(input, stats)) {
    if (line.startsWith('\t') && pending) {
      if (pending.message.length < MAX_LINE_BYTES) pending.message += `\n${line.slice(1)}`;
      continue;
    }
    if (line === '') {
      // PostgreSQL never writes an empty line (a statement's own blank lines get a TAB): it is a flush from --follow.
      if (pending) yield pending;
      pending = undefined;
      continue;
    }
    const record = parser.parse(line);
    if (!record) {
      if (line.trim() !== '') stats.skipped++;
      continue;
    }
    // A DETAIL line belongs to the entry just before it from the same process (execute's parameters live there).
    if (pending && ATTACHED.has(record.level) && record.pid === pending.pid) {
      if (record.level === 'DETAIL') pending.detail = record.message;
      continue;
    }
    if (pending) yield pending;
    stats.entries++;
    pending = { time: record.time, user: record.user, database: record.database, client: record.host, pid: record.pid, application: record.application, level: record.level, message: record.message };
  }
  if (pending) yield pending;
}

// csvlog columns (PostgreSQL 12–18): the ones dbsec reads, by position.
const CSV = { time: 0, user: 1, database: 2, pid: 3, client: 4, level: 11, message: 13, detail: 14, application: 22 } as const;

async function* csvEntries(input: AsyncIterable<Buffer>, stats: EntryStats): AsyncGenerator<LogEntry> {
  const counted = countBytes(input, stats);
  const parser = Readable.from(counted).pipe(
    csvParse({ relax_quotes: true, relax_column_count: true, skip_records_with_error: true, max_record_size: MAX_LINE_BYTES, on_skip: () => void stats.skipped++ }),
  );
  try {
    for await (const row of parser as AsyncIterable<string[]>) {
      stats.lines++;
      if (row.length <= CSV.message || !row[CSV.level]) {
        stats.skipped++;
        continue;
      }
      stats.entries++;
      yield {
        time: parseLogTime(row[CSV.time]!),
        user: row[CSV.user] || undefined,
        database: row[CSV.database] || undefined,
        pid: Number(row[CSV.pid]) || undefined,
        client: row[CSV.client]?.replace(/:\d+$/, '') || undefined,
        level: row[CSV.level]!,
        message: row[CSV.message]!,
        detail: row[CSV.detail] || undefined,
        application: row[CSV.application] || undefined,
      };
    }
  } catch (err) {
    throw new DbsecError(`The csvlog input could not be read past row ${stats.lines}: ${messageOf(err)}.`);
  }
}

async function* jsonEntries(input: AsyncIterable<Buffer>, stats: EntryStats): AsyncGenerator<LogEntry> {
  for await (const line of boundedLines(input, stats)) {
    if (line.trim() === '') continue;
    let row: Record<string, unknown>;
    try {
      row = JSON.parse(line);
    } catch {
      stats.skipped++;
      continue;
    }
    if (typeof row.message !== 'string' || typeof row.error_severity !== 'string') {
      stats.skipped++;
      continue;
    }
    stats.entries++;
    yield {
      time: typeof row.timestamp === 'string' ? parseLogTime(row.timestamp) : undefined,
      user: str(row.user),
      database: str(row.dbname),
      pid: typeof row.pid === 'number' ? row.pid : undefined,
      client: str(row.remote_host),
      level: row.error_severity,
      message: row.message,
      detail: str(row.detail),
      application: str(row.application_name),
    };
  }
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

async function peek(input: AsyncIterable<Buffer | string>): Promise<{ first?: Buffer; rest: AsyncIterator<Buffer | string> }> {
  const rest = input[Symbol.asyncIterator]();
  const next = await rest.next();
  return { first: next.done ? undefined : Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value), rest };
}

async function* prepend(first: Buffer | undefined, rest: AsyncIterator<Buffer | string>): AsyncGenerator<Buffer> {
  if (first) yield first;
  for (;;) {
    const next = await rest.next();
    if (next.done) return;
    yield Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
  }
}

async function* countBytes(input: AsyncIterable<Buffer>, stats: EntryStats): AsyncGenerator<Buffer> {
  for await (const chunk of input) {
    stats.bytes += chunk.length;
    yield chunk;
  }
}
