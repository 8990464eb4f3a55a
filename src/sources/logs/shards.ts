import { createReadStream, existsSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { DbsecError } from '../../errors.js';
import { DENSE_READ_BYTES, isGzip } from './file-reader.js';
import { ATTACHED, detectFormat, readRecords, stderrPrefix } from './formats.js';
import { phrasePattern } from './phrases.js';
import { addLogStats, newLogStats, type LogRecord, type LogStats } from './record.js';
import { SessionAttributes } from './sessions.js';
import { inWindow, type WindowRule } from './window.js';
import type { StatementClassifier } from '../../activity/classifier.js';

type ClassifierOptions = StatementClassifier['options'];

/**
 * One large stderr log file read by several worker threads at once, each from a record in the middle of the file to
 * the next one's start. A worker parses its part and itself counts the ordinary statements (as classified by
 * src/activity/classifier.ts), so only the records that matter, and a tally of the rest, cross to this thread. The
 * parts are taken in file order, with the session attributes filled again here, so what the monitor sees is what one
 * reader would have given it.
 */

/**
 * How a caller asks for sharded reading (activity): worker threads, and how its monitor classifies statements. (The
 * checks' phrase scan was measured no faster in two threads on the bench's machine: it is bound by memory, not by the
 * processor.)
 */
export interface ShardPlan {
  /** Threads to read one file with: 'auto' uses the cores for a file of AUTO_SHARD_BYTES or more; 1 reads here. */
  jobs: number | 'auto';
  /**
   * The monitor's classifier settings now. The workers classify with those of the start and count the statements of
   * no use case; a part whose turn comes after the monitor learnt a view from the log is read again here.
   */
  classifying(): ClassifierOptions;
}

/** What a worker is given (workerData). Times are milliseconds. */
export interface ShardJob {
  path: string;
  start: number;
  end: number;
  prefix: string;
  wanted?: readonly string[];
  now: number;
  window?: { from: number; to: number };
  ownRole?: string;
  classify: ClassifierOptions;
  /** Characters of records a worker may send ahead of this thread's reading before it waits. */
  ahead: number;
}

export type ShardMessage = { kind: 'records'; records: LogRecord[]; stats: LogStats; chars: number } | { kind: 'done'; stats: LogStats } | { kind: 'failed'; message: string; sentence: boolean };

interface Shard {
  start: number;
  end: number;
}

/** A line near a planned cut: its record if it fits the prefix, and whether it holds a wanted phrase. */
interface CutCandidate {
  record?: LogRecord;
  wanted: boolean;
}

/** A file smaller than this is read in this thread unless --jobs asks otherwise: starting workers costs more. */
const AUTO_SHARD_BYTES = 64 * 1024 * 1024;
const MOST_JOBS = 8;
/**
 * Threads 'auto' starts at most: each holds its own copy of PostgreSQL's parser and a heap, some 50 MB (measured: peak
 * 205-230 MB with two, 257-265 MB with three, 304-307 MB with four on the bench's log), and the goal is under 300 MB.
 */
const AUTO_JOBS = 3;
/** How far past a planned cut a record line is looked for. */
const CUT_SEARCH_BYTES = 1024 * 1024;
/**
 * Characters of the records a worker may have sent that this thread has not read yet: the memory bound of the parts
 * read ahead (a log of ordinary statements sends almost nothing; one of DDL sends its every line).
 */
const CHARS_AHEAD = 16 * 1024 * 1024;
/**
 * The compiled worker, from src/ (under the tests) as from dist/: both sit at the package's root, and a worker thread
 * runs JavaScript only.
 */
const WORKER = fileURLToPath(new URL('../../../dist/sources/logs/shard-worker.js', import.meta.url));

export interface ShardedRead {
  prefix: string;
  shards: Shard[];
}

/**
 * The parts to read a file in, or undefined when it is read whole here: one job, stdin, gzip (no offsets), a format
 * other than stderr, a small file under 'auto', or dbsec's own sessions known only by their connection lines (a part
 * would not see them begin).
 */
export async function planShards(path: string, plan: WindowRule & { format: string; prefix: string | readonly string[]; shards?: ShardPlan }, wanted: readonly string[] | undefined): Promise<ShardedRead | undefined> {
  if (!plan.shards || plan.follow || path === '-' || (plan.format !== 'auto' && plan.format !== 'stderr')) return undefined;
  // A file that cannot be read is left to the reader here, which says why in one sentence.
  const size = await stat(path).then((file) => file.size, () => undefined);
  if (size === undefined) return undefined;
  const jobs = plan.shards.jobs === 'auto' ? (size >= AUTO_SHARD_BYTES ? Math.min(availableParallelism(), AUTO_JOBS) : 1) : Math.min(plan.shards.jobs, MOST_JOBS);
  if (jobs < 2 || (await isGzip(path))) return undefined;
  const handle = await open(path, 'r');
  try {
    const read = async (at: number, bytes: number) => {
      const { buffer, bytesRead } = await handle.read(Buffer.alloc(bytes), 0, bytes, at);
      return buffer.subarray(0, bytesRead);
    };
    const head = await read(0, 256 * 1024);
    if (detectFormat(head) !== 'stderr') return undefined;
    const { prefix, parser } = stderrPrefix(plan.prefix, head);
    if (plan.ownRole !== undefined && !/%-?\d*a/.test(prefix)) return undefined;
    const worthParsing = wanted && wanted.length > 0 ? phrasePattern(wanted) : undefined;
    // A part starts at a line that a reader of the whole file treats the same whatever came before it: one that
    // holds a wanted phrase, starts a record and is attached to none (it is parsed), or, with a line before it that
    // fits the prefix, is attached to nothing and holds no wanted phrase either, one that holds none (it is passed
    // over).
    const fits = (line: string) => (line === '' || line.startsWith('\t') ? undefined : parser.parse(line.endsWith('\r') ? line.slice(0, -1) : line));
    const startsPart = (line: CutCandidate, before: CutCandidate | undefined) =>
      line.record !== undefined && (line.wanted ? !ATTACHED.has(line.record.level) : before !== undefined && !before.wanted && before.record !== undefined && !ATTACHED.has(before.record.level));
    const shards: Shard[] = [];
    let start = 0;
    for (let part = 1; part < jobs; part++) {
      const planned = Math.max(Math.floor((size * part) / jobs), start + 1);
      const window = await read(planned - 1, CUT_SEARCH_BYTES);
      let cut: number | undefined;
      // The window starts one byte early so that a line starting exactly at the planned cut is seen whole.
      let before: CutCandidate | undefined;
      for (let at = window.indexOf(10); at !== -1; ) {
        const end = window.indexOf(10, at + 1);
        if (end === -1) break;
        const text = window.toString('utf8', at + 1, end);
        const line = { record: fits(text), wanted: !worthParsing || worthParsing.test(text) };
        if (startsPart(line, before)) {
          cut = planned - 1 + at + 1;
          break;
        }
        before = line;
        at = end;
      }
      if (cut === undefined || cut >= size) continue;
      shards.push({ start, end: cut });
      start = cut;
    }
    shards.push({ start, end: size });
    return shards.length > 1 ? { prefix, shards } : undefined;
  } finally {
    await handle.close();
  }
}

/**
 * The records of a file read in parts by worker threads, in file order. Ordinary statements arrive as tally records
 * (LogRecord.tally). The workers have applied the window and left out dbsec's own sessions; counts go to `stats`.
 */
export async function* readShards(path: string, { prefix, shards }: ShardedRead, plan: WindowRule & { shards?: ShardPlan }, wanted: readonly string[] | undefined, stats: LogStats): AsyncGenerator<LogRecord[]> {
  if (!existsSync(WORKER)) throw new DbsecError(`dbsec's log reader thread (${WORKER}) is missing: run npm run build, or reinstall dbsec.`);
  stats.format = 'stderr';
  stats.prefix = prefix;
  const classify = plan.shards!.classifying();
  const views = classify.views.size;
  const job = (shard: Shard): ShardJob => ({
    path,
    ...shard,
    prefix,
    wanted,
    now: plan.now.getTime(),
    window: plan.window && { from: plan.window.from.getTime(), to: plan.window.to.getTime() },
    ownRole: plan.ownRole,
    classify,
    ahead: CHARS_AHEAD,
  });
  const readers = shards.map((shard) => new ShardReader(job(shard)));
  // Sessions begun in an earlier part: a worker sees only its own part's connection lines.
  const sessions = new SessionAttributes();
  try {
    for (const [index, reader] of readers.entries()) {
      if (plan.shards!.classifying().views.size !== views) {
        await reader.stop();
        yield* filled(readHere(path, shards[index]!, prefix, plan, wanted, stats), sessions);
        continue;
      }
      yield* filled(reader.records(stats), sessions);
    }
  } finally {
    await Promise.all(readers.map((reader) => reader.stop()));
  }
}

async function* filled(batches: AsyncIterable<LogRecord[]>, sessions: SessionAttributes): AsyncGenerator<LogRecord[]> {
  for await (const batch of batches) {
    for (const record of batch) sessions.fill(record);
    yield batch;
  }
}

/** A part read in this thread, as its worker would have read it, tallies apart. */
function readHere(path: string, shard: Shard, prefix: string, plan: WindowRule, wanted: readonly string[] | undefined, stats: LogStats): AsyncIterable<LogRecord[]> {
  return partRecords(createReadStream(path, { start: shard.start, end: shard.end - 1, highWaterMark: DENSE_READ_BYTES }), shard.start, prefix, plan, wanted, stats);
}

/**
 * The records of the part of a stderr log that starts at byte `start` (at a record, when not 0), in the window and
 * without dbsec's own sessions: what a reader of the whole file gives for those bytes, session attributes apart.
 */
export function partRecords(chunks: AsyncIterable<Buffer>, start: number, prefix: string, rule: WindowRule, wanted: readonly string[] | undefined, stats: LogStats): AsyncIterable<LogRecord[]> {
  return inWindow(readRecords(chunks, 'stderr', prefix, stats, { wanted, now: rule.now, fromRecord: start > 0 }), rule, stats);
}

/** One worker thread and the messages it has sent that this thread has not read yet. */
class ShardReader {
  private readonly worker: Worker;
  private readonly queue: ShardMessage[] = [];
  private wake?: () => void;
  private stopped = false;

  constructor(job: ShardJob) {
    this.worker = new Worker(WORKER, { workerData: job });
    this.worker.on('message', (message: ShardMessage) => this.arrive(message));
    this.worker.on('error', (err: Error) => this.arrive({ kind: 'failed', message: err.message, sentence: false }));
    this.worker.on('exit', (code) => this.arrive({ kind: 'failed', message: `the thread reading bytes ${job.start}-${job.end} stopped (exit code ${code})`, sentence: false }));
  }

  private arrive(message: ShardMessage): void {
    this.queue.push(message);
    this.wake?.();
  }

  private async next(): Promise<ShardMessage> {
    while (this.queue.length === 0) await new Promise<void>((resolve) => (this.wake = resolve));
    return this.queue.shift()!;
  }

  async *records(stats: LogStats): AsyncGenerator<LogRecord[]> {
    let seen = newLogStats();
    for (;;) {
      const message = await this.next();
      if (message.kind === 'failed') throw message.sentence ? new DbsecError(message.message) : new Error(message.message);
      addLogStats(stats, message.stats, seen);
      seen = message.stats;
      if (message.kind === 'done') return;
      yield message.records;
      this.worker.postMessage(message.chars);
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}
