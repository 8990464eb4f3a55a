import type { CheckContext } from '../context.js';
import { awsCall } from '../sources/aws.js';
import { ROLES_SQL } from '../checks/weekly/db-users.js';
import { GRANTS_SQL } from '../checks/weekly/table-privileges.js';
import { ACL_SQL } from '../checks/monthly/access-control.js';
import { redactLogMessage } from '../redact.js';
import { instanceSecurityGroups } from '../sources/security-groups.js';
import { describeKmsKeys } from '../sources/kms-keys.js';
import { cloudTrailReach } from '../sources/cloudtrail-history.js';
import type { TimeWindow } from '../time.js';

/** One file of the runbook's audit evidence and how to fetch it; the content is written as JSON. */
export interface EvidenceItem {
  file: string;
  what: string;
  collect(ctx: CheckContext, options: EvidenceOptions): Promise<unknown>;
}

export interface EvidenceOptions {
  now: Date;
  /** The CloudTrail history to keep (the runbook: 90 days) and the log sample's window (30 days). */
  trailWindow: TimeWindow;
  logWindow: TimeWindow;
  maxItems: number;
}


/** The runbook's "Audit Evidence Collection", plus the roles and privileges an access review asks for. */
export const EVIDENCE_ITEMS: EvidenceItem[] = [
  {
    file: 'audit-rds-config.json',
    what: 'RDS instance configuration (DescribeDBInstances)',
    collect: async (ctx) => ({ DBInstances: [await ctx.rdsInstance()] }),
  },
  {
    file: 'audit-security-groups.json',
    what: "the instance's VPC security groups (DescribeSecurityGroups)",
    collect: async (ctx) => ({ SecurityGroups: (await instanceSecurityGroups(ctx)).groups }),
  },
  {
    file: 'audit-kms-config.json',
    what: 'the KMS keys behind storage and Performance Insights (DescribeKey, GetKeyRotationStatus)',
    async collect(ctx) {
      const instance = await ctx.rdsInstance();
      const ids = [...new Set([instance.KmsKeyId, instance.PerformanceInsightsKMSKeyId].filter((id): id is string => Boolean(id)))];
      const keys = await describeKmsKeys(ctx, ids);
      return { Keys: keys.map((k) => ({ KeyMetadata: k.metadata, KeyRotationEnabled: k.rotation ?? null })) };
    },
  },
  {
    file: 'audit-cloudtrail-rds-events.json',
    what: 'CloudTrail events of rds.amazonaws.com (LookupEvents)',
    async collect(ctx, options) {
      const reach = cloudTrailReach(options.trailWindow, options.now);
      const { sdk, client } = await ctx.aws().cloudtrail();
      const pages = sdk.paginateLookupEvents(
        { client },
        { LookupAttributes: [{ AttributeKey: 'EventSource', AttributeValue: 'rds.amazonaws.com' }], StartTime: reach.window.from, EndTime: reach.window.to },
      );
      const events = await firstItems('cloudtrail:LookupEvents', pages, (page) => page.Events ?? [], options.maxItems);
      return { StartTime: reach.window.from, EndTime: reach.window.to, ...(reach.blind ? { NotSeen: reach.blind } : {}), Events: events };
    },
  },
  {
    file: 'audit-sample-logs.json',
    what: 'a sample of the PostgreSQL log (secrets redacted)',
    async collect(ctx, options) {
      const scan = await ctx.scanLogs([], options.logWindow);
      const events = [];
      for await (const record of scan.records) {
        events.push({ time: record.time?.toISOString() ?? null, user: record.user ?? null, database: record.database ?? null, client: record.client ?? null, pid: record.pid ?? null, level: record.level, message: redactLogMessage(record.message, record.statement) });
        if (events.length >= options.maxItems) break;
      }
      return { origin: scan.origin, events };
    },
  },
  {
    file: 'audit-roles.json',
    what: 'database roles, attributes and memberships (pg_roles, pg_auth_members)',
    collect: async (ctx) => ({ roles: await (await ctx.pg()).query(ROLES_SQL) }),
  },
  {
    file: 'audit-privileges.json',
    what: 'database and schema ACLs and table grants (aclexplode)',
    async collect(ctx) {
      const pg = await ctx.pg();
      return { databaseAndSchemaAcls: await pg.query(ACL_SQL), tableGrants: await pg.query(GRANTS_SQL) };
    },
  },
];

/** The first `max` items across pages; the paginator stops fetching once enough are in. */
async function firstItems<Page, Item>(call: string, pages: AsyncIterable<Page>, itemsOf: (page: Page) => Item[], max: number): Promise<Item[]> {
  return awsCall(call, async () => {
    const items: Item[] = [];
    for await (const page of pages) {
      items.push(...itemsOf(page));
      if (items.length >= max) break;
    }
    return items.slice(0, max);
  });
}
