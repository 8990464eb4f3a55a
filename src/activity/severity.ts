import { matchesAny } from '../globs.js';
import type { AlertStatus } from './rules.js';
import type { UseCase } from './use-cases.js';
import { SEVERITIES, severityRank, type Severity } from '../status.js';

/** What an event's own use case weighs before its facts are looked at (the README's table of use cases shows it). */
export const BASE_SEVERITY: Record<UseCase, Severity> = {
  'drop-table': 'high',
  truncate: 'high',
  'function-tampering': 'high',
  'obfuscated-code': 'high',
  'data-exfiltration': 'high',
  'privileged-operation': 'medium',
  'user-created': 'medium',
  'view-delete': 'medium',
  'permission-denied': 'medium',
  'session-terminated': 'medium',
  'failed-login': 'medium',
  'unexpected-client': 'medium',
  'server-restart': 'low',
  'alter-table': 'low',
  'long-running': 'low',
  'user-dropped': 'low',
  'statement-cancelled': 'info',
  'function-execution': 'info',
  'table-created': 'info',
  unparsed: 'info',
};

/** The facts of one event that move its severity. */
export interface SeverityFacts {
  useCase: UseCase;
  command: string;
  highRisk: boolean;
  objects: readonly string[];
  notes: readonly string[];
  statement: string;
  application?: string;
  outcome: 'failed' | null;
  /** For a use case judged per event (failed-login's bounds, why a session ended): its level; null: recorded only. */
  level?: AlertStatus | null;
  /** A called function is SECURITY DEFINER and owned by a superuser (from the catalog). */
  runsAsSuperuser?: boolean;
  /** Who acted: a person (by client program or by role), or an application; see personOf. */
  person?: string;
  /** Whether the acting role is a superuser, when the catalog says (--database-url); undefined: not known. */
  actorSuperuser?: boolean;
}

export interface SeverityOptions {
  /** Tables whose rows are the audit trail (globs): destroying or changing them is hiding something. */
  auditTables: readonly string[];
}

/** Settings that decide what the server records: turning one off blinds every review after it. */
const LOGGING_SETTING = /^(log_statement|log_connections|log_disconnections|log_min_duration_statement|log_destination|logging_collector|log_min_messages|log_min_error_statement|pgaudit\.[a-z_]+)$/i;
/** A value that turns a logging setting off (the empty string too: pgaudit.log = ''). */
const OFF = String.raw`(?:'(?:none|off|false|0|-1|panic|)'|(?:none|off|false|0|-1|panic)\b)`;
/** `ALTER SYSTEM SET x = v` or `TO v`, v turning it off. */
const ALTER_SYSTEM_OFF = new RegExp(String.raw`(?:=|\bTO)\s*${OFF}\s*;?\s*$`, 'i');
/** set_config('log_…' or 'pgaudit.…', v, …), v turning it off. */
const SET_CONFIG_OFF = new RegExp(String.raw`set_config\s*\(\s*'(?:log_[a-z_]+|logging_collector|pgaudit\.[a-z_]+)'\s*,\s*${OFF}`, 'i');
/** Client programs a person types into: their statements are a person's, not an application's. */
const INTERACTIVE = /^(?:psql|pgAdmin|pgadmin|DBeaver|DataGrip|Navicat|TablePlus|HeidiSQL|Postico|SQL Workbench|Azure Data Studio|pgcli|Beekeeper)/;
const DESTROYS_TRAIL: readonly UseCase[] = ['drop-table', 'truncate', 'alter-table', 'view-delete', 'function-tampering'];
/** Roles whose grant gives a server's files or programs: a superuser's powers in all but name. */
const SERVER_POWERS = /^pg_(?:execute_server_program|read_server_files|write_server_files)$/;

/**
 * An event's severity, with the facts that set it (for its notes): the use case's weight, raised for what makes it
 * worse (a superuser attribute granted, logging or auditing turned off, a server program run, the audit trail
 * touched, a person reading data out) and lowered for what makes it milder (a refused attempt, a REVOKE, a role
 * change that grants no power, a timeout rather than an operator).
 */
export function severityOf(event: SeverityFacts, options: SeverityOptions): { severity: Severity; because: string[] } {
  const because: string[] = [];
  let severity = BASE_SEVERITY[event.useCase];
  const set = (to: Severity, why?: string) => {
    severity = to;
    if (why) because.push(why);
  };
  const notes = event.notes.join('\n');
  switch (event.useCase) {
    case 'privileged-operation':
      if (event.command === 'ALTER ROLE') {
        if (/^SUPERUSER$/m.test(notes)) set('critical', 'grants SUPERUSER');
        else set(event.highRisk ? 'high' : 'low', event.highRisk ? 'grants a role attribute that is a power' : undefined);
      } else if (event.command === 'REVOKE') set('low');
      else if (turnsOffLogging(event)) set('critical', 'turns logging or auditing off');
      else if (event.command === 'ALTER SYSTEM') set('high');
      else if (/^COPY FROM PROGRAM /m.test(notes)) set('critical', 'runs a program on the server');
      else if (event.command === 'GRANT' && event.objects.some((o) => SERVER_POWERS.test(o) || SUPERUSER_FUNCTIONS.has(bareName(o)))) set('high', "grants the server's files or programs");
      else if (event.command === 'GRANT' && /\bTO (?:.*, )?PUBLIC\b|^GRANT ALL ON /m.test(notes)) set('high', 'grants to PUBLIC or grants ALL');
      break;
    case 'data-exfiltration':
      if (/^COPY TO PROGRAM /m.test(notes)) set('critical', 'sends table data to a program on the server');
      else if (event.command === 'pg_dump' || event.command === 'pg_dumpall') set('medium');
      else if (/^COPY TO STDOUT$/m.test(notes) && !event.person) set('medium');
      else if (event.person) because.push(`by a person (${event.person})`);
      break;
    case 'function-execution':
      if (event.runsAsSuperuser) set('medium', "runs with a superuser's rights");
      break;
    case 'alter-table':
      if (event.highRisk) set('high', 'disables a protection or changes the owner');
      break;
    case 'failed-login':
      set(event.level === 'investigate' ? 'high' : event.level === 'monitor' ? 'medium' : 'low');
      break;
    case 'session-terminated':
      if (event.level !== 'monitor') set('info');
      break;
  }
  // Creating an audit trigger or function adds to the trail; dropping, emptying or changing one takes from it.
  if (event.objects.some((o) => isAuditTable(o, options)) && DESTROYS_TRAIL.includes(event.useCase) && !/^CREATE (?:TRIGGER|FUNCTION)/.test(event.command)) {
    set('critical', 'the audit trail itself');
  }
  // What only a superuser may do, done by a role that is not one: a privilege path exists (pg_read_server_files and
  // kin, a SECURITY DEFINER function, ALTER SYSTEM granted).
  if (event.actorSuperuser === false && event.outcome !== 'failed' && superuserOnly(event, notes)) {
    set(SEVERITIES[Math.min(severityRank('critical'), severityRank(severity) + 1)]!, 'by a role that is not a superuser: a privilege path exists');
  }
  // A refused statement did not happen: an attempt weighs one level less, but is never dismissed.
  if (event.outcome === 'failed' && event.useCase !== 'permission-denied' && event.useCase !== 'statement-cancelled') {
    set(SEVERITIES[Math.max(severityRank('low'), severityRank(severity) - 1)]!);
  }
  return { severity, because };
}

/** Server files and programs, ALTER SYSTEM, the SUPERUSER attribute: what PostgreSQL keeps for superusers by default. */
const SUPERUSER_FUNCTIONS = new Set(['pg_read_file', 'pg_read_binary_file', 'pg_ls_dir', 'pg_stat_file', 'lo_export', 'lo_import', 'pg_file_write', 'pg_reload_conf']);

function superuserOnly(event: SeverityFacts, notes: string): boolean {
  if (event.command === 'ALTER SYSTEM' || /^COPY (?:TO|FROM) (?:PROGRAM|file) /m.test(notes) || /^SUPERUSER$/m.test(notes)) return true;
  return event.objects.some((o) => SUPERUSER_FUNCTIONS.has(bareName(o)));
}

function bareName(object: string): string {
  return object.split('.').pop()!.toLowerCase();
}

function turnsOffLogging(event: SeverityFacts): boolean {
  if (SET_CONFIG_OFF.test(event.statement)) return true;
  return event.command === 'ALTER SYSTEM' && event.objects.some((o) => LOGGING_SETTING.test(o)) && ALTER_SYSTEM_OFF.test(event.statement.trim());
}

/**
 * Whether a person acted, and how that is known: the session's client is one a person types into (psql, pgAdmin,
 * DBeaver…), or its role is one of `personRoles` (globs: the DBAs' and analysts' own roles). undefined: an application.
 */
export function personOf(application: string | undefined, user: string | undefined, personRoles: readonly string[]): string | undefined {
  if (application !== undefined && INTERACTIVE.test(application)) return application;
  return user !== undefined && matchesAny(user, personRoles) ? `role ${user}` : undefined;
}

function isAuditTable(object: string, options: SeverityOptions): boolean {
  return matchesAny(object, options.auditTables) || matchesAny(object.split('.').pop(), options.auditTables);
}
