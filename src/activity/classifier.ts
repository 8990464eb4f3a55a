import { classifySql, type Classified, type ClassifyOptions } from './classify.js';
import type { LogRecord } from '../sources/logs/record.js';

/**
 * The statements of a log, classified with PostgreSQL's parser (classify.ts) and cached: by text, and by shape for
 * reads and writes of no use case, which real workloads repeat with other literals. Shared by the monitor and by
 * the threads that read a large log in parts (src/sources/logs/shard-worker.ts), so both judge a statement alike.
 */

const STATEMENT = 'statement: ';
export const LOGGED_STATEMENT = /^(?:duration: [\d.]+ ms\s+)?(?:statement|execute [^:]*): ([\s\S]*)$/;
/** Statements that can be no use case at all: not worth the parser. */
const NEVER_INTERESTING = /^\s*(?:BEGIN|END|COMMIT|ROLLBACK|START\s+TRANSACTION|SAVEPOINT|RELEASE|SHOW|FETCH|CLOSE|DISCARD|LISTEN|UNLISTEN|NOTIFY|CHECKPOINT|VACUUM|ANALYZE)\b/i;
const PLAIN_DML = /^\s*(?:SELECT|UPDATE|INSERT|DELETE)\b/i;
/** A call needs "(", a second statement a ";" before the end (one closing ";" is harmless). */
const CALL_OR_SECOND_STATEMENT = /\(|;(?!\s*$)/;
const INTO = /\binto\b/i;
const FIRST_WORD = /^\s*([A-Za-z]+)/;
const SET_CONFIG = /set_config/i;
/** Statements whose use case cannot depend on their literals (set_config's first argument is the exception). */
const SHAPE_CACHEABLE = /^\s*(?:SELECT|UPDATE|INSERT|DELETE|WITH|VALUES)\b/i;
const LITERALS = /'(?:[^']|'')*'|\b\d+(?:\.\d+)?\b/g;
const CACHE_LIMIT = 50_000;
/** The parser needs ~1 ms per kB; a statement beyond this is reported unparsed rather than stall the stream. */
const MAX_PARSE_CHARS = 200_000;
const VIEW_CREATED = /^CREATE (?:OR REPLACE )?VIEW$/;
/** Views learnt from the log, at most: a log creating more is a generator's, not a schema's. */
const MAX_LEARNT_VIEWS = 10_000;

const UPPER = new Map<string, string>();

/** The command word of a statement, upper-cased; 'statement' when the log gave no text. */
export function commandWord(sql: string): string {
  if (!sql) return 'statement';
  // By hand rather than FIRST_WORD, for the ASCII a log almost always holds: this runs for every statement.
  let start = 0;
  let code = sql.charCodeAt(0);
  while (code === 32 || (code >= 9 && code <= 13)) code = sql.charCodeAt(++start);
  let end = start;
  while ((code >= 65 && code <= 90) || (code >= 97 && code <= 122)) code = sql.charCodeAt(++end);
  const word = end > start ? sql.slice(start, end) : code > 127 ? FIRST_WORD.exec(sql)?.[1] : undefined;
  if (word === undefined) return '?';
  // Busy logs repeat a handful of spellings (select, SELECT, Select): each is upper-cased once.
  let upper = UPPER.get(word);
  if (upper === undefined) {
    upper = word.toUpperCase();
    if (UPPER.size < 1000) UPPER.set(word, upper);
  }
  return upper;
}

/** The SQL of a log_statement record ("statement: …", "execute …: …"); not of a duration line, which is read apart. */
export function loggedSql(record: LogRecord): string | undefined {
  if (record.level !== 'LOG' || record.component !== undefined) return undefined;
  const { message } = record;
  if (message.startsWith(STATEMENT)) return message.slice(STATEMENT.length);
  return message.startsWith('execute ') ? LOGGED_STATEMENT.exec(message)?.[1] : undefined;
}

/** The views a classified statement creates (CREATE VIEW is no use case, yet what follows depends on it). */
export function viewsCreated(classified: Classified): readonly string[] {
  return classified.useCase === null && classified.objects.length > 0 && VIEW_CREATED.test(classified.command) ? classified.objects : [];
}

/**
 * CALL_OR_SECOND_STATEMENT, found with indexOf where the text allows (every plain statement of a busy log is tested):
 * a ";" is a second statement when something other than white space follows the first one.
 */
function callOrSecondStatement(sql: string): boolean {
  if (sql.includes('(')) return true;
  const semicolon = sql.indexOf(';');
  if (semicolon === -1) return false;
  let last = sql.length - 1;
  for (let code = sql.charCodeAt(last); last > semicolon && (code === 32 || (code >= 9 && code <= 13)); code = sql.charCodeAt(--last));
  // A character beyond ASCII may be white space too: the pattern decides.
  return last > semicolon && (sql.charCodeAt(last) < 128 ? true : CALL_OR_SECOND_STATEMENT.test(sql));
}

const ORDINARY = new Map<string, Classified[]>();

/**
 * A statement of no use case, as one shared classification per command word: no event ever shows it, and a busy
 * log has millions. Its statement text is left empty.
 */
function ordinary(command: string): Classified[] {
  let shared = ORDINARY.get(command);
  if (!shared) ORDINARY.set(command, (shared = [Object.freeze({ useCase: null, command, objects: [], notes: [], highRisk: false, statement: '' })]));
  return shared;
}

export class StatementClassifier {
  private readonly cache = new Map<string, Classified[]>();
  /**
   * Shapes (literals blanked) of reads and writes already found to be no use case, with their classification.
   * The statement text kept is the first one of the shape (no event shows it).
   */
  private readonly ordinaryShapes = new Map<string, Classified[]>();

  /** `options.views`: the config's and the catalog's views, and those the log shows being created (learnViews). */
  constructor(readonly options: ClassifyOptions & { views: Set<string> }) {}

  classify(sql: string): Classified[] {
    if (NEVER_INTERESTING.test(sql) || (this.plainDmlOrdinary() && PLAIN_DML.test(sql) && !callOrSecondStatement(sql) && !INTO.test(sql))) return ordinary(commandWord(sql));
    // Reads and writes repeat by shape, with other literals each time: one lookup by shape, none by text.
    const shape = SHAPE_CACHEABLE.test(sql) && !SET_CONFIG.test(sql) ? sql.replace(LITERALS, '?') : undefined;
    const known = shape === undefined ? undefined : this.ordinaryShapes.get(shape);
    if (known) return known;
    const cached = this.cache.get(sql);
    if (cached) return cached;
    let result: Classified[];
    if (sql.length > MAX_PARSE_CHARS) {
      result = [{ useCase: 'unparsed', command: '?', objects: [], notes: [`statement of ${sql.length} characters not parsed`], highRisk: false, statement: sql }];
    } else {
      result = classifySql(sql, this.options);
      if (shape !== undefined && result.every((c) => c.useCase === null)) {
        if (this.ordinaryShapes.size >= CACHE_LIMIT) this.ordinaryShapes.clear();
        this.ordinaryShapes.set(shape, result);
      }
    }
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(sql, result);
    return result;
  }

  /**
   * Whether a read or write with no call, no INTO and no second statement is of no use case without the parser: so
   * while no view, sensitive or large table is watched.
   */
  plainDmlOrdinary(): boolean {
    return this.options.views.size === 0 && this.options.sensitiveTables.length === 0 && !this.options.largeTables?.size;
  }

  /**
   * A view the log shows being created: a DELETE through it later is view-delete even without --database-url. What
   * was cached as ordinary before may have been a write through it, so the caches start again.
   */
  learnViews(names: readonly string[]): void {
    const { views } = this.options;
    const fresh = names.map((name) => name.toLowerCase()).filter((name) => !views.has(name));
    if (fresh.length === 0 || views.size >= MAX_LEARNT_VIEWS) return;
    for (const name of fresh) views.add(name);
    this.cache.clear();
    this.ordinaryShapes.clear();
  }
}
