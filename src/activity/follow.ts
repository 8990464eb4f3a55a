import { open, stat, type FileHandle } from 'node:fs/promises';
import type { AwsClients } from '../sources/aws.js';
import { awsCall } from '../sources/aws.js';
import type { TimeWindow } from '../time.js';
import type { Clock } from '../clock.js';

const POLL_MS = 500;
const EMPTY_POLLS_BEFORE_FLUSH = 2;
const FLUSH = Buffer.from('\n');

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}

/**
 * The bytes of a log file from its start, then whatever is appended, until the signal aborts (tail -F): a file
 * replaced by rotation is read to its end and the new one from its start; a truncated file from its start. After a
 * quiet moment an empty line tells the reader to hand over the entry it holds.
 */
export async function* followFile(path: string, signal: AbortSignal): AsyncGenerator<Buffer> {
  let handle: FileHandle = await open(path, 'r');
  let inode = (await handle.stat()).ino;
  let offset = 0;
  let quiet = 0;
  const buffer = Buffer.alloc(256 * 1024);
  try {
    while (!signal.aborted) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
      if (bytesRead > 0) {
        offset += bytesRead;
        quiet = 0;
        yield Buffer.from(buffer.subarray(0, bytesRead));
        continue;
      }
      const current = await stat(path).catch(() => undefined);
      if (current && current.ino !== inode) {
        await handle.close();
        handle = await open(path, 'r');
        inode = current.ino;
        offset = 0;
        continue;
      }
      if (current && current.size < offset) offset = 0;
      if (++quiet === EMPTY_POLLS_BEFORE_FLUSH) yield FLUSH;
      await sleep(POLL_MS, signal);
    }
  } finally {
    await handle.close();
  }
}

/** Only what activity monitoring reads: statements, pgaudit, connections, and the DETAIL with parameters. */
const ACTIVITY_PHRASES = ['statement: ', 'execute ', 'AUDIT: ', 'connection authorized', 'Parameters: '];

/**
 * CloudWatch Logs events as log text: the window's events page by page, then with `follow` (the run's clock) new
 * ones every few seconds. Continuation lines get the TAB PostgreSQL writes in its own file, so the reader joins them.
 */
export async function* cloudWatchText(aws: AwsClients, logGroup: string, window: TimeWindow, follow: Clock | undefined, signal: AbortSignal, pollMs = 5000): AsyncGenerator<Buffer> {
  const { sdk, client } = await aws.logs();
  const pattern = ACTIVITY_PHRASES.map((p) => `?"${p.trim()}"`).join(' ');
  let from = window.from.getTime();
  const seen = new Set<string>();
  for (;;) {
    const to = follow ? follow().getTime() : window.to.getTime();
    const pages = sdk.paginateFilterLogEvents({ client }, { logGroupName: logGroup, startTime: from, endTime: to, filterPattern: pattern });
    const iterator = pages[Symbol.asyncIterator]();
    let newest = from;
    for (;;) {
      const next = await awsCall('logs:FilterLogEvents', () => iterator.next());
      if (next.done) break;
      const lines: string[] = [];
      for (const event of next.value.events ?? []) {
        if (event.eventId && seen.has(event.eventId)) continue;
        if (event.eventId && follow) seen.add(event.eventId);
        newest = Math.max(newest, event.timestamp ?? 0);
        lines.push((event.message ?? '').replace(/\n(?!\t)/g, '\n\t'));
      }
      if (lines.length > 0) yield Buffer.from(`${lines.join('\n')}\n`);
    }
    if (!follow || signal.aborted) return;
    yield FLUSH;
    from = newest;
    if (seen.size > 100_000) seen.clear();
    await sleep(pollMs, signal);
    if (signal.aborted) return;
  }
}
