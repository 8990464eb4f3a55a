import { open, stat, type FileHandle } from 'node:fs/promises';

const POLL_MS = 500;
const EMPTY_POLLS_BEFORE_FLUSH = 2;
/** An empty line: PostgreSQL never writes one, so the reader takes it as "hand over the record you hold". */
export const FLUSH = Buffer.from('\n');

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
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
