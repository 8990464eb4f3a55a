import { counted } from '../../plural.js';
import { z } from 'zod';
import { defineCheck, type FindingDraft } from '../types.js';
import { DbsecError, SourceMissing } from '../../errors.js';
import { safeText } from '../../redact.js';
import type { CheckContext } from '../../context.js';
import { OWN_STATEMENT_MARK } from '../../sources/postgres.js';

interface StatementRow {
  user: string | null;
  calls: number;
  totalMs: number;
  meanMs: number;
  rows: number;
  query: string;
}

/** What an injected statement tends to leave in pg_stat_statements (normalized: literals are $n there). */
const INJECTION_SIGNS: ReadonlyArray<[string, RegExp]> = [
  ['tautology', /\b(?:or|and)\s+(?:\$\d+|'[^']*'|\d+)\s*=\s*(?:\$\d+|'[^']*'|\d+)/i],
  ['UNION SELECT on the catalog', /\bunion\s+(?:all\s+)?select\b[\s\S]*\b(?:pg_catalog|information_schema|pg_shadow|pg_authid|pg_user|pg_roles|pg_tables)\b/i],
  ['time delay', /\bpg_sleep(?:_for|_until)?\s*\(/i],
  ['stacked statement after a literal', /'\s*;\s*(?:drop|delete|update|insert|create|alter|grant|copy)\b/i],
  ['comment after a literal', /'\s*(?:--|\/\*)/],
];

const ENABLE_STEPS =
  "pg_stat_statements is not available: add it to shared_preload_libraries (on RDS: in the DB parameter group), restart, then run CREATE EXTENSION pg_stat_statements in this database";

async function readStatements(ctx: CheckContext, limit: number): Promise<StatementRow[]> {
  const pg = await ctx.pg();
  const [installed] = await pg.query<{ schema: string }>(
    `SELECT n.nspname AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_stat_statements'`,
  );
  if (!installed) throw new SourceMissing(ENABLE_STEPS);
  // Without pg_read_all_stats, other roles' statements show as "<insufficient privilege>": a quiet list would lie.
  const [access] = await pg.query<{ role: string; seesAll: boolean }>(
    `SELECT current_user AS role, pg_has_role(current_user, 'pg_read_all_stats', 'MEMBER') OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS "seesAll"`,
  );
  if (!access!.seesAll) {
    throw new DbsecError(`The role ${access!.role} sees only its own statements in pg_stat_statements, so injected ones by other roles would be missed: GRANT pg_monitor TO ${access!.role}.`);
  }
  // PostgreSQL 13 renamed total_time/mean_time to total_exec_time/mean_exec_time.
  const [total, mean] = pg.serverVersion >= 130000 ? ['total_exec_time', 'mean_exec_time'] : ['total_time', 'mean_time'];
  const view = `"${installed.schema.replace(/"/g, '""')}".pg_stat_statements`;
  const sql = `
    SELECT pg_get_userbyid(s.userid) AS "user", s.calls::float8 AS calls, s.${total}::float8 AS "totalMs",
           s.${mean}::float8 AS "meanMs", s.rows::float8 AS rows, s.query
      FROM ${view} s
     WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
       -- dbsec's own statements, by its role and its mark (a statement of another role is never hidden by the mark)
       AND NOT (s.userid = (SELECT oid FROM pg_roles WHERE rolname = current_user) AND s.query LIKE '%${OWN_STATEMENT_MARK}')
     ORDER BY s.calls DESC LIMIT $1`;
  try {
    return await pg.query<StatementRow>(sql, [limit]);
  } catch (err) {
    if (/must be loaded via .?shared_preload_libraries/i.test(String((err as Error).message))) throw new SourceMissing(ENABLE_STEPS);
    throw err;
  }
}

export default defineCheck({
  meta: {
    id: 'weekly.query-patterns',
    title: 'Query patterns in pg_stat_statements',
    area: 'activity',
    cadence: 'weekly',
    sources: ['postgres'],
    sees: 'present',
    runbook: 'Weekly Security Review §3: Analyze Query Patterns',
    remediation:
      'Find the application sending a statement that looks injected (pg_stat_statements.userid, then its logs), fix the query to use bind parameters, and review who read the sensitive tables. Resetting the statistics each week is a separate, explicit step: SELECT pg_stat_statements_reset().',
  },
  options: z.object({
    top: z.number().int().min(1).max(100).default(10),
    /** Tables whose readers are listed for review (schema.table or table). */
    sensitiveTables: z.array(z.string()).default([]),
    /** How many statements (by calls) are scanned for injection signs and sensitive tables. */
    scanLimit: z.number().int().min(10).max(100_000).default(5000),
  }),
  collect: (ctx, options) => readStatements(ctx, options.scanLimit),
  evaluate(statements, options): FindingDraft[] {
    const findings: FindingDraft[] = [];
    for (const statement of statements) {
      const signs = INJECTION_SIGNS.filter(([, pattern]) => pattern.test(statement.query)).map(([name]) => name);
      if (signs.length === 0) continue;
      findings.push({
        status: 'investigate',
        resource: safeText(statement.query, 80),
        title: `Statement that looks injected (${signs.join(', ')}) run ${counted(statement.calls, 'time')} by ${statement.user ?? '?'}`,
        summary: safeText(statement.query, 300),
        value: signs.join(', '),
        expected: 'parameterised application queries',
        evidence: [evidenceRow(statement)],
      });
    }
    const sensitive = statements.filter((s) => options.sensitiveTables.some((table) => new RegExp(`\\b${table.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`, 'i').test(s.query)));
    if (sensitive.length > 0) {
      findings.push({
        status: 'monitor',
        resource: options.sensitiveTables.join(', '),
        title: `${counted(sensitive.length, 'statement')} ${sensitive.length === 1 ? 'touches' : 'touch'} sensitive tables`,
        summary: `Run by ${[...new Set(sensitive.map((s) => s.user ?? '?'))].join(', ')}; confirm each reader should see this data.`,
        value: sensitive.length,
        evidence: sensitive.slice(0, options.top).map(evidenceRow),
      });
    }
    if (findings.length > 0) return findings;
    const byMean = [...statements].sort((a, b) => b.meanMs - a.meanMs).slice(0, options.top);
    return [
      {
        status: 'ok',
        resource: 'pg_stat_statements',
        title: `${counted(statements.length, 'statement')}, none that looks injected`,
        summary: `Top ${options.top} by calls and by mean time below; review them for unexpected patterns.`,
        value: 0,
        evidence: [
          ...statements.slice(0, options.top).map((s, i) => ({ rank: `calls #${i + 1}`, ...evidenceRow(s) })),
          ...byMean.map((s, i) => ({ rank: `mean time #${i + 1}`, ...evidenceRow(s) })),
        ],
      },
    ];
  },
});

function evidenceRow(s: StatementRow) {
  return { user: s.user, calls: s.calls, meanMs: Math.round(s.meanMs * 100) / 100, totalMs: Math.round(s.totalMs), rows: s.rows, query: safeText(s.query, 200) };
}
