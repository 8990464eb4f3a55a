/** Longest line kept; the rest of a longer line is dropped so memory stays bounded whatever the input. */
export const MAX_LINE_BYTES = 256 * 1024;

export interface LineStats {
  bytes: number;
  lines: number;
  truncated: number;
}

/**
 * Splits a byte stream into UTF-8 lines, cutting each at MAX_LINE_BYTES (readline would first build the whole
 * line, so one 1 GB line would need 1 GB).
 */
export async function* boundedLines(input: AsyncIterable<Buffer | string>, stats: LineStats): AsyncGenerator<string> {
  let parts: Buffer[] = [];
  let kept = 0;
  let cut = false;
  const finish = (): string => {
    const line = Buffer.concat(parts, kept).toString('utf8');
    parts = [];
    kept = 0;
    if (cut) stats.truncated++;
    cut = false;
    stats.lines++;
    return line.endsWith('\r') ? line.slice(0, -1) : line;
  };
  for await (const raw of input) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
    stats.bytes += chunk.length;
    let start = 0;
    for (;;) {
      const end = chunk.indexOf(10, start);
      const piece = chunk.subarray(start, end === -1 ? chunk.length : end);
      const room = MAX_LINE_BYTES - kept;
      if (piece.length > room) cut = true;
      if (room > 0 && piece.length > 0) {
        const taken = piece.subarray(0, room);
        parts.push(taken);
        kept += taken.length;
      }
      if (end === -1) break;
      yield finish();
      start = end + 1;
    }
  }
  if (kept > 0 || cut) yield finish();
}

