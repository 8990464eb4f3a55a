import { z } from 'zod';
import { defineCheck, type FindingDraft } from '../types.js';
import { allPages } from '../../sources/aws.js';
import { requireInstanceId } from '../../sources/rds-instance.js';

interface AlarmInfo {
  name: string;
  metric?: string;
  state?: string;
  actions: number;
  actionsEnabled: boolean;
}

export default defineCheck({
  meta: {
    id: 'monthly.alarm-coverage',
    title: 'CloudWatch alarms cover the instance',
    area: 'monitoring',
    cadence: 'monthly',
    sources: ['cloudwatch'],
    sees: 'present',
    runbook: 'Monthly Security Audit §1: alarms behind the daily check',
    remediation:
      'Create the missing alarm on the AWS/RDS metric with the DBInstanceIdentifier dimension and an SNS action (aws cloudwatch put-metric-alarm); fix alarms stuck in INSUFFICIENT_DATA (wrong dimension or metric name).',
  },
  options: z.object({
    requiredMetrics: z.array(z.string()).default(['CPUUtilization', 'DatabaseConnections', 'FreeStorageSpace', 'FreeableMemory']),
  }),
  async collect(ctx): Promise<{ instance: string; alarms: AlarmInfo[] }> {
    const instance = requireInstanceId(ctx.target);
    const { sdk, client } = await ctx.aws().cloudwatch();
    const pages = await allPages('cloudwatch:DescribeAlarms', sdk.paginateDescribeAlarms({ client }, { AlarmTypes: ['MetricAlarm'] }));
    const alarms = pages
      .flatMap((page) => page.MetricAlarms ?? [])
      .filter((a) => a.Namespace === 'AWS/RDS' && (a.Dimensions ?? []).some((d) => d.Name === 'DBInstanceIdentifier' && d.Value === instance))
      .map((a) => ({ name: a.AlarmName ?? '?', metric: a.MetricName, state: a.StateValue, actions: (a.AlarmActions ?? []).length, actionsEnabled: a.ActionsEnabled !== false }));
    return { instance, alarms };
  },
  evaluate({ instance, alarms }, options): FindingDraft[] {
    const findings: FindingDraft[] = [];
    for (const metric of options.requiredMetrics) {
      const covering = alarms.filter((a) => a.metric === metric);
      if (covering.length === 0) {
        findings.push({ status: 'investigate', resource: `${instance} ${metric}`, title: `No alarm on ${metric} for ${instance}`, summary: `Nothing warns when ${metric} goes wrong; the daily alarm check cannot see it.`, value: 0, expected: 'an alarm with an action' });
        continue;
      }
      for (const alarm of covering) {
        if (alarm.actions === 0 || !alarm.actionsEnabled) {
          findings.push({ status: 'monitor', resource: alarm.name, title: `Alarm ${alarm.name} notifies nobody`, summary: 'It has no enabled alarm action, so its state changes reach no one.', value: alarm.actions, expected: 'at least one enabled action' });
        }
        if (alarm.state === 'INSUFFICIENT_DATA') {
          findings.push({ status: 'monitor', resource: alarm.name, title: `Alarm ${alarm.name} has insufficient data`, summary: 'Check its metric name and dimension: an alarm without data never fires.', value: 'INSUFFICIENT_DATA', expected: 'OK or ALARM' });
        }
      }
    }
    if (findings.length > 0) return findings;
    return [{ status: 'ok', resource: instance, title: `Alarms cover ${options.requiredMetrics.join(', ')}`, summary: `${alarms.length} alarms on ${instance}, each with an action.`, value: 0, evidence: alarms.map((a) => ({ ...a })) }];
  },
});
