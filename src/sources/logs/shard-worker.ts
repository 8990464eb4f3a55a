import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { loadModule } from 'libpg-query';
import { StatementClassifier, loggedSql, viewsCreated } from '../../activity/classifier.js';
import type { Classified } from '../../activity/classify.js';
import { DbsecError, messageOf } from '../../errors.js';
import { newLogStats, type LogRecord, type StatementTally } from './record.js';
import { partRecords, type ShardJob, type ShardMessage } from './shards.js';

/**
 * A worker thread reading one part of a stderr log (src/sources/logs/shards.ts): each log_statement record whose
 * statements are all of no use case, classified as the monitor would, is counted; each run of them between the
 * records that matter goes to the main thread as one tally record, the records that matter as they are.
 */

const job = workerData as ShardJob;
const port = parentPort!;
/** A message goes once this many records, or this many bytes of the log, have gathered. */
const RECORDS_PER_MESSAGE = 1000;
const BYTES_PER_MESSAGE = 4 * 1024 * 1024;
/** Measured on the bench's log: 128 KB reads beat 256 KB by a tenth and 1 MB by half (a chunk's passes stay in cache). */
const READ_BYTES = 128 * 1024;
/**
 * A record naming a view that goes to the monitor: it may learn a view this thread does not (from a pgaudit entry),
 * after which a read or write may be a use case; from then on nothing is counted here.
 */
const VIEW = /\bview\b/i;

let ahead = 0;
let resume: (() => void) | undefined;
port.on('message', (consumed: number) => {
  ahead -= consumed;
  resume?.();
});

async function read(): Promise<void> {
  const stats = newLogStats();
  const window = job.window && { from: new Date(job.window.from), to: new Date(job.window.to) };
  const batches = partRecords(chunksOf(job.path, job.start, job.end), job.start, job.prefix, { window, now: new Date(job.now), ownRole: job.ownRole }, job.wanted, stats);
  await loadModule();
  const classifier = new StatementClassifier(job.classify);
  let counting = true;
  let out: LogRecord[] = [];
  let tally = emptyTally();
  let bytesSent = 0;
  const closeTally = () => {
    if (tally.statements === 0) return;
    // Trimmed once here rather than on every statement counted.
    for (const [pid, sql] of tally.lastByPid) tally.lastByPid.set(pid, sql.trim());
    out.push({ level: 'LOG', message: '', tally });
    tally = emptyTally();
  };
  const send = async () => {
    closeTally();
    if (out.length === 0) return;
    let chars = 0;
    for (const record of out) chars += record.message.length + (record.detail?.length ?? 0) + (record.statement?.length ?? 0) + (record.context?.length ?? 0) + (record.hint?.length ?? 0);
    port.postMessage({ kind: 'records', records: out, stats, chars } satisfies ShardMessage);
    ahead += chars;
    out = [];
    bytesSent = stats.bytes;
    while (ahead >= job.ahead) await new Promise<void>((resolve) => (resume = resolve));
  };
  for await (const batch of batches) {
    for (const record of batch) {
      const sql = counting ? loggedSql(record) : undefined;
      const classified = sql === undefined ? undefined : classifier.classify(sql);
      if (classified && ordinary(classified)) {
        tally.statements++;
        tally.other += classified.length;
        for (const { command } of classified) tally.commands.set(command, (tally.commands.get(command) ?? 0) + 1);
        if (record.pid !== undefined) tally.lastByPid.set(record.pid, sql!);
        const time = record.time?.getTime();
        if (time !== undefined) {
          tally.from = Math.min(tally.from ?? time, time);
          tally.to = Math.max(tally.to ?? time, time);
        }
        continue;
      }
      closeTally();
      out.push(record);
      if (VIEW.test(record.message)) counting = false;
    }
    if (out.length >= RECORDS_PER_MESSAGE || stats.bytes - bytesSent >= BYTES_PER_MESSAGE) await send();
  }
  await send();
  port.postMessage({ kind: 'done', stats } satisfies ShardMessage);
}

/**
 * The bytes from start to end in reads of READ_BYTES. Blocking reads: this thread has nothing else to do meanwhile,
 * and a stream's machinery cost a twentieth of the time.
 */
async function* chunksOf(path: string, start: number, end: number): AsyncGenerator<Buffer> {
  const fd = openSync(path, 'r');
  try {
    for (let at = start; at < end; ) {
      const chunk = Buffer.allocUnsafe(Math.min(READ_BYTES, end - at));
      const read = readSync(fd, chunk, 0, chunk.length, at);
      if (read === 0) return;
      at += read;
      yield read === chunk.length ? chunk : chunk.subarray(0, read);
    }
  } finally {
    closeSync(fd);
  }
}

/** Statements of no use case, none creating a view: the monitor would only count them. */
function ordinary(classified: readonly Classified[]): boolean {
  for (const statement of classified) if (statement.useCase !== null || viewsCreated(statement).length > 0) return false;
  return true;
}

function emptyTally(): StatementTally {
  return { statements: 0, other: 0, commands: new Map(), lastByPid: new Map() };
}

read().catch((err: unknown) => port.postMessage({ kind: 'failed', message: messageOf(err), sentence: err instanceof DbsecError } satisfies ShardMessage));
