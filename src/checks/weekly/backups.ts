import { z } from 'zod';
import type { DBSnapshot } from '@aws-sdk/client-rds';
import { defineCheck, durationOption, type FindingDraft } from '../types.js';
import { allPages, awsCall } from '../../sources/aws.js';
import { durationMs } from '../../time.js';
import type { Level } from '../../status.js';

interface BackupData {
  instance: string;
  /** Whole days of the window that the backup retention still covers (negative: none). */
  windowDays: number;
  retentionDays: number;
  allocatedStorage?: number;
  latestRestorable?: Date;
  automated: DBSnapshot[];
  manual: DBSnapshot[];
  /** Manual snapshot id → accounts it is shared with ("all" = public). */
  shares: Record<string, string[]>;
}

const RUN_SLACK_MS = 60_000;
const DAY = 86_400_000;

export default defineCheck({
  meta: {
    id: 'weekly.backups',
    title: 'Automated backups and snapshot exposure',
    area: 'backup',
    cadence: 'weekly',
    sources: ['rds'],
    sees: 'window',
    runbook: 'Weekly Security Review §5: Check Backup Status',
    remediation:
      'Set BackupRetentionPeriod to 7 days or more (aws rds modify-db-instance --backup-retention-period 7), find why a daily snapshot is missing or failed, and make a public snapshot private: aws rds modify-db-snapshot-attribute --attribute-name restore --values-to-remove all.',
  },
  options: z.object({
    minRetentionDays: z.number().int().min(1).max(35).default(7),
    /** How old LatestRestorableTime may be; RDS normally keeps it within five minutes. */
    maxRestoreLag: durationOption('1h'),
    /** Snapshot size may differ from the instance's allocated storage by this fraction. */
    storageTolerance: z.number().min(0).max(1).default(0.1),
  }),
  async collect(ctx): Promise<BackupData> {
    const instance = await ctx.rdsInstance();
    const id = instance.DBInstanceIdentifier!;
    const { sdk, client } = await ctx.aws().rds();
    const list = async (type: 'automated' | 'manual') =>
      (await allPages('rds:DescribeDBSnapshots', sdk.paginateDescribeDBSnapshots({ client }, { DBInstanceIdentifier: id, SnapshotType: type }))).flatMap(
        (page) => page.DBSnapshots ?? [],
      );
    const [automated, manual] = await Promise.all([list('automated'), list('manual')]);
    const shares: Record<string, string[]> = {};
    for (const snapshot of manual) {
      const reply = await awsCall('rds:DescribeDBSnapshotAttributes', () =>
        client.send(new sdk.DescribeDBSnapshotAttributesCommand({ DBSnapshotIdentifier: snapshot.DBSnapshotIdentifier })),
      );
      const restore = reply.DBSnapshotAttributesResult?.DBSnapshotAttributes?.find((a) => a.AttributeName === 'restore');
      shares[snapshot.DBSnapshotIdentifier!] = restore?.AttributeValues ?? [];
    }
    // Automated snapshots older than the retention are gone: only the part of the window it still covers can hold them.
    const kept = Math.max(ctx.window.from.getTime(), ctx.now.getTime() - (instance.BackupRetentionPeriod ?? 0) * DAY);
    return {
      instance: id,
      // The run's clock moves on while it reads (ctx.now is a little after the window's end): a minute of slack keeps
      // a 7-day window 7 whole days rather than 6 days and 23:59:59.
      windowDays: Math.floor((ctx.window.to.getTime() - kept + RUN_SLACK_MS) / DAY),
      retentionDays: instance.BackupRetentionPeriod ?? 0,
      allocatedStorage: instance.AllocatedStorage,
      latestRestorable: instance.LatestRestorableTime,
      automated: automated.filter((s) => s.SnapshotCreateTime && s.SnapshotCreateTime >= ctx.window.from && s.SnapshotCreateTime <= ctx.window.to),
      manual,
      shares,
    };
  },
  evaluate(data, options, { now }): FindingDraft[] {
    const findings: FindingDraft[] = [];
    const add = (status: Level, resource: string, title: string, summary: string, evidence: Array<Record<string, unknown>> = []) =>
      findings.push({ status, resource, title, summary, evidence });

    if (data.retentionDays < options.minRetentionDays) {
      add('investigate', data.instance, `Backup retention is ${data.retentionDays} days`, `The runbook asks for at least ${options.minRetentionDays} days of automated backups.`);
    }
    const lag = data.latestRestorable ? now.getTime() - data.latestRestorable.getTime() : Infinity;
    if (lag > durationMs(options.maxRestoreLag)!) {
      add('monitor', data.instance, 'Point-in-time restore is behind', `LatestRestorableTime is ${data.latestRestorable?.toISOString() ?? 'not set'}, more than ${options.maxRestoreLag} ago.`);
    }
    const days = new Set(data.automated.map((s) => s.SnapshotCreateTime!.toISOString().slice(0, 10)));
    // A window of N whole days holds N daily backup windows, unless retention keeps fewer; none when the window
    // ended before the oldest snapshot retention keeps.
    const expectedDays = data.windowDays < 0 ? 0 : Math.max(1, Math.min(data.windowDays, data.retentionDays));
    if (days.size < expectedDays) {
      add('investigate', data.instance, `Automated snapshots on ${days.size} days, expected ${expectedDays}`, 'A daily backup is missing in the window.', [...days].sort().map((day) => ({ day })));
    }
    for (const snapshot of [...data.automated, ...data.manual]) {
      const id = snapshot.DBSnapshotIdentifier!;
      if (snapshot.Status && !['available', 'creating'].includes(snapshot.Status)) add('investigate', id, `Snapshot ${id} is ${snapshot.Status}`, 'The backup did not complete.', [row(snapshot)]);
      if (snapshot.Encrypted === false) add('investigate', id, `Snapshot ${id} is not encrypted`, 'Anyone who can copy or restore it reads the data in clear.', [row(snapshot)]);
      if (data.allocatedStorage && snapshot.AllocatedStorage && Math.abs(snapshot.AllocatedStorage - data.allocatedStorage) / data.allocatedStorage > options.storageTolerance) {
        add('monitor', id, `Snapshot ${id} is ${snapshot.AllocatedStorage} GiB, the instance ${data.allocatedStorage} GiB`, 'The backup size is not what the runbook expects.', [row(snapshot)]);
      }
    }
    for (const [id, accounts] of Object.entries(data.shares)) {
      if (accounts.includes('all')) add('investigate', id, `Snapshot ${id} is public`, 'Any AWS account can restore it (restore attribute = all).', [{ snapshot: id, sharedWith: accounts.join(', ') }]);
      else if (accounts.length) add('monitor', id, `Snapshot ${id} is shared with ${accounts.length} account(s)`, `Shared with ${accounts.join(', ')}.`, [{ snapshot: id, sharedWith: accounts.join(', ') }]);
    }
    if (findings.length > 0) return findings;
    return [
      {
        status: 'ok',
        resource: data.instance,
        title: `${data.automated.length} automated snapshots on ${days.size} days, retention ${data.retentionDays} days`,
        summary: `All available and encrypted; no public snapshot; restorable to ${data.latestRestorable?.toISOString()}.${expectedDays === 0 ? ` The window ended before the ${data.retentionDays}-day retention began, so its daily backups can no longer be counted.` : ''}`,
        value: 0,
        evidence: [...data.automated, ...data.manual].map(row),
      },
    ];
  },
});

function row(s: DBSnapshot) {
  return { snapshot: s.DBSnapshotIdentifier, type: s.SnapshotType, created: s.SnapshotCreateTime ?? null, status: s.Status, sizeGiB: s.AllocatedStorage ?? null, encrypted: s.Encrypted ?? null };
}
