import type { LogRecord } from './record.js';

/** The phrases of a failed connection attempt, as PostgreSQL logs them at FATAL. */
export const AUTH_FAILURE_PHRASES = ['authentication failed', 'no pg_hba.conf entry'] as const;

export interface AuthFailure {
  time?: Date;
  user: string;
  client: string;
  reason: 'password' | 'pg_hba' | 'other';
}

const AUTH_FAILED = /^(\w+) authentication failed for user "((?:[^"]|"")*)"/;
const NO_HBA = /^no pg_hba\.conf entry for (?:replication connection from )?host "([^"]*)", user "((?:[^"]|"")*)"/;

/** A failed login from one FATAL record, or undefined for any other line. */
export function authFailureOf(record: LogRecord): AuthFailure | undefined {
  if (record.level !== 'FATAL') return undefined;
  const failed = AUTH_FAILED.exec(record.message);
  if (failed) {
    return {
      time: record.time,
      user: failed[2]!.replace(/""/g, '"'),
      client: record.client || 'unknown',
      reason: failed[1] === 'password' ? 'password' : 'other',
    };
  }
  const hba = NO_HBA.exec(record.message);
  if (hba) return { time: record.time, user: hba[2]!.replace(/""/g, '"'), client: hba[1]!, reason: 'pg_hba' };
  return undefined;
}
