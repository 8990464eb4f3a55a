import type { CheckContext } from '../context.js';
import { allPages, awsCall } from './aws.js';

/** One parameter as the instance's parameter group (or Aurora cluster group) sets it. */
export interface GroupParameter {
  value?: string;
  source?: string;
  applyType?: string;
  group: string;
}

export interface RdsParameters {
  /** "dbsec-demo-pg15" or "cluster-pg + instance-pg". */
  groups: string[];
  applyStatus: Array<{ group: string; status: string }>;
  parameters: Map<string, GroupParameter>;
}

/**
 * The parameters that govern the instance: the Aurora cluster group first, then the instance's own group over it
 * (an instance-level value wins unless it is only the engine default). Shared by every check of a run.
 */
export function rdsParameters(ctx: CheckContext): Promise<RdsParameters> {
  return ctx.memo('rds-parameters', async () => {
    const instance = await ctx.rdsInstance();
    const { sdk, client } = await ctx.aws().rds();
    const parameters = new Map<string, GroupParameter>();
    const groups: string[] = [];
    const merge = (group: string, list: Array<{ ParameterName?: string; ParameterValue?: string; Source?: string; ApplyType?: string }>) => {
      for (const p of list) {
        if (!p.ParameterName) continue;
        if (p.Source === 'engine-default' && parameters.has(p.ParameterName)) continue;
        parameters.set(p.ParameterName, { value: p.ParameterValue, source: p.Source, applyType: p.ApplyType, group });
      }
    };
    if (instance.DBClusterIdentifier) {
      const clusters = await awsCall('rds:DescribeDBClusters', () => client.send(new sdk.DescribeDBClustersCommand({ DBClusterIdentifier: instance.DBClusterIdentifier })));
      const group = clusters.DBClusters?.[0]?.DBClusterParameterGroup;
      if (group) {
        const pages = await allPages('rds:DescribeDBClusterParameters', sdk.paginateDescribeDBClusterParameters({ client }, { DBClusterParameterGroupName: group }));
        merge(group, pages.flatMap((p) => p.Parameters ?? []));
        groups.push(group);
      }
    }
    for (const { DBParameterGroupName: group } of instance.DBParameterGroups ?? []) {
      if (!group) continue;
      const pages = await allPages('rds:DescribeDBParameters', sdk.paginateDescribeDBParameters({ client }, { DBParameterGroupName: group }));
      merge(group, pages.flatMap((p) => p.Parameters ?? []));
      groups.push(group);
    }
    const applyStatus = (instance.DBParameterGroups ?? []).map((g) => ({ group: g.DBParameterGroupName ?? '?', status: g.ParameterApplyStatus ?? '?' }));
    return { groups, applyStatus, parameters };
  });
}

export interface LiveSetting {
  setting: string;
  unit: string | null;
  pendingRestart: boolean;
}

/** pg_settings rows for the names that exist on this server (raw values, as a parameter group writes them). */
export async function liveSettings(ctx: CheckContext, names: readonly string[]): Promise<Map<string, LiveSetting>> {
  const pg = await ctx.pg();
  const rows = await pg.query<{ name: string } & LiveSetting>(
    `SELECT name, setting, unit, pending_restart AS "pendingRestart" FROM pg_settings WHERE name = ANY($1::text[])`,
    [names],
  );
  return new Map(rows.map((r) => [r.name, { setting: r.setting, unit: r.unit, pendingRestart: r.pendingRestart }]));
}

const TRUE = new Set(['1', 'on', 'true', 'yes']);
const FALSE = new Set(['0', 'off', 'false', 'no']);

/** Compares the way PostgreSQL reads values: booleans in any spelling, lists as sets, case-insensitive. */
export function normalizeSetting(value: string | undefined | null): string {
  const text = (value ?? '').trim().toLowerCase();
  if (TRUE.has(text)) return 'on';
  if (FALSE.has(text)) return 'off';
  if (text.includes(',')) return text.split(',').map((part) => part.trim().replace(/^"|"$/g, '')).filter(Boolean).sort().join(',');
  return text.replace(/^"|"$/g, '');
}

/** Where a setting that governs the server is read: the RDS parameter group for an instance, pg_settings otherwise. */
export interface SettingsView {
  origin: string;
  /** The configured values; a name is absent when left at the engine default (RDS) or unknown to the server. */
  values: Record<string, string>;
}

export async function governingSettings(ctx: CheckContext, names: readonly string[]): Promise<SettingsView> {
  const valuesOf = (value: (name: string) => string | undefined) => Object.fromEntries(names.flatMap((name) => (value(name) === undefined ? [] : [[name, value(name)!]])));
  if (ctx.target.rdsInstance) {
    const { groups, parameters } = await rdsParameters(ctx);
    return { origin: `parameter group ${groups.join(' + ')}`, values: valuesOf((name) => parameters.get(name)?.value) };
  }
  const live = await liveSettings(ctx, names);
  return { origin: 'pg_settings', values: valuesOf((name) => live.get(name)?.setting) };
}
