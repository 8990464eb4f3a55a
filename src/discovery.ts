import type { DBInstance } from '@aws-sdk/client-rds';
import { z } from 'zod';
import { matchesAny } from './checks/types.js';
import { DbsecError, messageOf } from './errors.js';
import { allPages, AwsClients, awsCall, type AwsSettings } from './sources/aws.js';
import type { TargetInput } from './target.js';

/** The engines dbsec reviews: RDS for PostgreSQL and the instances of Aurora PostgreSQL clusters. */
const ENGINES = ['postgres', 'aurora-postgresql'];

/** `discovery:` in the config: what --all-instances looks for, and how to reach each database it finds. */
export const DiscoverySchema = z
  .object({
    regions: z.array(z.string().min(1)).min(1).optional(),
    /** Tags an instance must carry, all of them: { env: prod }. */
    tags: z.record(z.string(), z.string()).optional(),
    /** Instance identifier globs, any of them. */
    names: z.array(z.string().min(1)).optional(),
    /**
     * The connection of each instance found: {endpoint}, {port}, {db} (its DBName, else postgres), {id} and {region}
     * are filled in. Without it only the AWS checks and the CloudWatch log run.
     */
    databaseUrl: z
      .string()
      .min(1)
      .refine((url) => !/\{(?!endpoint\}|port\}|db\}|id\}|region\})[^}]*\}/.test(url), 'only {endpoint}, {port}, {db}, {id} and {region} are filled in')
      .optional(),
  })
  .strict();

export type Discovery = z.infer<typeof DiscoverySchema>;

export interface DiscoveryRequest extends Discovery {
  regions: string[];
}

export interface Discovered {
  targets: Array<TargetInput & { instance: DBInstance }>;
  /** Regions that could not be read, each with one sentence: the others' instances are still reviewed. */
  failures: Array<{ region: string; message: string }>;
}

/** "env=prod" → ["env", "prod"]; a tag without "=" must merely exist… which RDS cannot filter on, so it is refused. */
export function parseTag(text: string): [string, string] {
  const at = text.indexOf('=');
  if (at <= 0) throw new DbsecError(`--tag "${text}" must be KEY=VALUE, e.g. --tag env=prod.`);
  return [text.slice(0, at), text.slice(at + 1)];
}

/**
 * Every RDS for PostgreSQL and Aurora PostgreSQL instance in the regions that carries the tags and matches a name
 * glob, one region at a time (DescribeDBInstances, paginated). A region that fails is reported, not fatal.
 */
export async function discoverInstances(request: DiscoveryRequest, settings: Omit<AwsSettings, 'region'>): Promise<Discovered> {
  const discovered: Discovered = { targets: [], failures: [] };
  for (const region of request.regions) {
    const aws = new AwsClients({ ...settings, region });
    try {
      const { sdk, client } = await aws.rds();
      const pages = await allPages('rds:DescribeDBInstances', sdk.paginateDescribeDBInstances({ client }, { Filters: [{ Name: 'engine', Values: ENGINES }] }));
      for (const instance of pages.flatMap((page) => page.DBInstances ?? [])) {
        if (!ENGINES.includes(instance.Engine ?? '') || !wanted(instance, request)) continue;
        discovered.targets.push(targetOf(instance, region, request, request.regions.length > 1));
      }
    } catch (err) {
      discovered.failures.push({ region, message: messageOf(err) });
    } finally {
      aws.destroy();
    }
  }
  return discovered;
}

function wanted(instance: DBInstance, request: Discovery): boolean {
  const tags = new Map((instance.TagList ?? []).map((tag) => [tag.Key, tag.Value]));
  const tagged = Object.entries(request.tags ?? {}).every(([key, value]) => tags.get(key) === value);
  return tagged && (!request.names?.length || matchesAny(instance.DBInstanceIdentifier, request.names));
}

function targetOf(instance: DBInstance, region: string, request: Discovery, manyRegions: boolean): TargetInput & { instance: DBInstance } {
  const id = instance.DBInstanceIdentifier!;
  const fill: Record<string, string> = { endpoint: instance.Endpoint?.Address ?? '', port: String(instance.Endpoint?.Port ?? 5432), db: instance.DBName ?? 'postgres', id, region };
  return {
    name: manyRegions ? `${region}/${id}` : id,
    rdsInstance: id,
    region,
    ...(request.databaseUrl ? { databaseUrl: request.databaseUrl.replace(/\{(\w+)\}/g, (_, key: string) => encodeURIComponent(fill[key]!)) } : {}),
    instance,
  };
}

/** "all": the regions the account has enabled (EC2 DescribeRegions), so an opt-in region left off is not searched. */
export async function enabledRegions(settings: AwsSettings): Promise<string[]> {
  const aws = new AwsClients(settings);
  try {
    const { sdk, client } = await aws.ec2();
    const reply = await awsCall('ec2:DescribeRegions', () => client.send(new sdk.DescribeRegionsCommand({})));
    return (reply.Regions ?? []).map((r) => r.RegionName!).filter(Boolean).sort();
  } finally {
    aws.destroy();
  }
}
