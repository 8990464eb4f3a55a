import { loadModule } from 'libpg-query';
import type { Classified } from '../activity/classify.js';
import { ActivityMonitor } from '../activity/monitor.js';
import type { LogRecord } from '../sources/logs/record.js';

/**
 * Every statement a log shows (log_statement lines, execute with its parameters, pgaudit entries), classified by
 * PostgreSQL's own parser exactly as `dbsec activity` classifies it: the one classifier of SQL for the checks too.
 */
export async function forEachLoggedStatement(records: AsyncIterable<LogRecord>, visit: (record: LogRecord, statement: Classified) => void): Promise<void> {
  await loadModule();
  const monitor = new ActivityMonitor({ config: {}, onEvent: () => undefined, onStatement: visit });
  for await (const record of records) monitor.handle(record);
}

/**
 * The phrases of SQL keywords for a server-side CloudWatch filter, which is case-sensitive: the spellings people
 * type (DROP TABLE, drop table, Drop table). The parser decides what a statement is; these only fetch candidates.
 */
export function keywordPhrases(keywords: readonly string[]): string[] {
  return keywords.flatMap((k) => [k.toUpperCase(), k.toLowerCase(), k[0]!.toUpperCase() + k.slice(1).toLowerCase()]);
}
