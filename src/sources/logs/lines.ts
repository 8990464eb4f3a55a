/** Longest line kept; the rest of a longer line is dropped so memory stays bounded whatever the input. */
export const MAX_LINE_BYTES = 256 * 1024;

import type { PhraseFinder } from './phrases.js';

export interface LineStats {
  bytes: number;
  lines: number;
  truncated: number;
}

type FastDecoding = Buffer & { utf8Slice?(start: number, end: number): string };

/**
 * A piece of a chunk as UTF-8 text, as toString('utf8', start, end) gives it: through the method toString itself
 * calls when Node has it (undocumented, present since Node 0.x), which spares toString's argument handling on each of
 * millions of lines (a fifteenth of a reader thread's time on the bench's log).
 */
const decodeUtf8: (chunk: Buffer, start: number, end: number) => string =
  typeof (Buffer.prototype as FastDecoding).utf8Slice === 'function' ? (chunk, start, end) => (chunk as FastDecoding).utf8Slice!(start, end) : (chunk, start, end) => chunk.toString('utf8', start, end);

/**
 * Lines a reader may pass over undecoded: those holding none of the finder's phrases, when `passOver` (given the
 * line's first byte) agrees. Decoding every line of a busy log costs more than reading it.
 */
export interface LineFilter {
  finder: PhraseFinder;
  passOver(firstByte: number): boolean;
}

/**
 * Splits a byte stream into UTF-8 lines synchronously, one chunk at a time, cutting each line at MAX_LINE_BYTES
 * (readline would first build the whole line, so one 1 GB line would need 1 GB). Lines go to `onLine` as they
 * complete: no promise and no generator step per line. Each line is decoded on its own, so a record that keeps a
 * piece of it never keeps the whole chunk alive. With a filter, `onLine` learns whether the line holds a phrase
 * (undefined for a line pieced together across chunks, which the filter did not see whole).
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private kept = 0;
  private cut = false;
  /** The filter, until a chunk shows that most lines hold a phrase: then looking is dearer than reading them all. */
  private filter?: LineFilter;

  constructor(
    private readonly stats: LineStats,
    private readonly onLine: (line: string, hasPhrase?: boolean) => void,
    filter?: LineFilter,
  ) {
    this.filter = filter;
  }

  push(chunk: Buffer): void {
    this.stats.bytes += chunk.length;
    const { filter } = this;
    const starts = filter?.finder.starts(chunk);
    const linesBefore = this.stats.lines;
    let next = 0;
    let start = 0;
    for (;;) {
      const end = chunk.indexOf(10, start);
      if (end === -1) {
        this.keep(chunk, start, chunk.length);
        if (starts && starts.length * 2 > this.stats.lines - linesBefore && this.stats.lines - linesBefore >= 50) this.filter = undefined;
        return;
      }
      if (this.kept === 0 && !this.cut && end - start <= MAX_LINE_BYTES) {
        let hasPhrase: boolean | undefined;
        if (starts) {
          while (next < starts.length && starts[next]! < start) next++;
          // A phrase holds no newline: one that begins in this line ends in it.
          hasPhrase = next < starts.length && starts[next]! < end;
          if (!hasPhrase && end > start && filter!.passOver(chunk[start]!)) {
            this.stats.lines++;
            start = end + 1;
            continue;
          }
        }
        this.emit(decodeUtf8(chunk, start, end), hasPhrase);
      } else {
        this.keep(chunk, start, end);
        this.finish();
      }
      start = end + 1;
    }
  }

  /** The last line of an input that does not end with a newline. */
  end(): void {
    if (this.kept > 0 || this.cut) this.finish();
  }

  private keep(chunk: Buffer, start: number, end: number): void {
    const room = MAX_LINE_BYTES - this.kept;
    if (end - start > room) this.cut = true;
    const taken = Math.min(end - start, room);
    if (taken > 0) {
      // A copy: the reader may reuse the chunk's memory.
      this.parts.push(Buffer.from(chunk.subarray(start, start + taken)));
      this.kept += taken;
    }
  }

  private finish(): void {
    const line = Buffer.concat(this.parts, this.kept).toString('utf8');
    this.parts = [];
    this.kept = 0;
    if (this.cut) this.stats.truncated++;
    this.cut = false;
    this.emit(line);
  }

  private emit(line: string, hasPhrase?: boolean): void {
    this.stats.lines++;
    this.onLine(line.endsWith('\r') ? line.slice(0, -1) : line, hasPhrase);
  }
}
