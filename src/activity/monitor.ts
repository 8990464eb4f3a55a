import { BlockList, isIP } from 'node:net';
import { parse as parseCsv } from 'csv-parse/sync';
import { tdengineEventOf } from './tdengine.js';
import { redactParameters, redactSecrets, truncate } from '../redact.js';
import type { Classified } from './classify.js';
import type { LogRecord, StatementTally } from '../sources/logs/record.js';
import { LOGGED_STATEMENT, StatementClassifier, commandWord, viewsCreated } from './classifier.js';
import { alertFor, type ActivityConfig, type Alert, type AlertStatus } from './rules.js';
import { authFailureOf } from '../sources/logs/auth-failures.js';
import { durationMs } from '../time.js';
import { USE_CASES, type UseCase } from './use-cases.js';
import { personOf, severityOf, type SeverityOptions } from './severity.js';
import type { Severity } from '../status.js';

/** One classified statement: the contract of `--format jsonl` and of each alert's evidence. */
export interface ActivityEvent {
  time: string | null;
  user: string | null;
  database: string | null;
  client: string | null;
  application: string | null;
  pid: number | null;
  useCase: UseCase;
  command: string;
  objects: string[];
  statement: string;
  parameters: string | null;
  notes: string[];
  source: 'log_statement' | 'pgaudit' | 'session';
  /** 'failed': the server refused or cancelled the statement (its ERROR is in the notes); null: not known to have failed. */
  outcome: 'failed' | null;
  /** From the use case and the facts (src/activity/severity.ts), or the rule's own severity in the config. */
  severity: Severity;
  alert: Alert | null;
}

export interface ActivitySummary {
  statements: number;
  auditEntries: number;
  /** Statements that match no use case (ordinary reads and writes). */
  other: number;
  /** Sessions begun ("connection authorized"): none in a long log means log_connections is off. */
  sessions: number;
  byUseCase: Record<UseCase, { events: number; monitor: number; investigate: number }>;
  /** Commands seen, to tell which use cases the server's logging leaves blind. */
  commands: Map<string, number>;
}

const PARAMETERS = /^[Pp]arameters: ([\s\S]*)$/;
const STATEMENT_CHARS = 2000;
/** A read of more rows than this is a bulk read (activity.bulkRows). */
export const DEFAULT_BULK_ROWS = 10_000;

/** pgaudit writes a role's password as <REDACTED>, which is not SQL: a literal is put back so the grammar reads it. */
function auditSql(statement: string): string {
  return statement.replace(/<REDACTED>/g, "'***'");
}
const DURATION = /^duration: ([\d.]+) ms/;
const CANCELLED = /^canceling statement due to (statement timeout|lock timeout|user request|conflict with recovery|[^\n]+)/;
const TERMINATED = /^terminating connection due to (administrator command|idle-in-transaction timeout|idle-session timeout|conflict with recovery|[^\n]+)/;
const SHUTDOWN = /^received (?:smart|fast|immediate) shutdown request/;
/** The messages of SQLSTATE 42501 (insufficient_privilege) and of the owner and attribute checks. */
const DENIED = /^(?:permission denied|must be (?:owner|superuser|a member|able to)|only roles with)/i;
/** A typo is no attempt at anything. */
const SYNTAX_ERROR = /^syntax error at or near /;

function formatMs(ms: number): string {
  return ms >= 60_000 ? `${(ms / 60_000).toFixed(1)} min` : ms >= 1_000 ? `${(ms / 1_000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

/** The DETAIL PostgreSQL logs (never tells the client) when the role of a failed login does not exist. */
const ROLE_MISSING = /^Role "(?:[^"]|"")*" does not exist/;
const FAILURE_REASONS = { password: 'wrong password', pg_hba: 'refused by pg_hba.conf', other: 'authentication failed' } as const;
/** Users and clients counted for failed logins; past this many (a spray of random names) the counts start again. */
const FAILURE_KEYS = 100_000;

/** activity.allowedClients ("10.0.0.0/8", "192.0.2.7", "fd00::/8") as node's BlockList, which matches addresses in subnets. */
function addressList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address, bits] = entry.split('/');
    const type = isIP(address!) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(address!, type);
    else list.addSubnet(address!, Number(bits), type);
  }
  return list;
}

function bump(counts: Map<string, number>, key: string): number {
  if (counts.size >= FAILURE_KEYS && !counts.has(key)) counts.clear();
  const count = (counts.get(key) ?? 0) + 1;
  counts.set(key, count);
  return count;
}

export interface MonitorOptions {
  config: ActivityConfig;
  onEvent(event: ActivityEvent): void;
  /** Every classified statement, use case or not, with the record that logged it (the checks count commands). */
  onStatement?(record: LogRecord, classified: Classified): void;
  /** From the catalog (--database-url): tables with more rows than bulkRows, by qualified and bare name. */
  largeTables?: ReadonlyArray<{ name: string; rows: number }>;
  /** From the catalog: SECURITY DEFINER functions (qualified names) and the owner they run as. */
  definers?: ReadonlyArray<{ name: string; owner: string; superuser: boolean }>;
  /** From the catalog: the superuser roles; a role not among them is known not to be one. */
  superusers?: readonly string[];
}

/**
 * Turns log entries into classified events: log_statement lines and pgaudit entries (each process's application
 * name comes with the entry, from its prefix or its session's connection line). Classifications are cached by statement text.
 */
export class ActivityMonitor {
  readonly summary: ActivitySummary = {
    statements: 0,
    auditEntries: 0,
    other: 0,
    sessions: 0,
    byUseCase: Object.fromEntries(USE_CASES.map((u) => [u, { events: 0, monitor: 0, investigate: 0 }])) as ActivitySummary['byUseCase'],
    commands: new Map(),
  };
  private readonly lastStatement = new Map<number, string>();
  private readonly lastAudit = new Map<number, string>();
  private readonly lastAuditText = new Map<number, string>();
  /** pgaudit: the top statement of each process (its id and text), and the last sub-statement classified. */
  private readonly auditTop = new Map<number, { statementId: string; text: string }>();
  private readonly lastInner = new Map<number, string>();
  /** Roles each process revoked grants from: a DROP ROLE of one of them after that is someone leaving, done by the book. */
  private readonly revokedFrom = new Map<number, Set<string>>();
  /** Between "received … shutdown request" and "ready to accept connections": terminations are the shutdown's. */
  private shuttingDown = false;
  private readonly longRunningMs: number;
  private readonly failuresByUser = new Map<string, number>();
  private readonly failuresByClient = new Map<string, number>();
  private readonly classifier: StatementClassifier;
  private readonly severityOptions: SeverityOptions;
  private readonly personRoles: readonly string[];
  /** SECURITY DEFINER functions by qualified and bare lower-case name. */
  private readonly definers = new Map<string, { owner: string; superuser: boolean }>();
  private readonly bulkRows: number;
  private readonly allowedClients?: BlockList;

  constructor(private readonly options: MonitorOptions) {
    const config = options.config;
    if (config.allowedClients) this.allowedClients = addressList(config.allowedClients);
    this.bulkRows = config.bulkRows ?? DEFAULT_BULK_ROWS;
    this.longRunningMs = durationMs(config.longRunning ?? '5m')!;
    this.classifier = new StatementClassifier({
      views: new Set((config.views ?? []).map((v) => v.toLowerCase())),
      viewWrites: config.viewWrites ?? false,
      allowedLanguages: config.allowedLanguages ?? ['sql', 'plpgsql'],
      sensitiveTables: config.sensitiveTables ?? [],
      largeTables: new Map((options.largeTables ?? []).flatMap(({ name, rows }) => [[name.toLowerCase(), rows] as const, [name.toLowerCase().split('.').pop()!, rows] as const])),
    });
    this.severityOptions = { auditTables: config.auditTables ?? ['*audit*'] };
    this.personRoles = config.personRoles ?? [];
    for (const { name, ...definer } of options.definers ?? []) {
      this.definers.set(name.toLowerCase(), definer);
      this.definers.set(name.toLowerCase().split('.').pop()!, definer);
    }
  }

  handle(entry: LogRecord): void {
    if (entry.tally) return this.countTally(entry.tally);
    if (entry.component !== undefined) return this.tdengine(entry);
    const { message } = entry;
    if (entry.level === 'FATAL') return TERMINATED.test(message) ? this.sessionTerminated(entry) : this.failedLogin(entry);
    if (entry.level === 'ERROR') return this.statementFailed(entry);
    if (entry.level !== 'LOG') return;
    if (message.startsWith('duration: ')) this.duration(entry);
    if (SHUTDOWN.test(message)) this.shuttingDown = true;
    else if (message.startsWith('database system is ready')) this.shuttingDown = false;
    if (message.startsWith('connection authorized:')) return this.sessionStarted(entry);
    if (message.startsWith('disconnection:')) return this.sessionEnded(entry.pid);
    if (message.startsWith('AUDIT: ')) return this.audit(entry);
    const sql = LOGGED_STATEMENT.exec(message)?.[1];
    if (sql === undefined) return;
    this.summary.statements++;
    if (entry.pid !== undefined) this.lastStatement.set(entry.pid, sql.trim());
    const parameters = PARAMETERS.exec(entry.detail ?? '')?.[1];
    this.classifyAndEmit(entry, sql, parameters, 'log_statement');
  }

  /**
   * A failed login is an event; it alerts when the failures of its user or of its client pass a bound
   * (activity.failedLogins), once per bound, so a brute force of thousands gives a few alerts, not thousands.
   */
  private failedLogin(entry: LogRecord): void {
    const failure = authFailureOf(entry);
    if (!failure) return;
    this.loginFailed(entry, { ...failure, reason: FAILURE_REASONS[failure.reason], userMissing: ROLE_MISSING.test(entry.detail ?? '') });
  }

  /** One failed login of any engine, counted against activity.failedLogins per user and per client. */
  private loginFailed(entry: LogRecord, failure: { user: string; client: string; reason: string; userMissing: boolean }): void {
    const byUser = bump(this.failuresByUser, failure.user);
    const byClient = bump(this.failuresByClient, failure.client);
    const notes = [`${failure.reason}; failure ${byUser} for this user, ${byClient} from ${failure.client}`];
    if (failure.userMissing) notes.push(entry.component ? 'the user does not exist: guessing user names?' : 'the role does not exist: guessing role names?');
    const classified: Classified = { useCase: 'failed-login', command: 'LOGIN', objects: [failure.user], notes, highRisk: false, statement: '' };
    this.emit({ ...entry, client: entry.client ?? failure.client }, classified, null, 'session', this.boundPassed(byUser, byClient));
  }

  /**
   * TDengine's taosd and taosAdapter lines (activity --engine tdengine): failed logins under the same bounds as
   * PostgreSQL's, logins (from an address outside activity.allowedClients), refused operations and restarts.
   */
  private tdengine(entry: LogRecord): void {
    const event = tdengineEventOf(entry);
    if (!event) return;
    if (event.kind === 'failed-login') return this.loginFailed({ ...entry, user: event.user, client: event.client }, event);
    if (event.kind === 'login') {
      this.summary.sessions++;
      return this.clientSeen({ ...entry, user: event.user, client: event.client, application: event.application });
    }
    if (event.kind === 'denied') {
      return this.emit(entry, { useCase: 'permission-denied', command: event.action.toUpperCase(), objects: [event.object], notes: [event.message], highRisk: false, statement: '' }, null, 'session', undefined, 'failed');
    }
    this.emit(entry, { useCase: 'server-restart', command: 'START', objects: [entry.component!], notes: ['taosd started (TDengine initialized successfully): a restart nobody planned can be someone loading a changed binary or configuration'], highRisk: false, statement: '' }, null, 'session');
  }

  /** A login from an address outside activity.allowedClients (when the config lists them). */
  private clientSeen(entry: LogRecord): void {
    if (!this.allowedClients || !entry.client || entry.client === '[local]' || this.allowedClients.check(entry.client, isIP(entry.client) === 6 ? 'ipv6' : 'ipv4')) return;
    this.emit(entry, { useCase: 'unexpected-client', command: 'LOGIN', objects: [entry.client], notes: [`${entry.user ?? '?'} logged in from ${entry.client}, outside activity.allowedClients`], highRisk: false, statement: '' }, null, 'session');
  }

  /** "duration: 401.231 ms  statement: …": a statement that ran at least activity.longRunning (5 min). */
  private duration(entry: LogRecord): void {
    const ms = Number(DURATION.exec(entry.message)?.[1]);
    if (!(ms >= this.longRunningMs)) return;
    const sql = LOGGED_STATEMENT.exec(entry.message)?.[1]?.trim() ?? '';
    this.emit(entry, { useCase: 'long-running', command: commandWord(sql), objects: [], notes: [`ran ${formatMs(ms)}`], highRisk: false, statement: sql }, null, 'session');
  }

  /**
   * An ERROR with the STATEMENT it ended: "canceling statement due to …" is statement-cancelled; a refused statement is
   * an attempt, under its own use case or, for an ordinary one refused for lack of privilege, permission-denied. A
   * statement log_statement already showed when it started raised its alert then: its failure is recorded only.
   */
  private statementFailed(entry: LogRecord): void {
    const sql = entry.statement?.trim() ?? '';
    const cancelled = CANCELLED.exec(entry.message)?.[1];
    if (cancelled) {
      this.emit(entry, { useCase: 'statement-cancelled', command: commandWord(sql), objects: [], notes: [`cancelled: ${cancelled}`], highRisk: false, statement: sql }, null, 'session', undefined, 'failed');
      return;
    }
    if (!sql || SYNTAX_ERROR.test(entry.message)) return;
    const denied = DENIED.test(entry.message);
    const loggedAtStart = entry.pid !== undefined && this.lastStatement.get(entry.pid) === sql;
    const error = `failed: ${entry.message}${loggedAtStart ? ' (logged when it started)' : ''}`;
    for (const classified of this.classifier.classify(sql)) {
      if (!classified.useCase && !denied) continue;
      const useCase = classified.useCase ?? 'permission-denied';
      this.emit(entry, { ...classified, useCase, statement: classified.statement || sql, notes: [error, ...classified.notes] }, null, 'log_statement', loggedAtStart ? null : undefined, 'failed');
    }
  }

  /** FATAL "terminating connection due to …": an operator's terminate alerts; a timeout, or a server shutting down, is recorded. */
  private sessionTerminated(entry: LogRecord): void {
    const why = TERMINATED.exec(entry.message)![1]!;
    const byOperator = why === 'administrator command';
    const notes = [`terminated: ${why}${byOperator && this.shuttingDown ? ' (the server was shutting down)' : ''}`];
    const sql = entry.statement?.trim() ?? '';
    if (sql) notes.push(`while running: ${sql}`);
    this.emit(entry, { useCase: 'session-terminated', command: 'TERMINATE', objects: [entry.user ?? '?'], notes, highRisk: false, statement: sql }, null, 'session', byOperator && !this.shuttingDown ? 'monitor' : null);
  }

  /** The level a count reaches at this event if it just passed a bound; null otherwise. */
  private boundPassed(...counts: number[]): AlertStatus | null {
    const { monitorAbove = 5, investigateAbove = 20 } = this.options.config.failedLogins ?? {};
    if (counts.includes(investigateAbove + 1)) return 'investigate';
    return counts.includes(monitorAbove + 1) ? 'monitor' : null;
  }

  private sessionStarted(entry: LogRecord): void {
    this.summary.sessions++;
    this.clientSeen(entry);
    // The log pipeline's SessionAttributes read the application name (spaces and all) from this very line.
    const { application } = entry;
    if (application && /^pg_dump(all)?$/.test(application)) {
      this.emit(entry, { useCase: 'data-exfiltration', command: application, objects: [entry.database ?? '?'], notes: ['pg_dump session: the whole database can leave'], highRisk: false, statement: '' }, null, 'session');
    }
  }

  /** AUDIT: TYPE,STATEMENT_ID,SUBSTATEMENT_ID,CLASS,COMMAND,OBJECT_TYPE,OBJECT_NAME,STATEMENT,PARAMETER[,ROWS] */
  private audit(entry: LogRecord): void {
    this.summary.auditEntries++;
    let fields: string[];
    try {
      fields = (parseCsv(entry.message.slice(7), { relax_quotes: true, relax_column_count: true }) as string[][])[0] ?? [];
    } catch {
      this.emit(entry, { useCase: 'unparsed', command: 'AUDIT', objects: [], notes: ['a pgaudit entry that is not valid CSV'], highRisk: false, statement: entry.message }, null, 'pgaudit');
      return;
    }
    const [, statementId = '', substatementId = '', auditClass = '', command = '', objectType = '', objectName = '', statement = '', parameter = '', rows = ''] = fields;
    const pid = entry.pid ?? -1;
    // A function the statement's own text calls is its function-execution event already: one event per statement.
    if (auditClass === 'FUNCTION' && command === 'EXECUTE' && !objectName.startsWith('pg_catalog.') && !this.callsVisibly(statement, objectName)) {
      this.emit(entry, { useCase: 'function-execution', command: 'EXECUTE', objects: [objectName], notes: ['pgaudit FUNCTION: called from inside another function'], highRisk: false, statement }, null, 'pgaudit');
    }
    if (objectType === 'VIEW' && (command === 'DELETE' || (this.classifier.options.viewWrites && (command === 'UPDATE' || command === 'INSERT')))) {
      this.emit(entry, { useCase: 'view-delete', command, objects: [objectName], notes: [`${command} through a view (pgaudit)`], highRisk: false, statement }, null, 'pgaudit');
    }
    // With pgaudit.log_rows the entry says how many rows a read returned: a large read is a bulk read.
    if (auditClass === 'READ' && Number(rows) > this.bulkRows) {
      this.emit(entry, { useCase: 'data-exfiltration', command, objects: [objectName || '(query)'], notes: [`read ${rows} rows (over ${this.bulkRows})`], highRisk: false, statement }, null, 'pgaudit');
    }
    // One statement gives several entries (sub-statements, one per relation), and every statement of a
    // multi-statement query string repeats the whole string: classify a text once per statement id, and a
    // multi-statement string once.
    if (statement === '<previously logged>') return;
    const text = statement.trim();
    // A sub-statement with text of its own is one a function, a DO block or an EXECUTE ran: what log_statement never
    // shows and obfuscated code hides. It is classified on its own. (pgaudit also numbers the top statement's later
    // entries as sub-statements, with the top statement's text: those are the statement itself.)
    if (substatementId === '1' || substatementId === '') this.auditTop.set(pid, { statementId, text });
    const top = this.auditTop.get(pid);
    const inner = substatementId !== '1' && substatementId !== '' && !(top?.statementId === statementId && top.text === text);
    if (inner) {
      const key = `${statementId}.${substatementId}`;
      if (this.lastInner.get(pid) === key) return;
      this.lastInner.set(pid, key);
    } else {
      if (this.lastAudit.get(pid) === statementId) return;
      this.lastAudit.set(pid, statementId);
    }
    const previous = this.lastAuditText.get(pid);
    this.lastAuditText.set(pid, text);
    if (this.lastStatement.get(pid) === text) return;
    const sql = auditSql(statement);
    if (previous === text && this.classifier.classify(sql).length > 1) return;
    this.summary.statements++;
    const notes = inner ? [`run inside statement ${statementId} (by a function, a DO block or EXECUTE)`] : [];
    this.classifyAndEmit(entry, sql, parameter === '<not logged>' || parameter === '<none>' ? undefined : parameter, 'pgaudit', notes);
  }

  private callsVisibly(statement: string, functionName: string): boolean {
    const name = functionName.split('.').pop()!;
    return this.classifier.classify(auditSql(statement)).some((c) => c.useCase === 'function-execution' && c.objects.some((o) => o === functionName || o.split('.').pop() === name));
  }

  private classifyAndEmit(entry: LogRecord, sql: string, parameters: string | undefined, source: ActivityEvent['source'], notes: readonly string[] = []): void {
    for (const classified of this.classifier.classify(sql)) {
      this.classifier.learnViews(viewsCreated(classified));
      this.summary.commands.set(classified.command, (this.summary.commands.get(classified.command) ?? 0) + 1);
      this.options.onStatement?.(entry, classified);
      if (classified.useCase && !this.applicationsRoutine(entry, classified)) this.emit(entry, notes.length ? { ...classified, notes: [...notes, ...classified.notes] } : classified, parameters, source, this.offboarding(entry.pid, classified));
      else this.summary.other++;
    }
  }

  /**
   * Plain reads and writes counted elsewhere (Logs Insights dropped them where the log lives): they count as
   * statements of no use case, as if read here.
   */
  countPlain(command: string, count: number): void {
    this.countTally({ statements: count, other: count, commands: new Map([[command, count]]), lastByPid: new Map() });
  }

  /**
   * The tables and views a plain read or write must name to be a use case (views, sensitive and large tables); undefined
   * when a sensitive table is given as a glob, which no list of names covers.
   */
  watchedNames(): string[] | undefined {
    const { views, sensitiveTables, largeTables } = this.classifier.options;
    if (sensitiveTables.some((name) => /[*?[]/.test(name))) return undefined;
    return [...views, ...sensitiveTables, ...(largeTables?.keys() ?? [])];
  }

  /** What the monitor classifies statements with now (the views it learnt from the log among them). */
  classifying(): StatementClassifier['options'] {
    return this.classifier.options;
  }

  /** Ordinary statements a log reader counted in place of their records: counted as if handled one by one. */
  private countTally(tally: StatementTally): void {
    this.summary.statements += tally.statements;
    this.summary.other += tally.other;
    for (const [command, count] of tally.commands) this.summary.commands.set(command, (this.summary.commands.get(command) ?? 0) + count);
    for (const [pid, sql] of tally.lastByPid) this.lastStatement.set(pid, sql);
  }

  /** The catalog's SECURITY DEFINER function among those called, a superuser's first. */
  private definerOf(functions: readonly string[]): { owner: string; superuser: boolean } | undefined {
    const known = functions.map((name) => this.definers.get(name.toLowerCase()) ?? this.definers.get(name.toLowerCase().split('.').pop()!)).filter((d) => d !== undefined);
    return known.find((d) => d.superuser) ?? known[0];
  }

  /** A whole large table read by an application (a report, an export job): routine, unless a person runs it. */
  private applicationsRoutine(entry: LogRecord, classified: Classified): boolean {
    return classified.wholeLargeTable === true && !personOf(entry.application, entry.user, this.personRoles);
  }

  /**
   * REVOKE … FROM x then DROP ROLE x in one session is a role removed as it should be: the DROP is recorded (null), not
   * alerted. undefined: the rules decide.
   */
  private offboarding(pid: number | undefined, classified: Classified): null | undefined {
    if (pid === undefined) return undefined;
    if (classified.command === 'REVOKE') {
      const grantees = / FROM (.+)$/.exec(classified.notes[0] ?? '')?.[1]?.split(', ') ?? [];
      const revoked = this.revokedFrom.get(pid) ?? new Set<string>();
      for (const grantee of grantees) if (revoked.size < 1000) revoked.add(grantee);
      this.revokedFrom.set(pid, revoked);
      return undefined;
    }
    const revoked = this.revokedFrom.get(pid);
    if (classified.useCase === 'user-dropped' && revoked && classified.objects.every((role) => revoked.has(role))) return null;
    return undefined;
  }

  /** A pid is reused by a later session: what was known about the old one goes. */
  private sessionEnded(pid: number | undefined): void {
    if (pid === undefined) return;
    this.lastStatement.delete(pid);
    this.lastAudit.delete(pid);
    this.lastAuditText.delete(pid);
    this.auditTop.delete(pid);
    this.lastInner.delete(pid);
    this.revokedFrom.delete(pid);
  }


  private emit(entry: LogRecord, classified: Classified, parameters: string | undefined | null, source: ActivityEvent['source'], level?: AlertStatus | null, outcome: ActivityEvent['outcome'] = null): void {
    const useCase = classified.useCase!;
    const { application } = entry;
    const definer = useCase === 'function-execution' ? this.definerOf(classified.objects) : undefined;
    const person = personOf(application, entry.user, this.personRoles);
    const actorSuperuser = this.options.superusers && entry.user !== undefined ? this.options.superusers.includes(entry.user) : undefined;
    const { severity, because } = severityOf({ ...classified, useCase, application, outcome, level, runsAsSuperuser: definer?.superuser, person, actorSuperuser }, this.severityOptions);
    const event: ActivityEvent = {
      time: entry.time?.toISOString() ?? null,
      user: entry.user ?? null,
      database: entry.database ?? null,
      client: entry.client ?? null,
      application: application ? redactSecrets(application) : null,
      pid: entry.pid ?? null,
      useCase,
      command: classified.command,
      objects: classified.objects.map(redactSecrets),
      statement: truncate(redactSecrets(classified.statement), STATEMENT_CHARS),
      parameters: parameters ? truncate(redactParameters(classified.statement, parameters), STATEMENT_CHARS) : null,
      notes: [...classified.notes, ...(definer ? [`SECURITY DEFINER: runs as ${definer.owner}${definer.superuser ? ', a superuser' : ''}`] : []), ...because].map(redactSecrets),
      source,
      outcome,
      severity: this.options.config.rules?.[useCase]?.severity ?? severity,
      alert: null,
    };
    event.alert = alertFor({ useCase, command: classified.command, highRisk: classified.highRisk, user: entry.user, database: entry.database, application, objects: classified.objects, time: entry.time, level, severity: event.severity }, this.options.config);
    const counts = this.summary.byUseCase[useCase];
    counts.events++;
    if (event.alert) counts[event.alert.status]++;
    this.options.onEvent(event);
  }
}
