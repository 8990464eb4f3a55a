/** Longest line kept; the rest of a longer line is dropped so memory stays bounded whatever the input. */
export const MAX_LINE_BYTES = 256 * 1024;

export interface LineStats {
  bytes: number;
  lines: number;
  truncated: number;
}

/**
 * Splits a byte stream into UTF-8 lines synchronously, one chunk at a time, cutting each line at MAX_LINE_BYTES
 * (readline would first build the whole line, so one 1 GB line would need 1 GB). Lines go to `onLine` as they
 * complete: no promise and no generator step per line. Each line is decoded on its own, so a record that keeps a
 * piece of it never keeps the whole chunk alive.
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private kept = 0;
  private cut = false;

  constructor(
    private readonly stats: LineStats,
    private readonly onLine: (line: string) => void,
  ) {}

  push(chunk: Buffer): void {
    this.stats.bytes += chunk.length;
    let start = 0;
    for (;;) {
      const end = chunk.indexOf(10, start);
      if (end === -1) {
        this.keep(chunk, start, chunk.length);
        return;
      }
      if (this.kept === 0 && !this.cut && end - start <= MAX_LINE_BYTES) this.emit(chunk.toString('utf8', start, end));
      else {
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

  private emit(line: string): void {
    this.stats.lines++;
    this.onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
  }
}
