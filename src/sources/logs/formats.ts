import { Readable } from 'node:stream';
import { parse as csvParse } from 'csv-parse';
import { DbsecError, messageOf } from '../../errors.js';
import { compilePrefix, parseLogTime } from './prefix.js';
import { boundedLines, MAX_LINE_BYTES } from './lines.js';
import type { LogFormat, LogRecord, LogStats } from './record.js';
import { SessionAttributes } from './sessions.js';

/**
 * The records of one input in any format (`auto` looks at the first line), with the session's client and application
 * filled in where the format's own fields lack them. Damaged input is counted in stats.skipped, never fatal.
 */
export async function* readRecords(input: AsyncIterable<Buffer | string>, format: LogFormat | 'auto', prefix: string, stats: LogStats): AsyncGenerator<LogRecord> {
  const { first, rest } = await peek(input);
  const chosen = format === 'auto' ? detectFormat(first) : format;
  stats.format = chosen;
  const all = prepend(first, rest);
  const sessions = new SessionAttributes();
  const records = chosen === 'csvlog' ? csvRecords(all, stats) : chosen === 'jsonlog' ? jsonRecords(all, stats) : stderrRecords(all, prefix, stats);
  for await (const record of records) yield sessions.fill(record);
}

export function detectFormat(head: Buffer | undefined): LogFormat {
  const line = (head?.toString('utf8', 0, Math.min(head.length, 4096)) ?? '').split('\n').find((l) => l.trim() !== '') ?? '';
  if (line.trimStart().startsWith('{')) return 'jsonlog';
  if (/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)? [A-Za-z+\-0-9]+,/.test(line)) return 'csvlog';
  return 'stderr';
}

const ATTACHED = new Set(['DETAIL', 'HINT', 'CONTEXT', 'STATEMENT', 'LOCATION', 'QUERY']);

function attach(record: LogRecord, level: string, message: string): void {
  if (level === 'DETAIL') record.detail = message;
  else if (level === 'HINT') record.hint = message;
  else if (level === 'CONTEXT') record.context = message;
  else if (level === 'STATEMENT') record.statement = message;
}

async function* stderrRecords(input: AsyncIterable<Buffer>, prefix: string, stats: LogStats): AsyncGenerator<LogRecord> {
  const parser = compilePrefix(prefix);
  let pending: LogRecord | undefined;
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
    // DETAIL, HINT, CONTEXT and STATEMENT belong to the record just before them from the same process.
    if (pending && ATTACHED.has(record.level) && record.pid === pending.pid) {
      attach(pending, record.level, record.message);
      continue;
    }
    if (pending) yield pending;
    stats.records++;
    pending = record;
  }
  if (pending) yield pending;
}

// csvlog columns (PostgreSQL 12–18): the ones dbsec reads, by position.
const CSV = { time: 0, user: 1, database: 2, pid: 3, client: 4, sessionId: 5, level: 11, message: 13, detail: 14, hint: 15, context: 18, statement: 19, application: 22 } as const;

async function* csvRecords(input: AsyncIterable<Buffer>, stats: LogStats): AsyncGenerator<LogRecord> {
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
      stats.records++;
      yield {
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
      };
    }
  } catch (err) {
    throw new DbsecError(`The csvlog input could not be read past row ${stats.lines}: ${messageOf(err)}.`);
  }
}

async function* jsonRecords(input: AsyncIterable<Buffer>, stats: LogStats): AsyncGenerator<LogRecord> {
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
    stats.records++;
    yield {
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

async function* countBytes(input: AsyncIterable<Buffer>, stats: LogStats): AsyncGenerator<Buffer> {
  for await (const chunk of input) {
    stats.bytes += chunk.length;
    yield chunk;
  }
}
