import { forMachines } from '../../reports/formats.js';
import { reportExit } from '../../compare.js';
import { counted } from '../../plural.js';
import { basename } from 'node:path';
import { loadModule } from 'libpg-query';
import { TargetContext } from '../../context.js';
import { DbsecError, ifConfigured, messageOf } from '../../errors.js';
import type { Io } from '../../io.js';
import { spinner } from '../../progress.js';
import { makeReport, type Finding, type Report } from '../../report.js';
import { safeText, truncate } from '../../redact.js';
import { AUTH_FAILURE_PHRASES } from '../../sources/logs/auth-failures.js';
import { makeFinding } from '../../finding.js';
import { untilAborted } from '../../abort.js';
import { interruptedExit, severityRank, type Severity } from '../../status.js';
import { IncidentTracker, type Incident } from '../../activity/incidents.js';
import { durationMs } from '../../time.js';
import { connectionRole, describeTarget, type Target } from '../../target.js';
import { reviewWindow, windowEnd, type TimeWindow } from '../../time.js';
import { assertLogGroupExists } from '../../sources/logs/cloudwatch-reader.js';
import { readFailure } from '../../sources/logs/file-reader.js';
import { addLogStats, newLogStats, type LogStats } from '../../sources/logs/record.js';
import { MAX_QUERY_ROWS, plainDmlQueries } from '../../sources/logs/insights.js';
import { AlertLog } from '../../alert-log.js';
import { keyFromEnv } from '../shared/keys.js';
import { assertReadable, logInputs, skippedInput } from '../../sources/logs/pipeline.js';
import { ActivityMonitor, DEFAULT_BULK_ROWS, type ActivityEvent, type ActivitySummary } from '../../activity/monitor.js';
import type { ActivityConfig } from '../../activity/rules.js';
import { USE_CASE_INFO, USE_CASES } from '../../activity/use-cases.js';
import { TDENGINE_PHRASES } from '../../activity/tdengine.js';
import { blindSpotsOf, loggingFactsOfLog, tdengineBlindSpots, type LoggingFacts } from '../../activity/coverage.js';
import { contextDeps, singleTarget } from '../shared/targets.js';
import { emitReport, notifyIfAsked } from '../shared/emit.js';
import type { NotifyFlags, ReportFlags, TargetFlags, TerminalFlags, WindowFlags } from '../shared/flags.js';
import type { Format } from '../../reports/index.js';

export interface ActivityFlags extends TargetFlags, WindowFlags, Omit<ReportFlags, 'format'>, NotifyFlags, TerminalFlags {
  format: Format | 'jsonl';
  events?: boolean;
  minSeverity?: Severity;
  follow?: boolean;
  /** Append every alert to this hash-chained file (dbsec verify-log). */
  alertLog?: string;
  signKeyEnv?: string;
  /** postgresql, or tdengine: taosd's and taosAdapter's log files. */
  engine?: 'postgresql' | 'tdengine';
  /** Threads reading one large log file; undefined: as many as the cores for a file of 64 MB or more. */
  jobs?: number;
}

/** Only what activity monitoring reads from CloudWatch: statements, pgaudit, connections, the DETAIL with parameters. */
const ACTIVITY_PHRASES = ['statement: ', 'execute ', 'AUDIT: ', 'connection authorized', 'Parameters: ', ...AUTH_FAILURE_PHRASES, 'duration: ', 'ERROR:', 'terminating connection', 'shutdown request', 'ready to accept connections'];

/** Alerts beyond this (the most severe are kept) stay in jsonl only, so a report of a huge log stays readable and bounded. */
const MAX_ALERT_FINDINGS = 1000;
const MAX_EVENT_ROWS = 10_000;

interface SourceProblem {
  source: string;
  message: string;
}

/**
 * dbsec activity: reads PostgreSQL's logs (files, stdin or CloudWatch Logs), classifies every logged statement
 * with PostgreSQL's own parser into the seed's use cases, and alerts by the configured rules.
 */
export async function activity(flags: ActivityFlags, io: Io, version: string): Promise<number> {
  const { target: given, config } = await singleTarget(flags, io, 'dbsec activity reads one log source at a time: pass --log-file or --rds-instance instead of a config with several targets.');
  // A target made of log files alone is named after them, not "target-1".
  const named = given.name.startsWith('target-') && given.logFiles.length > 0 ? { ...given, name: given.logFiles.map((f) => (f === '-' ? 'stdin' : basename(f))).join(', ') } : given;
  if (flags.engine === 'tdengine' && (named.logFiles.length === 0 || named.databaseUrl || named.rdsInstance)) {
    throw new DbsecError("--engine tdengine reads TDengine's log files: pass --log-file taosdlog.0 (and taosAdapter's log), without --database-url or --rds-instance.");
  }
  const target = flags.engine === 'tdengine' ? { ...named, logFormat: 'tdengine' as const } : named;
  if (target.logFiles.length === 0 && !target.logGroup) throw new DbsecError('No log to read: pass --log-file FILE (or - for stdin), or --rds-instance ID for its CloudWatch log group.');
  if (flags.follow && target.logFiles.includes('-')) throw new DbsecError('--follow needs a file or a log group; stdin is already read as it arrives.');
  const tracking = flags.compare ? '--compare' : flags.state ? '--state' : undefined;
  if (tracking && flags.format === 'jsonl') throw new DbsecError(`${tracking} marks the findings of a report (json, markdown or table); --format jsonl streams events: drop one of them.`);
  if (flags.signKeyEnv && !flags.alertLog) throw new DbsecError('--sign-key-env signs the alert log: add --alert-log FILE, or drop it.');
  if (flags.follow && flags.until !== undefined) throw new DbsecError('--follow reads what is logged from now on, so it takes no --until: drop one of them.');
  const now = io.now();
  const window = activityWindow(flags, target, now);
  const activityConfig: ActivityConfig = { ...config.activity, ...(flags.minSeverity ? { minSeverity: flags.minSeverity } : {}) };
  const incidents = new IncidentTracker(durationMs(activityConfig.incidentGap ?? '30m')!);
  const ctx = new TargetContext(target, window ?? { from: new Date(0), to: now }, now, contextDeps(config, io));
  // Ctrl-C ends --follow as planned; a one-off read it interrupts, and the report says how far it got.
  const signal = io.interruption?.() ?? new AbortController().signal;
  const interrupted = () => signal.aborted && !flags.follow;
  const streaming = flags.format === 'jsonl' || flags.follow;
  const alerts = new MostSevere(MAX_ALERT_FINDINGS);
  const events: ActivityEvent[] = [];
  const progress = !flags.quiet && !streaming && !forMachines(flags.format) && io.stderr.isTTY ? await spinner(io.stderr as NodeJS.WriteStream, 'reading logs') : undefined;
  const problems: SourceProblem[] = [];
  const alertLog = flags.alertLog ? await AlertLog.open(flags.alertLog, keyFromEnv(flags.signKeyEnv, io)) : undefined;
  // Appends are chained one after another in the order the alerts come; the first failure is reported once.
  let appending = Promise.resolve();
  const logAlert = (event: ActivityEvent) => {
    appending = appending.then(() => alertLog!.append({ ...event }, io.now())).catch((err: unknown) => {
      if (!problems.some((p) => p.source === 'alert log')) problems.push({ source: 'alert log', message: messageOf(err) });
    });
  };
  const stats = newLogStats();
  const span = { from: Infinity, to: -Infinity };
  try {
    const server = await ifConfigured(() => serverFacts(ctx, activityConfig.bulkRows ?? DEFAULT_BULK_ROWS)).catch((err) => {
      problems.push({ source: 'database', message: messageOf(err) });
      return undefined;
    });
    if (server?.views.length) activityConfig.views = [...(activityConfig.views ?? []), ...server.views];
    await loadModule();
    const monitor = new ActivityMonitor({
      config: activityConfig,
      largeTables: server?.largeTables,
      definers: server?.definers,
      superusers: server?.superusers,
      onEvent(event) {
        if (event.alert) {
          alerts.add(event);
          incidents.add(event);
          if (alertLog) logAlert(event);
        }
        if (flags.events && events.length < MAX_EVENT_ROWS) events.push(event);
        if (flags.format === 'jsonl' && (event.alert || flags.events)) io.stdout.write(`${JSON.stringify({ type: 'event', ...event })}\n`);
        else if (flags.follow && event.alert) io.stdout.write(`${alertLine(event)}\n`);
      },
    });
    // Known views and large tables (the catalog answered): plain reads and writes naming none of them stay on the server.
    const watched = server && activityConfig.insights !== false && target.logFiles.length === 0 ? monitor.watchedNames() : undefined;
    const plainQueries = watched && plainDmlQueries(watched);
    const inputs = logInputs({
      files: target.logFiles,
      logGroup: target.logGroup,
      aws: () => ctx.aws(),
      format: target.logFormat,
      prefix: await ctx.logLinePrefixes(),
      window,
      now,
      phrases: flags.engine === 'tdengine' ? TDENGINE_PHRASES : ACTIVITY_PHRASES,
      dense: true,
      ownRole: connectionRole(target),
      follow: flags.follow ? { clock: io.now, signal } : undefined,
      shards: { jobs: flags.jobs ?? 'auto', classifying: () => monitor.classifying() },
      ...(plainQueries
        ? {
            plainDmlOnServer: {
              queries: plainQueries,
              onPlain: (command: string, count: number) => monitor.countPlain(command, count),
              onFull: (second: Date) =>
                problems.push({ source: target.logGroup!, message: `Logs Insights returned its limit of ${MAX_QUERY_ROWS} lines for the second at ${second.toISOString()}: the lines beyond it were not read; read this window with activity.insights: false.` }),
              signal,
            },
          }
        : {}),
    });
    for (const { name, batches } of inputs) {
      const read = newLogStats();
      try {
        if (target.logFiles.length === 0) await assertLogGroupExists(ctx.aws(), name);
        for await (const batch of untilAborted(batches(read), signal)) {
          for (const entry of batch) {
            const first = entry.tally ? entry.tally.from : entry.time?.getTime();
            const last = entry.tally ? entry.tally.to : first;
            if (first !== undefined && first < span.from) span.from = first;
            if (last !== undefined && last > span.to) span.to = last;
            monitor.handle(entry);
          }
          if (progress) progress.text = `reading ${name}: ${((stats.bytes + read.bytes) / 1e6).toFixed(0)} MB`;
        }
        if (!interrupted()) assertReadable(name, read);
      } catch (err) {
        problems.push({ source: name, message: (err instanceof DbsecError ? err : readFailure(name, err)).message });
      }
      addLogStats(stats, read);
      if (signal.aborted) break;
    }
    progress?.stop();
    await appending;
    const covered = window ?? (span.from <= span.to ? { from: new Date(span.from), to: new Date(span.to) } : { from: now, to: now });
    const report = buildReport({ version, target, window: covered, now, finishedAt: io.now(), monitor: monitor.summary, stats, alerts: alerts.inOrder(), incidents: incidents.incidents(), events: flags.events ? events : undefined, problems, server, interrupted: interrupted() });
    let emitted = report;
    if (flags.format === 'jsonl') {
      io.stdout.write(`${JSON.stringify({ type: 'summary', ...summaryJson(monitor.summary, stats), problems, ...(report.interrupted ? { interrupted: true } : {}) })}\n`);
    } else {
      emitted = await emitReport(report, { ...flags, format: flags.format }, io, config);
    }
    await notifyIfAsked(emitted, flags, io);
    return report.interrupted ? interruptedExit(signal.reason) : reportExit(emitted, flags);
  } finally {
    progress?.stop();
    await appending;
    await alertLog?.close();
    await ctx.close();
  }
}

/** CloudWatch: the last 24 h by default. Files: read whole unless --since is given; --until alone cuts their end. */
function activityWindow(flags: ActivityFlags, target: Target, now: Date): TimeWindow | undefined {
  if (target.logFiles.length === 0 || flags.since !== undefined) return reviewWindow(flags, '24h', now);
  if (flags.until === undefined) return undefined;
  return { from: new Date(0), to: windowEnd(flags.until, now) };
}

interface ServerFacts {
  views: string[];
  /** Tables the planner's statistics count more rows in than bulkRows. */
  largeTables: Array<{ name: string; rows: number }>;
  /** SECURITY DEFINER functions and their owners. */
  definers: Array<{ name: string; owner: string; superuser: boolean }>;
  superusers: string[];
  logging: LoggingFacts;
}

/**
 * With a database: its views (DELETE through them is view-delete), its large tables, its SECURITY DEFINER functions,
 * its superusers and what its logging records.
 */
async function serverFacts(ctx: TargetContext, bulkRows: number): Promise<ServerFacts> {
  const pg = await ctx.pg();
  const large = await pg.query<{ name: string; rows: string }>(
    `SELECT n.nspname || '.' || c.relname AS name, c.reltuples::bigint AS rows FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p', 'm') AND c.reltuples > $1 AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      ORDER BY c.reltuples DESC LIMIT 10000`,
    [bulkRows],
  );
  const superusers = await pg.query<{ name: string }>(`SELECT rolname AS name FROM pg_roles WHERE rolsuper LIMIT 10000`);
  const definers = await pg.query<{ name: string; owner: string; superuser: boolean }>(
    `SELECT n.nspname || '.' || p.proname AS name, r.rolname AS owner, r.rolsuper AS superuser
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_roles r ON r.oid = p.proowner
      WHERE p.prosecdef AND n.nspname NOT IN ('pg_catalog', 'information_schema') LIMIT 10000`,
  );
  const views = await pg.query<{ name: string }>(
    `SELECT n.nspname || '.' || c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('v', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') LIMIT 10000`,
  );
  const [settings] = await pg.query<{ log_statement: string; pgaudit: string | null; log_connections: string; log_min_duration_statement: string }>(
    `SELECT current_setting('log_statement') AS log_statement,
            CASE WHEN current_setting('shared_preload_libraries') LIKE '%pgaudit%' THEN current_setting('pgaudit.log', true) END AS pgaudit,
            current_setting('log_connections') AS log_connections,
            (SELECT setting FROM pg_settings WHERE name = 'log_min_duration_statement') AS log_min_duration_statement`,
  );
  return {
    views: views.map((v) => v.name),
    largeTables: large.map((t) => ({ name: t.name, rows: Number(t.rows) })),
    definers,
    superusers: superusers.map((r) => r.name),
    logging: {
      origin: 'settings',
      logStatement: settings!.log_statement,
      pgaudit: settings!.pgaudit,
      // PostgreSQL 18 made log_connections a list (receipt, authentication, authorization…): anything but off logs sessions.
      logConnections: !['off', ''].includes(settings!.log_connections),
      logMinDurationMs: Number(settings!.log_min_duration_statement),
    },
  };
}

/** What the logging cannot show, from the server's settings or, without them, from what the log holds. */
function coverageFinding(summary: ActivitySummary, server: ServerFacts | undefined, target: string, format: LogStats['format']): Finding {
  const facts = server?.logging ?? loggingFactsOfLog(summary);
  const tdengine = format === 'tdengine';
  const spots = tdengine ? tdengineBlindSpots(summary) : blindSpotsOf(facts);
  const blind = [...new Set(spots.flatMap((spot) => spot.useCases))];
  const from = facts.origin === 'settings' ? "the server's settings" : 'what the log holds (pass --database-url to read the settings)';
  return makeFinding(
    {
      status: spots.length > 0 ? 'monitor' : 'ok',
      title: spots.length > 0 ? `The logging leaves ${blind.length} use case${blind.length === 1 ? '' : 's'} partly or wholly blind: ${blind.join(', ')}` : 'The logging shows every use case',
      summary: tdengine
        ? `Judged from TDengine's log: ${summary.sessions > 0 ? 'login lines (debug level) are present' : 'no login line (debug level is off)'}. Each row names what cannot be seen and the setting that shows it.`
        : summary.statements === 0 && facts.origin === 'log'
          ? 'The log holds no statements at all: log_statement is none and pgaudit is not loaded, or --log-line-prefix does not match the lines.'
          : `Judged from ${from}${facts.origin === 'settings' ? `: log_statement = ${facts.logStatement}, pgaudit.log = ${facts.pgaudit ?? '(not loaded)'}` : `: it shows log_statement = ${facts.logStatement} at least${summary.auditEntries > 0 ? ', pgaudit entries' : ', no pgaudit entry'}${summary.sessions > 0 ? ', session lines' : ', no session line'}`}.${spots.length > 0 ? ' Each row names what cannot be seen and the setting that shows it.' : ''}`,
      resource: target,
      identity: spots.map((spot) => spot.cannotShow),
      evidence: spots.map((spot) => ({ cannotShow: spot.cannotShow, useCases: spot.useCases.join(', '), fix: spot.fix, certainty: spot.certainty })),
    },
    { checkId: 'activity.coverage', target, remediation: tdengine ? 'Change taos.cfg as each row names, then restart taosd.' : 'Change the settings each row names (ALTER SYSTEM or the RDS parameter group), then reload.', runbook: 'Seed 003: configuration baselines and log review; seed 000: Database Activity Monitoring' },
    {},
  );
}

/**
 * What was done and by whom: "GRANT SELECT ON t TO bob by mallory@app", "COPY TO PROGRAM cat > /dev/null (customers)
 * by …", "ALTER SYSTEM SET log_statement = 'none' by …", "DO block by …", "DROP TABLE t by …".
 */
function alertTitle(event: ActivityEvent): string {
  return `${actOf(event)} by ${event.user ?? '?'}${event.database ? `@${event.database}` : ''}`.replace(/\s+/g, ' ');
}

function actOf(event: ActivityEvent): string {
  const said = event.command === 'GRANT' || event.command === 'REVOKE' ? event.notes.find((n) => n.startsWith(`${event.command} `)) : undefined;
  if (said) return said;
  if (event.command === 'DO') return 'DO block';
  if (event.command === 'ALTER SYSTEM' && event.statement) return truncate(event.statement.replace(/;\s*$/, ''), 100);
  const copy = event.command.startsWith('COPY') ? event.notes.find((n) => n.startsWith('COPY ')) : undefined;
  if (copy) return copy.replace(/^COPY /, `COPY ${event.objects.join(', ')} `);
  return `${event.command} ${event.objects.join(', ')}`;
}

function unreadSources(count: number): string {
  return count ? ` ${count === 1 ? 'One log source' : `${count} log sources`} could not be read (activity.source says why): these counts leave ${count === 1 ? 'it' : 'them'} out.` : '';
}


interface BuildInput {
  version: string;
  target: Target;
  /** --since, or for files the span of the entries read. */
  window: TimeWindow;
  now: Date;
  finishedAt: Date;
  monitor: ActivitySummary;
  stats: LogStats;
  /** The alerts kept, most severe first, then in time order. */
  alerts: ActivityEvent[];
  incidents: Incident[];
  events?: ActivityEvent[];
  problems: SourceProblem[];
  server?: ServerFacts;
  /** Ctrl-C stopped the read: the counts cover only what was read by then. */
  interrupted: boolean;
}

function buildReport(input: BuildInput): Report {
  const { monitor, stats, target } = input;
  const source = (checkId: string, remediation: string, runbook = 'Seed 000: Database Activity Monitoring') => ({ checkId, target: target.name, remediation, runbook });
  const findings: Finding[] = input.incidents.map((incident) => incidentFinding(incident, target.name));
  findings.push(...input.alerts.map((event) =>
    makeFinding(
      {
        status: event.alert!.status,
        severity: event.severity,
        title: alertTitle(event),
        // Redacted before it is cut, so a cut never leaves half a password behind.
        summary: safeText((event.statement || event.notes.join('; ')).replace(/\s+/g, ' '), 300),
        // TDengine's lines carry no process id: the client address tells its events apart.
        resource: `${event.pid === null && event.client ? `client ${event.client}` : `pid ${event.pid ?? '?'}`} at ${event.time ?? '?'}`,
        // One process may run several statements of one use case within a second: the statement tells them apart.
        identity: [event.command, ...event.objects, event.statement],
        value: event.alert!.rule,
        evidence: [alertEvidence(event)],
      },
      source(`activity.${event.useCase}`, USE_CASE_INFO[event.useCase].remediation, `Seed 000: ${USE_CASE_INFO[event.useCase].seedName}`),
      {},
    ),
  ));
  const totalAlerts = USE_CASES.reduce((n, u) => n + monitor.byUseCase[u].monitor + monitor.byUseCase[u].investigate, 0);
  const cut = totalAlerts > input.alerts.length ? ` The report shows the ${input.alerts.length} most severe of ${totalAlerts} alerts; --format jsonl streams them all.` : '';
  findings.push(
    makeFinding(
      {
        // A source that could not be read leaves the counts partial: never ok.
        status: input.interrupted || input.problems.length > 0 ? 'error' : 'ok',
        title: `${input.interrupted ? 'Interrupted after ' : ''}${counted(monitor.statements, 'statement')}, ${counted(USE_CASES.reduce((n, u) => n + monitor.byUseCase[u].events, 0), 'event')}, ${counted(totalAlerts, 'alert')}`,
        summary: `${stats.records} entries (${stats.format ?? 'no'} format${stats.format === 'stderr' && stats.prefix ? ` with log_line_prefix '${stats.prefix}'` : ''}, ${(stats.bytes / 1e6).toFixed(1)} MB).${skippedInput(stats)}${cut}${input.interrupted ? ' dbsec was interrupted: the rest of the log was not read.' : ''}${unreadSources(input.problems.length)}`,
        resource: describeTarget(target).logSource,
        value: totalAlerts,
        evidence: USE_CASES.map((u) => ({ useCase: u, events: monitor.byUseCase[u].events, monitor: monitor.byUseCase[u].monitor, investigate: monitor.byUseCase[u].investigate })),
      },
      source('activity.summary', 'Each alert names its own remediation.'),
      {},
    ),
  );
  // Nothing read and no settings: there is nothing to judge the logging by.
  if (stats.records > 0 || input.server) findings.push(coverageFinding(monitor, input.server, target.name, stats.format));
  if (input.events) {
    findings.push(makeFinding({ status: 'ok', title: `${input.events.length} classified events`, summary: 'Every classified statement, in log order.', resource: null, evidence: input.events.map(evidenceRow) }, source('activity.events', '-'), {}));
  }
  for (const problem of input.problems) {
    findings.push(makeFinding({ status: 'error', title: `${problem.source} could not be read`, summary: problem.message, resource: problem.source }, source('activity.source', 'Fix the path, the file or the access named in the message.'), {}));
  }
  const report = makeReport({ version: input.version, command: 'activity', startedAt: input.now, finishedAt: input.finishedAt, window: input.window, targets: [describeTarget(target)] }, findings);
  return input.interrupted ? { ...report, interrupted: true } : report;
}

/**
 * The alerts to report, bounded: past the limit the least severe (and, among equals, the latest) give way, so a flood
 * of minor alerts never hides a critical one.
 */
class MostSevere {
  private readonly kept: ActivityEvent[] = [];

  constructor(private readonly limit: number) {}

  add(event: ActivityEvent): void {
    this.kept.push(event);
    // Trimmed in batches: a sort per alert would make a flood quadratic.
    if (this.kept.length >= this.limit * 2) this.trim();
  }

  inOrder(): ActivityEvent[] {
    this.trim();
    return this.kept;
  }

  private trim(): void {
    this.kept.sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || (a.time ?? '').localeCompare(b.time ?? ''));
    this.kept.length = Math.min(this.kept.length, this.limit);
  }
}

/** One login's chain of alerts, in order: who, how long, and each act. */
function incidentFinding(incident: Incident, target: string): Finding {
  const first = incident.alerts[0]!;
  const last = incident.alerts.at(-1)!;
  const count = incident.alerts.length + incident.more;
  const acts = incident.alerts.map((event) => actOf(event).replace(/\s+/g, ' '));
  const chain = acts.length > 6 ? [...acts.slice(0, 5), `… ${count - 5} more`] : acts;
  const minutes = first.time && last.time ? (Date.parse(last.time) - Date.parse(first.time)) / 60_000 : NaN;
  const span = Number.isNaN(minutes) ? '' : minutes < 1 ? ' within a minute' : ` in ${Math.round(minutes)} min`;
  return makeFinding(
    {
      status: incident.status,
      severity: incident.severity,
      title: `${incident.login}${incident.database ? `@${incident.database}` : ''}: ${count} alerts${span}: ${chain.join(' → ')}`,
      summary: `One login's alerts in a row, each within the incident gap of the one before (activity.incidentGap), from ${first.time ?? '?'} to ${last.time ?? '?'}.${incident.more ? ` The first ${incident.alerts.length} are listed.` : ''}`,
      resource: `${incident.login} from ${first.time ?? '?'}`,
      identity: [incident.login, first.time ?? '', first.pid ?? ''],
      evidence: incident.alerts.map((event) => ({ time: event.time, severity: event.severity, status: event.alert!.status, useCase: event.useCase, act: actOf(event), application: event.application, pid: event.pid, client: event.client })),
    },
    { checkId: 'activity.incident', target, remediation: 'Read the chain in order: what the login was given, what it became, what it did with it. Treat it as one incident (dbsec incident start) if any step was not authorised.', runbook: 'Seed 000: Database Activity Monitoring; runbook: Security Incident Response' },
    {},
  );
}


/** The alert's title and summary carry command, objects, who and the statement; the row adds the rest. */
function alertEvidence(event: ActivityEvent) {
  return { time: event.time, client: event.client, application: event.application, pid: event.pid, notes: event.notes.join('; '), parameters: event.parameters, source: event.source };
}

function evidenceRow(event: ActivityEvent) {
  return { time: event.time, user: event.user, database: event.database, client: event.client, application: event.application, pid: event.pid, useCase: event.useCase, command: event.command, objects: event.objects.join(', '), notes: event.notes.join('; '), statement: event.statement, parameters: event.parameters };
}

function summaryJson(summary: ActivitySummary, stats: LogStats) {
  return {
    statements: summary.statements,
    auditEntries: summary.auditEntries,
    otherStatements: summary.other,
    byUseCase: summary.byUseCase,
    input: { format: stats.format ?? null, bytes: stats.bytes, lines: stats.lines, entries: stats.records, skipped: stats.skipped, truncated: stats.truncated, outOfWindow: stats.outOfWindow, future: stats.future, own: stats.own },
  };
}

/** One line per alert as it happens, for --follow on a terminal or in a pipe. */
function alertLine(event: ActivityEvent): string {
  return safeText(`${event.alert!.status.toUpperCase()} ${event.severity} ${event.alert!.rule} ${event.time ?? '-'} ${event.user ?? '?'}@${event.database ?? '?'} ${event.client ?? ''} pid ${event.pid ?? '?'}: ${event.command} ${event.objects.join(', ')}`.replace(/\s+/g, ' '));
}

