import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { LineSplitter, MAX_LINE_BYTES } from './sources/logs/lines.js';
import { DbsecError, messageOf } from './errors.js';

/**
 * The tamper-evident alert log (seed 003: "establish a log integrity mechanism"): one JSON line per alert, appended,
 * each carrying its sequence number and the SHA-256 of the line before it (a chain), and with a key an HMAC-SHA-256
 * of the line, so that a changed, removed, inserted or reordered line is found by `dbsec verify-log`. Without a key a
 * forger who rewrites every later line unnoticed is not caught; with one, only the key holder can.
 */

/** The chain's start: the "previous line" of the first line. */
const GENESIS = '0'.repeat(64);

export interface AlertLine {
  seq: number;
  time: string;
  prev: string;
  alert: Record<string, unknown>;
  hmac?: string;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function hmacOf(key: string, text: string): string {
  return createHmac('sha256', key).update(text).digest('hex');
}

/** The line as written: the fields in order, the HMAC (when keyed) over the line without it. */
function lineOf(entry: Omit<AlertLine, 'hmac'>, key: string | undefined): string {
  const body = JSON.stringify({ seq: entry.seq, time: entry.time, prev: entry.prev, alert: entry.alert });
  return key ? `${body.slice(0, -1)},"hmac":"${hmacOf(key, body)}"}` : body;
}

/** Appends alerts to the log, chained on its last line; the file is opened for appending only, never rewritten. */
export class AlertLog {
  private constructor(
    private readonly file: FileHandle,
    private readonly path: string,
    private seq: number,
    private prev: string,
    private readonly key: string | undefined,
  ) {}

  static async open(path: string, key: string | undefined): Promise<AlertLog> {
    let last: string | undefined;
    try {
      // Only the tail is read to chain on: a line longer than the reader's bound is no alert-log line anyway.
      const start = Math.max(0, (await stat(path)).size - MAX_LINE_BYTES - 1);
      for await (const line of linesOf(path, start)) if (line.trim()) last = line;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new DbsecError(`Cannot read the alert log ${path} (${messageOf(err)}); check the path and its permissions.`);
    }
    let seq = 0;
    if (last !== undefined) {
      try {
        seq = Number((JSON.parse(last) as AlertLine).seq);
      } catch {
        throw new DbsecError(`The last line of the alert log ${path} is not an alert-log line; run dbsec verify-log ${path}, and start a new log if it is not one.`);
      }
      if (!Number.isInteger(seq)) throw new DbsecError(`The last line of the alert log ${path} has no sequence number; run dbsec verify-log ${path}.`);
    }
    try {
      // 0600: the alerts name users, addresses and statements.
      const file = await open(path, 'a', 0o600);
      return new AlertLog(file, path, seq, last === undefined ? GENESIS : sha256(last), key);
    } catch (err) {
      throw new DbsecError(`Cannot open the alert log ${path} for appending (${messageOf(err)}); check the directory and its permissions.`);
    }
  }

  /** One alert, written and flushed to disk before the next: a crash loses at most the line being written. */
  async append(alert: Record<string, unknown>, time: Date): Promise<void> {
    const line = lineOf({ seq: this.seq + 1, time: time.toISOString(), prev: this.prev, alert }, this.key);
    try {
      await this.file.appendFile(`${line}\n`);
      await this.file.datasync();
    } catch (err) {
      throw new DbsecError(`Cannot append to the alert log ${this.path} (${messageOf(err)}); the alert is still in the report.`);
    }
    this.seq++;
    this.prev = sha256(line);
  }

  async close(): Promise<void> {
    await this.file.close();
  }
}

export interface Verification {
  lines: number;
  /** The last line's sequence number and hash: kept elsewhere, they also show a removed tail. */
  last?: { seq: number; sha256: string };
  problems: Array<{ line: number; problem: string }>;
}

/**
 * Reads the chain back and says what breaks it, line by line: a line that is not an alert-log line, a sequence number
 * out of order (removed, inserted or reordered lines), a line whose previous-line hash does not match (the line before
 * it was changed), an HMAC that does not match (the line was changed, or written with another key).
 */
export async function verifyAlertLog(path: string, key: string | undefined): Promise<Verification> {
  const result: Verification = { lines: 0, problems: [] };
  let prev = GENESIS;
  let expectedSeq = 1;
  let number = 0;
  try {
    for await (const text of linesOf(path)) {
      number++;
      if (!text.trim()) continue;
      result.lines++;
      const problem = (message: string) => result.problems.push({ line: number, problem: message });
      let entry: AlertLine;
      try {
        entry = JSON.parse(text) as AlertLine;
        if (!Number.isInteger(entry.seq) || typeof entry.prev !== 'string' || typeof entry.alert !== 'object') throw new Error('fields');
      } catch {
        problem('not an alert-log line (changed, or written by something else)');
        prev = sha256(text);
        expectedSeq++;
        continue;
      }
      if (entry.seq > expectedSeq) problem(`sequence ${entry.seq} where ${expectedSeq} was expected: ${entry.seq - expectedSeq === 1 ? 'a line was' : `${entry.seq - expectedSeq} lines were`} removed before it`);
      else if (entry.seq < expectedSeq) problem(`sequence ${entry.seq} after ${expectedSeq - 1}: a line inserted, or lines reordered`);
      else if (entry.prev !== prev) problem(number === 1 ? 'the first line does not start the chain: lines were removed from the start' : `the hash of the line before does not match: line ${number - 1} was changed`);
      if (key) {
        const { hmac, ...rest } = entry;
        const expected = hmacOf(key, JSON.stringify(rest));
        if (!hmac) problem('no HMAC, but a key was given: the line was written without the key, or rewritten');
        else if (hmac.length !== expected.length || !timingSafeEqual(Buffer.from(hmac), Buffer.from(expected))) problem('the HMAC does not match: the line was changed, or written with another key');
      }
      prev = sha256(text);
      expectedSeq = entry.seq + 1;
      result.last = { seq: entry.seq, sha256: prev };
    }
  } catch (err) {
    if (err instanceof DbsecError) throw err;
    throw new DbsecError(`Cannot read the alert log ${path} (${messageOf(err)}); check the path and its permissions.`);
  }
  return result;
}

/** The file's lines, each cut at the log reader's bound (a cut line is then no alert-log line), never held whole. */
async function* linesOf(path: string, start = 0): AsyncGenerator<string> {
  const pending: string[] = [];
  const splitter = new LineSplitter({ bytes: 0, lines: 0, truncated: 0 }, (line) => pending.push(line));
  for await (const chunk of createReadStream(path, { start })) {
    splitter.push(chunk as Buffer);
    yield* pending.splice(0);
  }
  splitter.end();
  yield* pending.splice(0);
}
