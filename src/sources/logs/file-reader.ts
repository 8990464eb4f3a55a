import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { DbsecError, messageOf } from '../../errors.js';
import { readRecords } from './formats.js';
import type { LogFormat, LogRecord, LogStats } from './record.js';

export async function isGzip(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(2), 0, 2, 0);
    return bytesRead === 2 && buffer[0] === 0x1f && buffer[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

/** Reads of a log whose reader keeps most lines: each chunk's records are one batch, which should stay small. */
export const DENSE_READ_BYTES = 256 * 1024;
/** Reads of a log whose reader keeps few lines (a phrase scan): larger reads, fewer trips through the event loop. */
export const SPARSE_READ_BYTES = 1024 * 1024;

/**
 * A log file (plain or gzip) or "-" for stdin, as a byte stream in reads of `readBytes`; a file that cannot be
 * opened is one sentence.
 */
export async function openLog(path: string, readBytes = DENSE_READ_BYTES): Promise<Readable> {
  if (path === '-') return process.stdin;
  try {
    const gzip = await isGzip(path);
    const raw = createReadStream(path, { highWaterMark: readBytes });
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
 * Streams the records of log files (plain or gzip, each in any format) without loading them, one file after the
 * other in the order given (rotation order: oldest first).
 */
export async function* readLogFiles(paths: readonly string[], format: LogFormat | 'auto', logLinePrefix: string | readonly string[], stats: LogStats): AsyncGenerator<LogRecord[]> {
  for (const path of paths) {
    const stream = await openLog(path);
    try {
      yield* readRecords(stream as AsyncIterable<Buffer>, format, logLinePrefix, stats);
    } catch (err) {
      throw err instanceof DbsecError ? err : readFailure(path, err);
    }
  }
}
