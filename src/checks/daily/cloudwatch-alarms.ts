import { z } from 'zod';
import { defineCheck, type FindingDraft } from '../types.js';
import { allPages } from '../../sources/aws.js';
import { requireInstanceId } from '../../sources/rds-instance.js';
import { inFleet } from '../../target.js';
import type { DescribeAlarmsOutput } from '@aws-sdk/client-cloudwatch';
import { safeText } from '../../redact.js';

interface Alarm {
  name: string;
  type: 'metric' | 'composite';
  state: string;
  reason: string;
  since?: Date;
  metric?: string;
}

export default defineCheck({
  meta: {
    id: 'daily.cloudwatch-alarms',
    title: 'CloudWatch alarms in ALARM',
    area: 'monitoring',
    cadence: 'daily',
    sources: ['cloudwatch'],
    sees: 'present',
    runbook: 'Daily Security Checks §1: Check CloudWatch Alarms',
    remediation: 'Open the alarm, read its reason and follow the matching response (dbsec respond high-cpu | high-connections | failed-auth).',
  },
  options: z.object({
    /** Alarms whose names start with this prefix; the RDS instance id when not set. */
    alarmNamePrefix: z.string().min(1).optional(),
  }),
  async collect(ctx, options): Promise<{ prefix: string; alarms: Alarm[] }> {
    const prefix = options.alarmNamePrefix ?? requireInstanceId(ctx.target);
    // A fleet's instances share one listing of their account's and region's alarms; one instance asks by its prefix.
    const asked = inFleet(ctx.target) ? '' : prefix;
    const aws = ctx.aws();
    const alarms = await aws.shared(`cloudwatch:DescribeAlarms ${asked}`, async () => {
      const { sdk, client } = await aws.cloudwatch();
      return alarmsOf(await allPages('cloudwatch:DescribeAlarms', sdk.paginateDescribeAlarms({ client }, { ...(asked ? { AlarmNamePrefix: asked } : {}), AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] })));
    });
    return { prefix, alarms: alarms.filter((alarm) => alarm.name.startsWith(prefix)) };
  },
  evaluate({ prefix, alarms }): FindingDraft[] {
    if (alarms.length === 0) {
      return [
        {
          status: 'monitor',
          resource: `${prefix}*`,
          title: `No CloudWatch alarm is named ${prefix}*`,
          summary: 'Nothing watches this instance under that prefix; set `checks: { daily.cloudwatch-alarms: { alarmNamePrefix: prod-db } }` in the config, with the prefix your alarms use, or create the alarms (monthly.alarm-coverage).',
          value: 0,
        },
      ];
    }
    const firing = alarms.filter((alarm) => alarm.state === 'ALARM');
    if (firing.length === 0) {
      return [
        {
          status: 'ok',
          resource: `${prefix}*`,
          title: `None of ${alarms.length} alarms is in ALARM`,
          summary: `States: ${countStates(alarms)}.`,
          value: 0,
          evidence: alarms.map((a) => ({ alarm: a.name, state: a.state, metric: a.metric ?? a.type })),
        },
      ];
    }
    return firing.map((alarm) => ({
      status: 'investigate',
      resource: alarm.name,
      title: `Alarm ${alarm.name} is in ALARM`,
      summary: safeText(alarm.reason, 300),
      value: 'ALARM',
      expected: 'OK',
      evidence: [{ alarm: alarm.name, type: alarm.type, metric: alarm.metric ?? null, since: alarm.since ?? null, reason: alarm.reason }],
    }));
  },
});

function alarmsOf(pages: ReadonlyArray<DescribeAlarmsOutput>): Alarm[] {
  const alarms: Alarm[] = [];
  for (const page of pages) {
    for (const a of page.MetricAlarms ?? []) {
      alarms.push({ name: a.AlarmName ?? '?', type: 'metric', state: a.StateValue ?? '?', reason: a.StateReason ?? '', since: a.StateUpdatedTimestamp, metric: a.MetricName });
    }
    for (const a of page.CompositeAlarms ?? []) {
      alarms.push({ name: a.AlarmName ?? '?', type: 'composite', state: a.StateValue ?? '?', reason: a.StateReason ?? '', since: a.StateUpdatedTimestamp });
    }
  }
  return alarms;
}

function countStates(alarms: readonly Alarm[]): string {
  const counts = new Map<string, number>();
  for (const alarm of alarms) counts.set(alarm.state, (counts.get(alarm.state) ?? 0) + 1);
  return [...counts].map(([state, n]) => `${n} ${state}`).join(', ');
}
