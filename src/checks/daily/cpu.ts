import { z } from 'zod';
import { boundsOptions, defineCheck, durationOption, type FindingDraft } from '../types.js';
import { awsCall } from '../../sources/aws.js';
import { requireInstanceId } from '../../sources/rds-instance.js';
import { levelAbove } from '../../status.js';
import { durationMs } from '../../time.js';
import { DbsecError } from '../../errors.js';

interface Datapoint {
  time: Date;
  average: number;
  maximum: number;
}

export default defineCheck({
  meta: {
    id: 'daily.cpu',
    title: 'CPU utilization',
    area: 'performance',
    cadence: 'daily',
    sources: ['cloudwatch'],
    sees: 'window',
    runbook: 'Daily Security Checks §5: Check Database Performance',
    remediation: 'Find the queries behind the load (dbsec respond high-cpu): a runaway or unexpected query can be a denial of service or data being pulled out.',
  },
  options: z.object({
    ...boundsOptions(70, 85),
    /** The runbook looks at the last hour in 5-minute periods. */
    lookback: durationOption('1h'),
    period: z.number().int().min(60).multipleOf(60).default(300),
    /** Which statistic of each period is held against the thresholds. */
    statistic: z.enum(['Average', 'Maximum']).default('Average'),
  }),
  async collect(ctx, options): Promise<{ instance: string; span: string; points: Datapoint[] }> {
    const instance = requireInstanceId(ctx.target);
    const { sdk, client } = await ctx.aws().cloudwatch();
    const reply = await awsCall('cloudwatch:GetMetricStatistics', () =>
      client.send(
        new sdk.GetMetricStatisticsCommand({
          Namespace: 'AWS/RDS',
          MetricName: 'CPUUtilization',
          Dimensions: [{ Name: 'DBInstanceIdentifier', Value: instance }],
          // The runbook's last hour, ending where the window ends (--until), never reaching back before --since.
          StartTime: new Date(Math.max(ctx.window.from.getTime(), ctx.window.to.getTime() - durationMs(options.lookback)!)),
          EndTime: ctx.window.to,
          Period: options.period,
          Statistics: ['Average', 'Maximum'],
        }),
      ),
    );
    // Datapoints come unordered.
    const points = (reply.Datapoints ?? [])
      .filter((p) => p.Timestamp && p.Average !== undefined && p.Maximum !== undefined)
      .map((p) => ({ time: p.Timestamp!, average: round(p.Average!), maximum: round(p.Maximum!) }))
      .sort((a, b) => a.time.getTime() - b.time.getTime());
    const span = ctx.window.to.getTime() >= ctx.now.getTime() - 60_000 ? `last ${options.lookback}` : `${options.lookback} to ${ctx.window.to.toISOString()}`;
    return { instance, span, points };
  },
  evaluate({ instance, span, points }, options): FindingDraft[] {
    if (points.length === 0) {
      throw new DbsecError(`CloudWatch has no CPUUtilization datapoints for ${instance} in the ${span}: check the instance id and region, or whether the instance is stopped.`);
    }
    const key = options.statistic === 'Average' ? 'average' : 'maximum';
    const peak = points.reduce((best, p) => (p[key] > best[key] ? p : best));
    return [
      {
        status: levelAbove(peak[key], options),
        resource: instance,
        title: `CPU at most ${peak[key]}% (${options.statistic.toLowerCase()} of ${options.period / 60}-minute periods, ${span})`,
        summary: `Highest period at ${peak.time.toISOString()}: average ${peak.average}%, maximum ${peak.maximum}%.`,
        value: peak[key],
        expected: `below ${options.monitorAbove}%`,
        evidence: points.map((p) => ({ time: p.time, average: p.average, maximum: p.maximum })),
      },
    ];
  },
});

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
