import { z } from 'zod';
import { defineCheck, type FindingDraft } from '../types.js';
import { liveSettings, normalizeSetting, rdsParameters, type GroupParameter, type LiveSetting, type RdsParameters } from '../../sources/parameters.js';

interface DriftData {
  instance: string;
  group: RdsParameters;
  live: Map<string, LiveSetting>;
}

export const SECURITY_PARAMETERS = [
  'rds.force_ssl',
  'ssl',
  'ssl_min_protocol_version',
  'password_encryption',
  'log_connections',
  'log_disconnections',
  'log_statement',
  'log_min_duration_statement',
  'shared_preload_libraries',
  'pgaudit.log',
  'pgaudit.role',
  'log_hostname',
];

export default defineCheck({
  meta: {
    id: 'monthly.parameter-drift',
    title: 'Parameter group against the live server',
    area: 'configuration',
    cadence: 'monthly',
    sources: ['rds', 'postgres'],
    sees: 'present',
    runbook: 'Monthly Security Audit §1: Full Configuration Review (parameter groups)',
    remediation:
      'Reboot the instance in a maintenance window when parameters are pending-reboot (aws rds reboot-db-instance); for a value overridden outside the group, find the ALTER DATABASE/ALTER ROLE … SET (SELECT * FROM pg_db_role_setting) and reset it, so the parameter group stays the one source of truth.',
  },
  options: z.object({
    /** Parameters compared; a parameter the group leaves at the engine default is not compared. */
    parameters: z.array(z.string()).default(SECURITY_PARAMETERS),
  }),
  async collect(ctx, options): Promise<DriftData> {
    const group = await rdsParameters(ctx);
    const live = await liveSettings(ctx, options.parameters);
    return { instance: ctx.target.rdsInstance!, group, live };
  },
  evaluate({ instance, group, live }, options): FindingDraft[] {
    const findings: FindingDraft[] = group.applyStatus
      .filter((g) => g.status !== 'in-sync')
      .map((g) => ({
        status: 'monitor',
        resource: `${instance} ${g.group}`,
        title: `Parameter group ${g.group} is ${g.status} on ${instance}`,
        summary: 'Some parameter changes have not been applied yet: the server runs with older values until it reboots.',
        value: g.status,
        expected: 'in-sync',
      }));
    const awaitingReboot = group.applyStatus.some((g) => g.status === 'pending-reboot');
    const rows = options.parameters.map((name) => compare(name, group.parameters.get(name), live.get(name), awaitingReboot));
    for (const row of rows.filter((r) => r.verdict === 'drift' || r.verdict === 'pending restart')) {
      const pending = row.verdict === 'pending restart';
      findings.push({
        status: pending ? 'monitor' : 'investigate',
        resource: `${instance} ${row.parameter}`,
        title: `${row.parameter} is ${row.live} on the server but ${row.group} in ${row.source}`,
        summary: pending
          ? 'The server has the new value pending a restart.'
          : 'The running value differs from the parameter group: it was overridden for a database or role, or the group is not applied.',
        value: row.live,
        expected: row.group,
      });
    }
    if (findings.length > 0) return findings;
    const compared = rows.filter((r) => r.verdict === 'same').length;
    return [{ status: 'ok', resource: group.groups.join(' + '), title: `${compared} security parameters match the running server`, summary: `Parameter groups: ${group.groups.join(', ')}, all in-sync.`, value: 0, evidence: rows }];
  },
});

function compare(parameter: string, grouped: GroupParameter | undefined, live: LiveSetting | undefined, awaitingReboot: boolean) {
  const row = { parameter, group: grouped?.value ?? '(engine default)', live: live?.setting ?? '(not on this server)', source: grouped?.group ?? '-', verdict: 'same' };
  if (grouped?.value === undefined) return { ...row, verdict: 'engine default' };
  if (!live) return { ...row, verdict: 'not visible' };
  if (normalizeSetting(grouped.value) === normalizeSetting(live.setting)) return row;
  const pending = live.pendingRestart || (awaitingReboot && grouped.applyType === 'static');
  return { ...row, verdict: pending ? 'pending restart' : 'drift' };
}
