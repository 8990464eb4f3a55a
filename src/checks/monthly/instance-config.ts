import { z } from 'zod';
import { defineCheck, type FindingDraft } from '../types.js';
import type { Level } from '../../status.js';

/** One setting of the runbook's configuration review: how to read it, what is expected, how bad a miss is. */
interface Control {
  setting: string;
  actual(instance: Record<string, any>): unknown;
  expected: string;
  passes(value: unknown, options: Options): boolean;
  level: Level;
  why: string;
}

type Options = { minRetentionDays: number; minEngineVersion?: string; requireIamAuth: boolean; requireMultiAz: boolean };

const CONTROLS: Control[] = [
  { setting: 'PubliclyAccessible', actual: (i) => i.PubliclyAccessible, expected: 'false', passes: (v) => v === false, level: 'investigate', why: 'the endpoint resolves to a public address' },
  { setting: 'StorageEncrypted', actual: (i) => i.StorageEncrypted, expected: 'true', passes: (v) => v === true, level: 'investigate', why: 'data, backups and snapshots are stored unencrypted' },
  { setting: 'BackupRetentionPeriod', actual: (i) => i.BackupRetentionPeriod, expected: 'at least minRetentionDays', passes: (v, o) => Number(v) >= o.minRetentionDays, level: 'investigate', why: 'fewer days can be restored than the runbook requires' },
  { setting: 'DeletionProtection', actual: (i) => i.DeletionProtection, expected: 'true', passes: (v) => v === true, level: 'monitor', why: 'one API call can delete the instance' },
  { setting: 'MultiAZ', actual: (i) => i.MultiAZ, expected: 'true', passes: (v, o) => !o.requireMultiAz || v === true, level: 'monitor', why: 'an AZ failure takes the database down' },
  { setting: 'MonitoringInterval', actual: (i) => i.MonitoringInterval, expected: 'Enhanced Monitoring on (> 0)', passes: (v) => Number(v) > 0, level: 'monitor', why: 'no OS-level metrics for an investigation' },
  { setting: 'PerformanceInsightsEnabled', actual: (i) => i.PerformanceInsightsEnabled, expected: 'true', passes: (v) => v === true, level: 'monitor', why: 'no per-query load history for an investigation' },
  { setting: 'IAMDatabaseAuthenticationEnabled', actual: (i) => i.IAMDatabaseAuthenticationEnabled, expected: 'true (unless requireIamAuth: false)', passes: (v, o) => !o.requireIamAuth || v === true, level: 'monitor', why: 'database passwords are the only way in: no short-lived tokens tied to IAM, no central revocation' },
  { setting: 'AutoMinorVersionUpgrade', actual: (i) => i.AutoMinorVersionUpgrade, expected: 'true', passes: (v) => v === true, level: 'monitor', why: 'security fixes in minor releases wait for a manual upgrade' },
  { setting: 'EngineVersion', actual: (i) => i.EngineVersion, expected: 'at least minEngineVersion', passes: (v, o) => !o.minEngineVersion || compareVersions(String(v), o.minEngineVersion) >= 0, level: 'investigate', why: 'the engine lacks security fixes of later releases' },
  { setting: 'DBParameterGroups', actual: (i) => (i.DBParameterGroups ?? []).map((g: any) => g.DBParameterGroupName).join(', '), expected: 'a custom parameter group', passes: (v) => !String(v).startsWith('default.'), level: 'monitor', why: 'the default group cannot carry the logging and SSL settings the other checks need' },
];

export default defineCheck({
  meta: {
    id: 'monthly.instance-config',
    title: 'RDS instance security configuration',
    area: 'configuration',
    cadence: 'monthly',
    sources: ['rds'],
    sees: 'present',
    runbook: 'Monthly Security Audit §1: Full Configuration Review',
    remediation:
      'Change the setting with aws rds modify-db-instance (for example --no-publicly-accessible, --deletion-protection, --backup-retention-period 7), in the Terraform that owns the instance so the fix survives the next apply.',
  },
  options: z.object({
    minRetentionDays: z.number().int().min(1).max(35).default(7),
    /** e.g. "15.8": older engines are a finding. */
    minEngineVersion: z.string().regex(/^\d+(\.\d+)*$/).optional(),
    /** IAM database authentication off is monitor unless this is false (an instance that must keep passwords only). */
    requireIamAuth: z.boolean().default(true),
    requireMultiAz: z.boolean().default(true),
  }),
  collect: (ctx) => ctx.rdsInstance(),
  evaluate(instance, options): FindingDraft[] {
    const id = instance.DBInstanceIdentifier ?? '?';
    const rows = CONTROLS.map((control) => {
      const value = control.actual(instance);
      return { control, value, pass: control.passes(value, options) };
    });
    const failing = rows.filter((r) => !r.pass);
    if (failing.length === 0) {
      return [{ status: 'ok', resource: id, title: `All ${rows.length} configuration controls pass`, summary: `Engine ${instance.EngineVersion}.`, value: 0, evidence: rows.map(evidence) }];
    }
    return failing.map(({ control, value }) => ({
      status: control.level,
      resource: `${id} ${control.setting}`,
      title: `${control.setting} is ${String(value)} on ${id}`,
      summary: `Expected ${control.expected}: ${control.why}.`,
      value: String(value),
      expected: control.expected,
    }));
  },
});

function evidence({ control, value, pass }: { control: Control; value: unknown; pass: boolean }) {
  return { setting: control.setting, value: String(value), expected: control.expected, pass };
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
