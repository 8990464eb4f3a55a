/** Any of the phrases, in any case (CloudWatch's own filter is case-sensitive: callers ask it for the usual spellings). */
export function phrasePattern(phrases: readonly string[], flags = 'i'): RegExp {
  return new RegExp(phrases.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), flags);
}

/**
 * Where the phrases occur in a chunk of bytes, found in one pass over the whole chunk instead of one regular
 * expression test per decoded line. The chunk is read as Latin-1, so an offset in the text is an offset in the bytes;
 * for ASCII phrases this finds exactly what the case-insensitive pattern finds in the UTF-8 text, since a byte of a
 * multi-byte character is never an ASCII letter and the non-Unicode `i` flag never folds a non-ASCII character to one.
 */
export class PhraseFinder {
  private readonly pattern: RegExp;

  private constructor(phrases: readonly string[]) {
    this.pattern = phrasePattern(phrases, 'gi');
  }

  /** A finder for the phrases, or undefined when one is not plain ASCII (the per-line test then decides). */
  static of(phrases: readonly string[]): PhraseFinder | undefined {
    return phrases.length > 0 && phrases.every((p) => /^[\x20-\x7e]+$/.test(p)) ? new PhraseFinder(phrases) : undefined;
  }

  /** The byte offsets, in ascending order, at which a phrase begins within the chunk. */
  starts(chunk: Buffer): number[] {
    const text = chunk.toString('latin1');
    const { pattern } = this;
    const found: number[] = [];
    pattern.lastIndex = 0;
    for (let match = pattern.exec(text); match; match = pattern.exec(text)) found.push(match.index);
    return found;
  }
}
