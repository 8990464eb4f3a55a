import type { ActivitySummary } from './monitor.js';
import type { UseCase } from './use-cases.js';

/** What the server records, from its settings (with a database connection) or as far as the log itself tells. */
export interface LoggingFacts {
  /** none, ddl, mod or all; undefined: not known. */
  logStatement?: string;
  /** pgaudit.log when pgaudit is loaded; null: not loaded; undefined: not known. */
  pgaudit?: string | null;
  logConnections?: boolean;
  /** log_min_duration_statement in ms (-1: off). */
  logMinDurationMs?: number;
  /** Where the facts come from: "the server's settings" or "the log". */
  origin: 'settings' | 'log';
}

/** One thing the log cannot show, and the setting that would show it. */
export interface BlindSpot {
  useCases: UseCase[];
  cannotShow: string;
  fix: string;
  /** 'known' from the settings; 'probable' from what the log lacks. */
  certainty: 'known' | 'probable';
}

const LEVELS = ['none', 'ddl', 'mod', 'all'];

/** The log_statement level a log shows at least, from the commands in it: reads mean all, writes mod, DDL ddl. */
export function loggingFactsOfLog(summary: ActivitySummary): LoggingFacts {
  const seen = (...commands: string[]) => commands.some((c) => summary.commands.has(c));
  const logStatement = seen('SELECT', 'COPY TO', 'DO', 'CALL', 'SET', 'SHOW', 'BEGIN') ? 'all' : seen('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE TABLE', 'COPY FROM') ? 'mod' : summary.statements > 0 ? 'ddl' : 'none';
  return { logStatement, pgaudit: summary.auditEntries > 0 ? 'seen' : null, logConnections: summary.sessions > 0, origin: 'log' };
}

/** What this logging leaves blind, use case by use case, with the setting that fixes each. */
export function blindSpotsOf(facts: LoggingFacts): BlindSpot[] {
  const certainty = facts.origin === 'settings' ? 'known' : 'probable';
  const spots: BlindSpot[] = [];
  const pgaudit = facts.pgaudit && facts.pgaudit !== 'none' ? facts.pgaudit : undefined;
  const level = LEVELS.indexOf(facts.logStatement ?? 'all');
  const auditReads = facts.origin === 'log' ? !!pgaudit : !!pgaudit && /\b(all|read)\b/.test(pgaudit);
  const auditWrites = facts.origin === 'log' ? !!pgaudit : !!pgaudit && /\b(all|write)\b/.test(pgaudit);
  if (level < LEVELS.indexOf('ddl') && !pgaudit) {
    spots.push({ useCases: ['drop-table', 'alter-table', 'function-tampering', 'obfuscated-code', 'privileged-operation', 'user-created', 'user-dropped', 'table-created'], cannotShow: 'no statement at all: DDL, role changes and grants are invisible', fix: 'log_statement = ddl at least (all for reads), or pgaudit', certainty });
  }
  if (level < LEVELS.indexOf('mod') && !auditWrites) {
    spots.push({ useCases: ['view-delete', 'truncate'], cannotShow: 'writes (INSERT, UPDATE, DELETE, TRUNCATE): deletes through views and emptied tables are invisible', fix: "log_statement = mod (all for reads), or pgaudit.log including 'write'", certainty });
  }
  if (level < LEVELS.indexOf('all') && !auditReads) {
    spots.push({ useCases: ['data-exfiltration', 'function-execution', 'privileged-operation'], cannotShow: 'reads (SELECT, COPY TO, DO, CALL, SET ROLE): data leaving, function calls and role switches are invisible', fix: "log_statement = all, or pgaudit.log including 'read, function, role, misc'", certainty });
  }
  if (!pgaudit) {
    spots.push({ useCases: ['obfuscated-code', 'function-execution'], cannotShow: 'statements run inside functions, DO blocks and EXECUTE: what wrapped code really does', fix: "shared_preload_libraries = 'pgaudit' with pgaudit.log = 'all' (or the classes you need)", certainty });
  }
  if (facts.logConnections === false) {
    spots.push({ useCases: ['data-exfiltration'], cannotShow: 'sessions: application names, client addresses, pg_dump sessions, who logged in', fix: 'log_connections = on (and log_disconnections = on)', certainty });
  }
  if (facts.logMinDurationMs !== undefined && facts.logMinDurationMs < 0) {
    spots.push({ useCases: ['long-running'], cannotShow: 'statement durations: long-running statements are invisible', fix: "log_min_duration_statement = '5min' (activity.longRunning)", certainty: 'known' });
  }
  return spots;
}

/**
 * What TDengine's logs cannot show: taosd writes no SQL text to taosdlog (its audit goes to taosKeeper's database,
 * which dbsec does not read), and mnode logs a successful login only at debug level.
 */
export function tdengineBlindSpots(summary: ActivitySummary): BlindSpot[] {
  const spots: BlindSpot[] = [
    { useCases: ['drop-table', 'alter-table', 'privileged-operation', 'user-created', 'user-dropped', 'table-created', 'data-exfiltration'], cannotShow: "statements: taosd's log holds no SQL text, so DDL, grants and reads are invisible here", fix: "audit 1 in taos.cfg with taosKeeper, and review its audit database (dbsec does not read it)", certainty: 'known' },
  ];
  if (summary.sessions === 0) {
    spots.push({ useCases: ['unexpected-client'], cannotShow: 'successful logins: who connected from where', fix: 'mDebugFlag 135 in taos.cfg (mnode logs "login from" at debug level)', certainty: 'probable' });
  }
  return spots;
}
