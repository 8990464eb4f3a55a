import { z } from 'zod';
import { defineCheck, type FindingDraft } from '../types.js';
import { SourceMissing } from '../../errors.js';
import type { Level } from '../../status.js';
import { governingSettings, normalizeSetting, type SettingsView } from '../../sources/parameters.js';
import { describeLogGroup } from '../../sources/logs/cloudwatch-reader.js';
import { inFleet } from '../../target.js';

interface LogExport {
  instance: string;
  exported: boolean;
  logGroup: string;
  /** undefined: the group does not exist; null: it never expires. */
  retentionDays?: number | null;
}

interface LoggingData {
  settings: SettingsView;
  export?: LogExport;
}

type Options = { minRetentionDays: number };

interface Row {
  prerequisite: string;
  value: string;
  expected: string;
  pass: boolean;
  level: Level;
  blind: string;
}

const SETTING_NAMES = ['log_connections', 'log_disconnections', 'log_statement', 'shared_preload_libraries', 'pgaudit.log'];

export default defineCheck({
  meta: {
    id: 'monthly.logging-config',
    title: 'Logging that the log-based checks depend on',
    area: 'monitoring',
    cadence: 'monthly',
    sources: ['rds', 'logs', 'postgres'],
    sees: 'present',
    runbook: 'Monthly Security Audit §5: Review and Analyze Logs (prerequisites)',
    remediation: {
      rds: "Set log_connections = 1, log_disconnections = 1 and log_statement = ddl (or load pgaudit with pgaudit.log = 'ddl,role') in the instance's parameter group; export the postgresql log (aws rds modify-db-instance --cloudwatch-logs-export-configuration '{\"EnableLogTypes\":[\"postgresql\"]}') and keep it at least 30 days (aws logs put-retention-policy --retention-in-days 30).",
      selfHosted:
        "Set log_connections = on, log_disconnections = on and log_statement = 'ddl' (or load pgaudit with pgaudit.log = 'ddl,role') in postgresql.conf or with ALTER SYSTEM, then SELECT pg_reload_conf(); keep the log files at least 30 days (logrotate) and ship them off the server.",
    },
  },
  options: z.object({ minRetentionDays: z.number().int().min(1).default(30) }),
  async collect(ctx): Promise<LoggingData> {
    if (!ctx.target.rdsInstance && !ctx.target.databaseUrl && !ctx.target.usePgEnv) {
      throw new SourceMissing('no RDS instance or database: pass --rds-instance ID or --database-url');
    }
    const settings = await governingSettings(ctx, SETTING_NAMES);
    if (!ctx.target.rdsInstance) return { settings };
    const instance = await ctx.rdsInstance();
    const logGroup = ctx.target.logGroup!;
    const group = await describeLogGroup(ctx.aws(), logGroup, inFleet(ctx.target));
    return {
      settings,
      export: {
        instance: ctx.target.rdsInstance,
        exported: (instance.EnabledCloudwatchLogsExports ?? []).includes('postgresql'),
        logGroup,
        retentionDays: group ? group.retentionInDays ?? null : undefined,
      },
    };
  },
  evaluate({ settings, export: logExport }, options): FindingDraft[] {
    const rows = [...(logExport ? exportRows(logExport, options) : []), ...settingRows(settings)];
    const failing = rows.filter((r) => !r.pass);
    if (failing.length === 0) {
      return [{ status: 'ok', resource: logExport?.logGroup ?? settings.origin, title: `All ${rows.length} logging prerequisites are in place`, summary: `Read from ${settings.origin}.`, value: 0, evidence: rows.map(evidence) }];
    }
    return failing.map((row) => ({
      status: row.level,
      resource: row.prerequisite,
      title: `${row.prerequisite} is ${row.value}`,
      summary: `Expected ${row.expected} (${settings.origin}): without it ${row.blind}.`,
      value: row.value,
      expected: row.expected,
    }));
  },
});

function exportRows(e: LogExport, options: Options): Row[] {
  const retention = e.retentionDays === undefined ? 'missing' : e.retentionDays === null ? 'never expire' : `${e.retentionDays} days`;
  return [
    { prerequisite: `postgresql log export of ${e.instance}`, value: e.exported ? 'enabled' : 'disabled', expected: 'enabled', pass: e.exported, level: 'investigate', blind: 'no log line reaches CloudWatch, so the failed-login and DDL reviews see nothing' },
    { prerequisite: `log group ${e.logGroup}`, value: retention, expected: `to exist and keep at least ${options.minRetentionDays} days`, pass: e.retentionDays === null || (e.retentionDays ?? 0) >= options.minRetentionDays, level: e.retentionDays === undefined ? 'investigate' : 'monitor', blind: 'the monthly log review and an incident investigation lack the older lines' },
  ];
}

function settingRows(settings: SettingsView): Row[] {
  const on = (name: string) => normalizeSetting(settings.values[name]) === 'on';
  const logStatement = normalizeSetting(settings.values['log_statement']) || 'none';
  const libraries = normalizeSetting(settings.values['shared_preload_libraries']).split(',');
  const pgauditLog = normalizeSetting(settings.values['pgaudit.log']);
  const pgaudit = libraries.includes('pgaudit') && pgauditLog !== '' && pgauditLog !== 'none';
  const statementsLogged = ['ddl', 'mod', 'all'].includes(logStatement) || pgaudit;
  const shown = (name: string) => settings.values[name] ?? 'default (off)';
  return [
    { prerequisite: 'log_connections', value: shown('log_connections'), expected: 'on', pass: on('log_connections'), level: 'investigate', blind: 'logins cannot be counted and unused accounts cannot be found' },
    { prerequisite: 'log_disconnections', value: shown('log_disconnections'), expected: 'on', pass: on('log_disconnections'), level: 'monitor', blind: 'session lengths are unknown in an investigation' },
    {
      prerequisite: 'statement logging',
      value: pgaudit ? `pgaudit.log = ${pgauditLog}` : `log_statement = ${logStatement}`,
      expected: 'log_statement ddl, mod or all, or pgaudit loaded with pgaudit.log set',
      pass: statementsLogged,
      level: 'investigate',
      blind: 'DROP, ALTER and GRANT never reach the log, so the DDL review is blind',
    },
  ];
}

function evidence(row: Row) {
  return { prerequisite: row.prerequisite, value: row.value, expected: row.expected, pass: row.pass };
}
