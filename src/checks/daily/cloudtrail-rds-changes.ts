import { z } from 'zod';
import { defineCheck, type FindingDraft } from '../types.js';
import { matchesAny } from '../../globs.js';
import { allPages, awsCall } from '../../sources/aws.js';
import type { CheckContext } from '../../context.js';
import { CLOUDTRAIL_HISTORY_DAYS, cloudTrailReach } from '../../sources/cloudtrail-history.js';
import type { TimeWindow } from '../../time.js';
import { actsOf, type Act } from '../../sources/cloudtrail-acts.js';
import { SEVERITIES, severityRank, type Severity } from '../../status.js';
import { capitalize } from '../../plural.js';

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
  /** What the event did to the database's security, read from its request (none for an event no rule reads). */
  acts: Act[];
  accessKeyId?: string;
  /** How the call was made: console, AWS CLI, Terraform, an SDK, an AWS service. */
  via?: string;
  /**
   * The actor's calls in the 30 days before the window: from other addresses only ('new-address': a key used from
   * somewhere new), none at all ('no-history'), or this address among them ('known'). Unset when not looked up.
   */
  history?: 'known' | 'new-address' | 'no-history';
}

/** How far back an actor's addresses are looked up, and how much of that history is read at most (LookupEvents allows 2 calls a second). */
const HISTORY_DAYS = 30;
const HISTORY_PAGES = 10;

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
  async collect(ctx, options): Promise<{ events: TrailEvent[]; blind?: string }> {
    const reach = cloudTrailReach(ctx.window, ctx.now);
    const instance = await ctx.rdsInstance();
    const port = instance.Endpoint?.Port ?? instance.DbInstancePort ?? 5432;
    const groupIds = (instance.VpcSecurityGroups ?? []).map((g) => g.VpcSecurityGroupId!).filter(Boolean);
    const related = [
      instance.DBInstanceIdentifier!,
      ...(instance.DBParameterGroups ?? []).map((g) => g.DBParameterGroupName!).filter(Boolean),
      ...groupIds,
    ];
    const rdsEvents = await lookup(ctx, reach.window, { AttributeKey: 'EventSource', AttributeValue: 'rds.amazonaws.com' }, port);
    const groupEvents = (await Promise.all(groupIds.map((id) => lookup(ctx, reach.window, { AttributeKey: 'ResourceName', AttributeValue: id }, port)))).flat();
    const seen = new Set<string>();
    const events = [...rdsEvents.filter((e) => related.some((name) => e.text.includes(name))), ...groupEvents]
      .filter((e) => !seen.has(e.event.id) && seen.add(e.event.id))
      .map((e) => e.event)
      .sort((a, b) => (a.time?.getTime() ?? 0) - (b.time?.getTime() ?? 0));
    await markAddressHistory(ctx, events.filter((e) => !allowed(e, options.allowActors)), reach.window.from);
    return { events, blind: reach.blind };
  },
  evaluate({ events, blind }, options): FindingDraft[] {
    const unexpected = events.filter((e) => !allowed(e, options.allowActors));
    const expected = events.filter((e) => !unexpected.includes(e));
    const findings: FindingDraft[] = unexpected.map((event) => ({
      status: statusOf(event),
      ...severityOf(event),
      ...(event.acts.some((a) => a.fix) ? { remediation: event.acts.flatMap((a) => (a.fix ? [a.fix] : [])).join(' ') } : {}),
      resource: event.id,
      title: titleOf(event),
      summary: `${labelOf(event.category)} (${event.name}) at ${event.time?.toISOString() ?? 'unknown time'} from ${event.sourceIp ?? 'unknown address'}${event.via ? ` via ${event.via}` : ''}. ${effectOf(event)}${blind ? ` ${blind}` : ''}`,
      value: event.name,
      expected: 'changes only by allow-listed actors',
      evidence: [
        {
          eventId: event.id,
          time: event.time ?? null,
          event: event.name,
          act: event.acts.map((a) => a.done).join('; ') || null,
          actor: event.actor,
          arn: event.arn ?? null,
          session: /:assumed-role\/[^/]+\/(.+)$/.exec(event.arn ?? '')?.[1] ?? null,
          accessKeyId: event.accessKeyId ?? null,
          via: event.via ?? null,
          sourceIp: event.sourceIp ?? null,
          error: event.errorCode ?? null,
          addressHistory: event.history ?? null,
        },
      ],
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

/**
 * An allow-listed actor by user name or ARN; an IAM role's ARN (arn:aws:iam::ACCOUNT:role/NAME) also covers the
 * sessions that assume it (arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION), which is how CloudTrail names them.
 */
export function allowed(event: Pick<TrailEvent, 'actor' | 'arn'>, allowActors: readonly string[]): boolean {
  const role = /^arn:([^:]+):sts::(\d{12}):assumed-role\/([^/]+)\//.exec(event.arn ?? '');
  const roleArn = role ? `arn:${role[1]}:iam::${role[2]}:role/${role[3]}` : undefined;
  return matchesAny(event.actor, allowActors) || matchesAny(event.arn, allowActors) || matchesAny(roleArn, allowActors);
}

/**
 * Weakening a control is investigate, tried or done; restoring one (a revoke, public to private, a share removed) is
 * monitor, to be confirmed; a failed call that would not weaken anything is monitor; other changes by their kind.
 */
function statusOf(event: TrailEvent): 'monitor' | 'investigate' {
  if (event.acts.some((a) => a.effect === 'weakens') || event.history === 'new-address') return 'investigate';
  if (event.errorCode || (event.acts.length > 0 && event.acts.every((a) => a.effect === 'restores'))) return 'monitor';
  return event.category === 'other' ? 'monitor' : 'investigate';
}

/** The gravest act's severity, one level up when the call came from an address the actor had not used. */
function severityOf(event: TrailEvent): { severity?: Severity } {
  if (event.acts.length === 0) return {};
  const worst = Math.max(...event.acts.map((a) => severityRank(a.severity)));
  const raised = event.history === 'new-address' ? Math.min(worst + 1, SEVERITIES.length - 1) : worst;
  return { severity: SEVERITIES[raised]! };
}

function titleOf(event: TrailEvent): string {
  if (event.acts.length === 0) return `${event.name} by ${event.actor}${event.errorCode ? ` (failed: ${event.errorCode})` : ''}`;
  if (event.errorCode) return `${event.actor} tried to ${event.acts.map((a) => a.attempt).join('; ')} (failed: ${event.errorCode})`;
  const done = event.acts.map((a) => a.done).join('; ');
  return `${capitalize(done)} by ${event.actor}`;
}

function effectOf(event: TrailEvent): string {
  const history = { 'new-address': ` ${event.actor} never called from ${event.sourceIp} in the ${HISTORY_DAYS} days before: a key used from a new place?`, 'no-history': ` ${event.actor} made no call in the ${HISTORY_DAYS} days before.`, known: '' }[event.history ?? 'known'];
  if (event.errorCode) return `The call failed (${event.errorCode}): nothing changed, but someone tried.${history}`;
  if (event.acts.some((a) => a.effect === 'weakens')) return `This weakens a control.${history}`;
  if (event.acts.length > 0 && event.acts.every((a) => a.effect === 'restores')) return `This restores a control: confirm it was meant.${history}`;
  return `Confirm it against a change ticket.${history}`;
}

/**
 * Marks each event with what the actor's calls of the 30 days before the window say about its address: one lookup
 * per actor, at most HISTORY_PAGES pages (a busy role's history is sampled, not read whole).
 */
async function markAddressHistory(ctx: CheckContext, events: TrailEvent[], windowFrom: Date): Promise<void> {
  const oldest = new Date(ctx.now.getTime() - CLOUDTRAIL_HISTORY_DAYS * 86_400_000);
  const from = new Date(Math.max(windowFrom.getTime() - HISTORY_DAYS * 86_400_000, oldest.getTime()));
  if (from >= windowFrom) return;
  const aws = ctx.aws();
  for (const actor of new Set(events.filter((e) => e.sourceIp && e.actor !== 'unknown').map((e) => e.actor))) {
    // The same actor's history serves every instance of the account and region.
    const addresses = await aws.shared(`cloudtrail:LookupEvents Username ${actor} ${from.toISOString()} ${windowFrom.toISOString()}`, async () => {
      const { sdk, client } = await aws.cloudtrail();
      const seen = new Set<string>();
      await awsCall('cloudtrail:LookupEvents', async () => {
        let pages = 0;
        for await (const page of sdk.paginateLookupEvents({ client }, { LookupAttributes: [{ AttributeKey: 'Username', AttributeValue: actor }], StartTime: from, EndTime: windowFrom })) {
          for (const event of page.Events ?? []) {
            const ip = parseRecord(event.CloudTrailEvent ?? '').sourceIPAddress;
            if (ip) seen.add(ip);
          }
          if (++pages >= HISTORY_PAGES) break;
        }
      });
      return seen;
    });
    for (const event of events.filter((e) => e.actor === actor && e.sourceIp)) {
      event.history = addresses.size === 0 ? 'no-history' : addresses.has(event.sourceIp!) ? 'known' : 'new-address';
    }
  }
}

/** How a call was made, from its user agent and identity type. */
function viaOf(record: CloudTrailRecord): string | undefined {
  const agent = record.userAgent ?? '';
  if (record.sessionCredentialFromConsole === 'true' || /console\.amazonaws\.com|signin\.amazonaws\.com/i.test(agent)) return 'the console';
  if (record.userIdentity?.type === 'AWSService' || /^[a-z0-9-]+\.amazonaws\.com$/.test(agent)) return 'an AWS service';
  if (/terraform/i.test(agent)) return 'Terraform';
  if (/^aws-cli\//.test(agent)) return 'the AWS CLI';
  if (/aws-sdk|boto|botocore/i.test(agent)) return 'an AWS SDK';
  return undefined;
}

function labelOf(category: ChangeCategory): string {
  return { instance: 'Instance change', 'security-group': 'Security group change', 'parameter-group': 'Parameter group change', snapshot: 'Snapshot operation', other: 'Other change' }[category];
}

/** Mutating events for one lookup attribute in the window; CloudTrail allows one attribute per call. */
async function lookup(ctx: CheckContext, window: TimeWindow, attribute: { AttributeKey: 'EventSource' | 'ResourceName'; AttributeValue: string }, port: number) {
  const aws = ctx.aws();
  // The region's RDS events (and a shared security group's) are read once for all the instances that need them.
  const events = await aws.shared(`cloudtrail:LookupEvents ${attribute.AttributeKey} ${attribute.AttributeValue} ${window.from.toISOString()} ${window.to.toISOString()}`, async () => {
    const { sdk, client } = await aws.cloudtrail();
    const pages = await allPages('cloudtrail:LookupEvents', sdk.paginateLookupEvents({ client }, { LookupAttributes: [attribute], StartTime: window.from, EndTime: window.to }));
    return pages.flatMap((page) => page.Events ?? []);
  });
  return events
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
          acts: actsOf(name, record.requestParameters, { port, account: record.userIdentity?.accountId ?? record.recipientAccountId }),
          accessKeyId: event.AccessKeyId ?? record.userIdentity?.accessKeyId,
          via: viaOf(record),
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
  userAgent?: string;
  recipientAccountId?: string;
  sessionCredentialFromConsole?: string;
  userIdentity?: { type?: string; arn?: string; userName?: string; accountId?: string; accessKeyId?: string };
}

function parseRecord(text: string): CloudTrailRecord {
  try {
    return JSON.parse(text) as CloudTrailRecord;
  } catch {
    return {};
  }
}
