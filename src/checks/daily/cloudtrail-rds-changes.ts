import { z } from 'zod';
import { defineCheck, matchesAny, type FindingDraft } from '../types.js';
import { allPages } from '../../sources/aws.js';
import type { CheckContext } from '../../context.js';
import { cloudTrailReach } from '../../sources/cloudtrail-history.js';
import type { TimeWindow } from '../../time.js';

export type ChangeCategory = 'instance' | 'security-group' | 'parameter-group' | 'snapshot' | 'other';

export interface TrailEvent {
  id: string;
  time?: Date;
  name: string;
  source: string;
  actor: string;
  arn?: string;
  sourceIp?: string;
  errorCode?: string;
  category: ChangeCategory;
}

const SG_EVENT = /SecurityGroup/;
const PARAMETER_GROUP_EVENT = /ParameterGroup/;
const SNAPSHOT_EVENT = /Snapshot|ExportTask/;

/** Which kind of change the runbook's §4 list an event is: security groups, parameter groups, snapshots, the instance. */
export function categorize(name: string, source: string, request: string): ChangeCategory {
  if (source === 'ec2.amazonaws.com' || SG_EVENT.test(name) || (name === 'ModifyDBInstance' && /vpcSecurityGroupIds/i.test(request))) {
    return 'security-group';
  }
  if (PARAMETER_GROUP_EVENT.test(name) || (name === 'ModifyDBInstance' && /dBParameterGroupName/i.test(request))) return 'parameter-group';
  if (SNAPSHOT_EVENT.test(name)) return 'snapshot';
  if (/DBInstance/.test(name)) return 'instance';
  return 'other';
}

export default defineCheck({
  meta: {
    id: 'daily.cloudtrail-rds-changes',
    title: 'RDS and security group changes in CloudTrail',
    area: 'change-control',
    cadence: 'daily',
    sources: ['cloudtrail', 'rds'],
    sees: 'window',
    runbook: 'Daily Security Checks §4: Review Recent CloudTrail Events',
    remediation:
      'Confirm each change with the person named as actor and the change ticket; revert what nobody can explain and rotate the credentials of an unknown actor. Add known automation (Terraform role, backup role) to the config: `checks: { daily.cloudtrail-rds-changes: { allowActors: [terraform-ci] } }`.',
  },
  options: z.object({
    /** Actors (user name or ARN, * as wildcard) whose changes are expected. */
    allowActors: z.array(z.string()).default([]),
  }),
  async collect(ctx): Promise<{ events: TrailEvent[]; blind?: string }> {
    const reach = cloudTrailReach(ctx.window, ctx.now);
    const instance = await ctx.rdsInstance();
    const groupIds = (instance.VpcSecurityGroups ?? []).map((g) => g.VpcSecurityGroupId!).filter(Boolean);
    const related = [
      instance.DBInstanceIdentifier!,
      ...(instance.DBParameterGroups ?? []).map((g) => g.DBParameterGroupName!).filter(Boolean),
      ...groupIds,
    ];
    const rdsEvents = await lookup(ctx, reach.window, { AttributeKey: 'EventSource', AttributeValue: 'rds.amazonaws.com' });
    const groupEvents = (await Promise.all(groupIds.map((id) => lookup(ctx, reach.window, { AttributeKey: 'ResourceName', AttributeValue: id })))).flat();
    const seen = new Set<string>();
    const events = [...rdsEvents.filter((e) => related.some((name) => e.text.includes(name))), ...groupEvents]
      .filter((e) => !seen.has(e.event.id) && seen.add(e.event.id))
      .map((e) => e.event)
      .sort((a, b) => (a.time?.getTime() ?? 0) - (b.time?.getTime() ?? 0));
    return { events, blind: reach.blind };
  },
  evaluate({ events, blind }, options): FindingDraft[] {
    const unexpected = events.filter((e) => !matchesAny(e.actor, options.allowActors) && !matchesAny(e.arn, options.allowActors));
    const expected = events.filter((e) => !unexpected.includes(e));
    const findings: FindingDraft[] = unexpected.map((event) => ({
      status: event.category === 'other' ? 'monitor' : 'investigate',
      resource: event.id,
      title: `${event.name} by ${event.actor}${event.errorCode ? ` (failed: ${event.errorCode})` : ''}`,
      summary: `${labelOf(event.category)} at ${event.time?.toISOString() ?? 'unknown time'} from ${event.sourceIp ?? 'unknown address'}.${blind ? ` ${blind}` : ''}`,
      value: event.name,
      expected: 'changes only by allow-listed actors',
      evidence: [{ eventId: event.id, time: event.time ?? null, event: event.name, actor: event.actor, arn: event.arn ?? null, sourceIp: event.sourceIp ?? null, error: event.errorCode ?? null }],
    }));
    if (unexpected.length === 0) {
      findings.push({
        status: 'ok',
        resource: 'cloudtrail',
        title: expected.length ? `${expected.length} changes, all by allow-listed actors` : 'No RDS or security group change in the window',
        summary: `Read-only calls are not counted.${blind ? ` ${blind}` : ''}`,
        value: 0,
        evidence: expected.map((e) => ({ eventId: e.id, time: e.time ?? null, event: e.name, actor: e.actor })),
      });
    }
    return findings;
  },
});

function labelOf(category: ChangeCategory): string {
  return { instance: 'Instance change', 'security-group': 'Security group change', 'parameter-group': 'Parameter group change', snapshot: 'Snapshot operation', other: 'Other change' }[category];
}

/** Mutating events for one lookup attribute in the window; CloudTrail allows one attribute per call. */
async function lookup(ctx: CheckContext, window: TimeWindow, attribute: { AttributeKey: 'EventSource' | 'ResourceName'; AttributeValue: string }) {
  const { sdk, client } = await ctx.aws().cloudtrail();
  const pages = await allPages(
    'cloudtrail:LookupEvents',
    sdk.paginateLookupEvents({ client }, { LookupAttributes: [attribute], StartTime: window.from, EndTime: window.to }),
  );
  return pages
    .flatMap((page) => page.Events ?? [])
    .filter((event) => event.ReadOnly !== 'true')
    .map((event) => {
      const text = event.CloudTrailEvent ?? '';
      const record = parseRecord(text);
      const name = event.EventName ?? record.eventName ?? '?';
      const source = event.EventSource ?? record.eventSource ?? '?';
      return {
        text: `${text} ${(event.Resources ?? []).map((r) => r.ResourceName).join(' ')}`,
        readOnly: record.readOnly === true,
        event: {
          id: event.EventId ?? '?',
          time: event.EventTime,
          name,
          source,
          actor: event.Username ?? record.userIdentity?.userName ?? record.userIdentity?.arn ?? 'unknown',
          arn: record.userIdentity?.arn,
          sourceIp: record.sourceIPAddress,
          errorCode: record.errorCode,
          category: categorize(name, source, JSON.stringify(record.requestParameters ?? {})),
        } satisfies TrailEvent,
      };
    })
    .filter((e) => !e.readOnly);
}

interface CloudTrailRecord {
  eventName?: string;
  eventSource?: string;
  readOnly?: boolean;
  errorCode?: string;
  sourceIPAddress?: string;
  requestParameters?: unknown;
  userIdentity?: { arn?: string; userName?: string };
}

function parseRecord(text: string): CloudTrailRecord {
  try {
    return JSON.parse(text) as CloudTrailRecord;
  } catch {
    return {};
  }
}
