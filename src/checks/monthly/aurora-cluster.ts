import { z } from 'zod';
import { defineCheck, type FindingDraft } from '../types.js';
import { allPages, awsCall } from '../../sources/aws.js';
import { SourceMissing } from '../../errors.js';
import type { Level } from '../../status.js';

interface ClusterSnapshot {
  id: string;
  encrypted: boolean;
  /** Accounts it can be restored by; "all" is public. */
  sharedWith: string[];
}

interface Cluster {
  id: string;
  storageEncrypted: boolean;
  deletionProtection: boolean;
  iamAuth: boolean;
  backupRetentionDays: number;
  logExports: string[];
  /** Database Activity Streams: Aurora's audit feed (not available for RDS for PostgreSQL). */
  activityStream?: string;
  snapshots: ClusterSnapshot[];
}

/** What the cluster itself must have: on Aurora these settings live on the cluster, not on its instances. */
const SETTINGS: Array<{ name: string; passes(cluster: Cluster, options: { minRetentionDays: number; requireActivityStream: boolean }): boolean; level: Level; title(c: Cluster): string; why: string }> = [
  { name: 'StorageEncrypted', passes: (c) => c.storageEncrypted, level: 'investigate', title: (c) => `Aurora cluster ${c.id} is not encrypted at rest`, why: 'its storage, backups and snapshots are all unencrypted' },
  { name: 'EnabledCloudwatchLogsExports', passes: (c) => c.logExports.includes('postgresql'), level: 'investigate', title: (c) => `Aurora cluster ${c.id} does not export its postgresql log to CloudWatch`, why: 'failed logins, DDL and connections are lost with the instance and no log-based check can run' },
  { name: 'BackupRetentionPeriod', passes: (c, o) => c.backupRetentionDays >= o.minRetentionDays, level: 'investigate', title: (c) => `Aurora cluster ${c.id} keeps ${c.backupRetentionDays} days of backups`, why: 'fewer days can be restored than the runbook requires' },
  { name: 'DeletionProtection', passes: (c) => c.deletionProtection, level: 'monitor', title: (c) => `Deletion protection is off on Aurora cluster ${c.id}`, why: 'one API call can delete the cluster' },
  { name: 'IAMDatabaseAuthenticationEnabled', passes: (c) => c.iamAuth, level: 'monitor', title: (c) => `IAM database authentication is off on Aurora cluster ${c.id}`, why: 'database passwords are the only way in' },
  {
    name: 'ActivityStreamStatus',
    passes: (c, o) => !o.requireActivityStream || c.activityStream === 'started',
    level: 'monitor',
    title: (c) => `No Database Activity Stream on Aurora cluster ${c.id} (${c.activityStream ?? 'never started'})`,
    why: 'Aurora can stream every statement, tamper-evident and out of reach of the database administrators, to Kinesis; without it the audit trail is the log the DBA controls',
  },
];

export default defineCheck({
  meta: {
    id: 'monthly.aurora-cluster',
    title: 'Aurora PostgreSQL cluster settings, snapshots and activity stream',
    area: 'configuration',
    cadence: 'monthly',
    sources: ['rds'],
    sees: 'present',
    runbook: 'Monthly Security Audit §1: Full Configuration Review (Aurora clusters)',
    remediation:
      "Change the setting on the cluster, not the instance: aws rds modify-db-cluster --db-cluster-identifier ID (--deletion-protection, --enable-iam-database-authentication, --backup-retention-period 7, --cloudwatch-logs-export-configuration '{\"EnableLogTypes\":[\"postgresql\"]}'); start an activity stream with aws rds start-activity-stream; make a public cluster snapshot private with aws rds modify-db-cluster-snapshot-attribute --attribute-name restore --values-to-remove all.",
  },
  options: z.object({
    minRetentionDays: z.number().int().min(1).max(35).default(7),
    /** Database Activity Streams off is monitor unless this is false. */
    requireActivityStream: z.boolean().default(true),
  }),
  async collect(ctx): Promise<Cluster> {
    const instance = await ctx.rdsInstance();
    if (!instance.DBClusterIdentifier) throw new SourceMissing(`${instance.DBInstanceIdentifier} is not a member of an Aurora cluster`);
    const { sdk, client } = await ctx.aws().rds();
    const { DBClusters: clusters = [] } = await awsCall('rds:DescribeDBClusters', () => client.send(new sdk.DescribeDBClustersCommand({ DBClusterIdentifier: instance.DBClusterIdentifier })));
    const cluster = clusters[0]!;
    const pages = await allPages('rds:DescribeDBClusterSnapshots', sdk.paginateDescribeDBClusterSnapshots({ client }, { DBClusterIdentifier: instance.DBClusterIdentifier, SnapshotType: 'manual' }));
    const snapshots: ClusterSnapshot[] = [];
    for (const snapshot of pages.flatMap((page) => page.DBClusterSnapshots ?? [])) {
      const id = snapshot.DBClusterSnapshotIdentifier!;
      const reply = await awsCall('rds:DescribeDBClusterSnapshotAttributes', () => client.send(new sdk.DescribeDBClusterSnapshotAttributesCommand({ DBClusterSnapshotIdentifier: id })));
      const restore = reply.DBClusterSnapshotAttributesResult?.DBClusterSnapshotAttributes?.find((a) => a.AttributeName === 'restore');
      snapshots.push({ id, encrypted: snapshot.StorageEncrypted === true, sharedWith: restore?.AttributeValues ?? [] });
    }
    return {
      id: cluster.DBClusterIdentifier ?? instance.DBClusterIdentifier,
      storageEncrypted: cluster.StorageEncrypted === true,
      deletionProtection: cluster.DeletionProtection === true,
      iamAuth: cluster.IAMDatabaseAuthenticationEnabled === true,
      backupRetentionDays: cluster.BackupRetentionPeriod ?? 0,
      logExports: cluster.EnabledCloudwatchLogsExports ?? [],
      activityStream: cluster.ActivityStreamStatus,
      snapshots,
    };
  },
  evaluate(cluster, options): FindingDraft[] {
    const findings: FindingDraft[] = SETTINGS.filter((s) => !s.passes(cluster, options)).map((s) => ({ status: s.level, resource: `${cluster.id} ${s.name}`, title: s.title(cluster), summary: `On Aurora this is the cluster's setting: ${s.why}.` }));
    for (const snapshot of cluster.snapshots) {
      if (snapshot.sharedWith.includes('all')) findings.push({ status: 'investigate', resource: `cluster snapshot ${snapshot.id}`, title: `Cluster snapshot ${snapshot.id} is public`, summary: 'Any AWS account can restore it and read the data.', value: 'all', expected: 'private' });
      else if (snapshot.sharedWith.length > 0) findings.push({ status: 'monitor', resource: `cluster snapshot ${snapshot.id}`, title: `Cluster snapshot ${snapshot.id} is shared with account ${snapshot.sharedWith.join(', ')}`, summary: 'Confirm each account is yours (a backup or DR account).', value: snapshot.sharedWith.join(', '), expected: 'shared only with known accounts' });
      if (!snapshot.encrypted) findings.push({ status: 'investigate', resource: `cluster snapshot ${snapshot.id}`, title: `Cluster snapshot ${snapshot.id} is not encrypted`, summary: 'Anyone who can restore it reads the data.', value: 'false', expected: 'true' });
    }
    if (findings.length > 0) return findings;
    return [{ status: 'ok', resource: cluster.id, title: `Aurora cluster ${cluster.id}: encrypted, logged, protected, activity stream ${cluster.activityStream ?? 'n/a'}`, summary: `${cluster.snapshots.length} manual cluster snapshots, none public.`, value: 0, evidence: SETTINGS.map((s) => ({ setting: s.name, pass: s.passes(cluster, options) })) }];
  },
});
