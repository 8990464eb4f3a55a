import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { DbsecError, messageOf } from '../../errors.js';
import { compilePrefix, type LogRecord } from './prefix.js';

/** A record of one log line, with its continuation lines (TAB-led) joined; very long messages are cut. */
const MAX_MESSAGE = 64 * 1024;

export interface ReadStats {
  lines: number;
  records: number;
  unparsed: number;
}

export async function isGzip(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(2), 0, 2, 0);
    return bytesRead === 2 && buffer[0] === 0x1f && buffer[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

/** A log file (plain or gzip) or "-" for stdin, as a byte stream; a file that cannot be opened is one sentence. */
export async function openLog(path: string): Promise<Readable> {
  if (path === '-') return process.stdin;
  try {
    const gzip = await isGzip(path);
    const raw = createReadStream(path);
    return gzip ? raw.pipe(createGunzip()).on('error', (err) => raw.destroy(err)) : raw;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new DbsecError(`Cannot read log file ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : messageOf(err)}; check --log-file.`);
  }
}

/** A failure while reading a log, in one sentence; zlib's messages mean a damaged or cut gzip file. */
export function readFailure(path: string, err: unknown): DbsecError {
  const text = messageOf(err);
  const why = /incorrect header|invalid|unexpected end|Z_/i.test(text) ? 'it is not a valid gzip file or it is truncated' : text;
  return new DbsecError(`Cannot read log file ${path}: ${why}.`);
}

/**
 * Streams the records of PostgreSQL stderr log files (plain or gzip) without loading them, parsing each line
 * with the log_line_prefix. Lines that fit no record are counted in stats.unparsed and skipped.
 */
export async function* readLogFiles(paths: readonly string[], logLinePrefix: string, stats: ReadStats): AsyncGenerator<LogRecord> {
  const parser = compilePrefix(logLinePrefix);
  for (const path of paths) {
    const stream = await openLog(path);
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    let pending: LogRecord | undefined;
    try {
      for await (const line of lines) {
        stats.lines++;
        if (line.startsWith('\t') && pending) {
          if (pending.message.length < MAX_MESSAGE) pending.message = `${pending.message}\n${line.slice(1)}`.slice(0, MAX_MESSAGE);
          continue;
        }
        const record = parser.parse(line.length > MAX_MESSAGE ? line.slice(0, MAX_MESSAGE) : line);
        if (!record) {
          if (line.trim() !== '') stats.unparsed++;
          continue;
        }
        if (pending) yield pending;
        stats.records++;
        pending = record;
      }
    } catch (err) {
      throw readFailure(path, err);
    }
    if (pending) yield pending;
  }
}
