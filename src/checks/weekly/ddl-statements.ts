import { z } from 'zod';
import { defineCheck, type FindingDraft } from '../types.js';
import { matchesAny } from '../../globs.js';
import { DbsecError, SourceMissing } from '../../errors.js';
import { safeText } from '../../redact.js';
import type { CheckContext } from '../../context.js';
import { forEachLoggedStatement, keywordPhrases } from '../../sql/logged-statements.js';

/** The runbook's three filter patterns fetch candidates; PostgreSQL's parser (as in dbsec activity) decides. */
const DDL_PHRASES = keywordPhrases(['DROP', 'ALTER', 'TRUNCATE']);
const DDL_COMMANDS = new Set(['DROP TABLE', 'ALTER TABLE', 'TRUNCATE TABLE']);

interface DdlEvent {
  time?: Date;
  user: string;
  database: string;
  client: string;
  command: string;
  statement: string;
}

/** log_statement of the server when dbsec can ask it; undefined when no database is configured. */
async function logStatementSetting(ctx: CheckContext): Promise<string | undefined> {
  try {
    const pg = await ctx.pg();
    const [row] = await pg.query<{ setting: string; pgaudit: boolean }>(
      // pgaudit counts only when loaded and logging the DDL class: loaded with pgaudit.log = none logs nothing.
      `SELECT current_setting('log_statement') AS setting,
              current_setting('shared_preload_libraries') LIKE '%pgaudit%' AND coalesce(current_setting('pgaudit.log', true), 'none') ~* '(all|ddl)' AS pgaudit`,
    );
    return row!.pgaudit ? 'pgaudit' : row!.setting;
  } catch (err) {
    if (err instanceof SourceMissing) return undefined;
    throw err;
  }
}

export default defineCheck({
  meta: {
    id: 'weekly.ddl-statements',
    title: 'DROP TABLE, ALTER TABLE and TRUNCATE in the logs',
    area: 'change-control',
    cadence: 'weekly',
    sources: ['logs', 'postgres'],
    sees: 'window',
    logPhrases: DDL_PHRASES,
    runbook: 'Weekly Security Review §4: Review CloudWatch Logs for Suspicious Activity',
    remediation:
      'Match each statement to a change ticket or migration; for one nobody can explain, find the session (user, client) and treat it as an incident. Put migration roles in the config: `checks: { weekly.ddl-statements: { allowRoles: [migrator] } }`.',
  },
  options: z.object({
    /** Roles expected to run DDL (migrations), names or * globs. */
    allowRoles: z.array(z.string()).default([]),
    statementChars: z.number().int().min(40).max(10_000).default(200),
  }),
  async collect(ctx): Promise<{ origin: string; events: DdlEvent[]; logStatement?: string }> {
    const logStatement = await logStatementSetting(ctx);
    const scan = await ctx.scanLogs(DDL_PHRASES);
    const events: DdlEvent[] = [];
    // One logged line may hold several statements ("TRUNCATE a; DROP TABLE b"): the parser gives one event each.
    await forEachLoggedStatement(scan.records, (record, { command, statement }) => {
      if (DDL_COMMANDS.has(command)) events.push({ time: record.time, user: record.user ?? '?', database: record.database ?? '?', client: record.client ?? 'local', command, statement });
    });
    return { origin: scan.origin, events, logStatement };
  },
  evaluate({ origin, events, logStatement }, options): FindingDraft[] {
    if (logStatement === 'none') {
      throw new DbsecError('The server runs with log_statement = none and without pgaudit, so DDL never reaches the log; set log_statement = ddl (or load pgaudit) before trusting this review.');
    }
    const unexpected = events.filter((e) => !matchesAny(e.user, options.allowRoles));
    const findings: FindingDraft[] = unexpected.map((event) => ({
      status: 'investigate',
      resource: `${event.database}: ${event.command} by ${event.user} at ${event.time?.toISOString() ?? '?'}`,
      title: `${event.command} by ${event.user} on ${event.database}`,
      summary: safeText(event.statement, options.statementChars),
      value: event.command,
      expected: 'DDL only by allow-listed roles',
      evidence: [{ time: event.time ?? null, user: event.user, database: event.database, client: event.client, statement: safeText(event.statement, options.statementChars) }],
    }));
    if (findings.length > 0) return findings;
    const coverage =
      logStatement === undefined
        ? "The server's log_statement could not be checked (no database configured): a quiet log may mean nothing is logged."
        : logStatement === 'ddl'
          ? 'log_statement = ddl: TRUNCATE is not logged (it needs mod or all).'
          : `The server logs DDL (${logStatement === 'pgaudit' ? 'pgaudit' : `log_statement = ${logStatement}`}).`;
    return [
      {
        status: 'ok',
        resource: origin,
        title: events.length ? `${events.length} DDL statements, all by allow-listed roles` : 'No DROP TABLE, ALTER TABLE or TRUNCATE in the window',
        summary: coverage,
        value: 0,
        evidence: events.map((e) => ({ time: e.time ?? null, user: e.user, database: e.database, command: e.command })),
      },
    ];
  },
});
