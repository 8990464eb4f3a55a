import { z } from 'zod';
import { defineCheck, type FindingDraft } from '../types.js';
import { allPages } from '../../sources/aws.js';

interface Subscription {
  name: string;
  topic?: string;
  sourceType?: string;
  sourceIds: string[];
  /** Empty: every category of the source type. */
  categories: string[];
  active: boolean;
}

interface Subscriptions {
  instance: string;
  parameterGroups: string[];
  subscriptions: Subscription[];
}

/**
 * What someone must hear about, by source: the instance's configuration changes, deletion and security events, and
 * changes to its parameter groups (where SSL enforcement and logging live).
 */
const REQUIRED: Array<{ sourceType: string; categories: string[]; of: (data: Subscriptions) => string[] }> = [
  { sourceType: 'db-instance', categories: ['configuration change', 'deletion', 'security'], of: (data) => [data.instance] },
  { sourceType: 'db-parameter-group', categories: ['configuration change'], of: (data) => data.parameterGroups },
];

function covers(subscription: Subscription, sourceType: string, sourceId: string, category: string): boolean {
  return (
    subscription.active &&
    subscription.sourceType === sourceType &&
    (subscription.sourceIds.length === 0 || subscription.sourceIds.includes(sourceId)) &&
    (subscription.categories.length === 0 || subscription.categories.includes(category))
  );
}

export default defineCheck({
  meta: {
    id: 'monthly.event-subscriptions',
    title: 'RDS event notifications for security-relevant changes',
    area: 'monitoring',
    cadence: 'monthly',
    sources: ['rds'],
    sees: 'present',
    runbook: 'Monthly Security Audit §1: Full Configuration Review (event notifications)',
    remediation:
      "Subscribe an SNS topic that reaches the on-call to the instance's configuration change, deletion and security events and to its parameter groups' configuration changes: aws rds create-event-subscription --subscription-name db-security --sns-topic-arn ARN --source-type db-instance --source-ids ID --event-categories 'configuration change' deletion security.",
  },
  options: z.object({}),
  async collect(ctx): Promise<Subscriptions> {
    const instance = await ctx.rdsInstance();
    const { sdk, client } = await ctx.aws().rds();
    const pages = await allPages('rds:DescribeEventSubscriptions', sdk.paginateDescribeEventSubscriptions({ client }, {}));
    return {
      instance: instance.DBInstanceIdentifier ?? '?',
      parameterGroups: (instance.DBParameterGroups ?? []).map((g) => g.DBParameterGroupName!).filter(Boolean),
      subscriptions: pages.flatMap((page) =>
        (page.EventSubscriptionsList ?? []).map((s) => ({
          name: s.CustSubscriptionId ?? '?',
          topic: s.SnsTopicArn,
          sourceType: s.SourceType,
          sourceIds: s.SourceIdsList ?? [],
          categories: s.EventCategoriesList ?? [],
          active: s.Enabled === true && s.Status === 'active',
        })),
      ),
    };
  },
  evaluate(data): FindingDraft[] {
    const missing = REQUIRED.flatMap(({ sourceType, categories, of }) =>
      of(data).flatMap((sourceId) => categories.filter((category) => !data.subscriptions.some((s) => covers(s, sourceType, sourceId, category))).map((category) => ({ sourceType, sourceId, category }))),
    );
    const evidence = data.subscriptions.map((s) => ({ subscription: s.name, active: s.active, sourceType: s.sourceType ?? null, sources: s.sourceIds.join(', ') || 'all', categories: s.categories.join(', ') || 'all', topic: s.topic ?? null }));
    if (missing.length === 0) {
      return [{ status: 'ok', resource: data.instance, title: 'Configuration changes, deletion and security events are sent to SNS', summary: `${data.subscriptions.filter((s) => s.active).length} active subscriptions cover the instance and its parameter groups.`, value: 0, evidence }];
    }
    return [
      {
        status: 'monitor',
        resource: data.instance,
        title: data.subscriptions.some((s) => s.active) ? `No RDS event subscription covers ${missing.map((m) => `${m.category} of ${m.sourceId}`).join(', ')}` : 'No active RDS event subscription: nobody is told of configuration changes, deletions or security events',
        summary: `Without them a parameter group that turns off SSL or logging, or a deleted instance, is noticed only at the next review. Missing: ${missing.map((m) => `${m.sourceType} ${m.sourceId}: ${m.category}`).join('; ')}.`,
        value: missing.length,
        expected: 'active subscriptions for the instance (configuration change, deletion, security) and its parameter groups (configuration change)',
        evidence,
      },
    ];
  },
});
