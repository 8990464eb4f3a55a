import type { DBInstance } from '@aws-sdk/client-rds';
import { z } from 'zod';
import { matchesAny } from './globs.js';
import { DbsecError, messageOf } from './errors.js';
import pLimit from 'p-limit';
import { allPages, AwsClients, awsCall, type AwsPool, type AwsSettings } from './sources/aws.js';
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
    /** Other accounts: the role dbsec assumes in each (from the caller's own credentials), with its external id. */
    accounts: z
      .array(
        z
          .object({
            id: z.string().regex(/^\d{12}$/, 'expected a 12-digit account id'),
            roleArn: z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+/, 'expected arn:aws:iam::ACCOUNT:role/NAME'),
            externalId: z.string().min(1).optional(),
          })
          .strict(),
      )
      .optional(),
    /**
     * Every active account of the AWS Organization (ListAccounts, with the caller's credentials: the management or a
     * delegated administrator account), each through the role of this name in it; added to `accounts`.
     */
    organization: z
      .object({
        roleName: z.string().regex(/^[\w+=,.@/-]{1,512}$/, 'expected an IAM role name, e.g. dbsec-audit'),
        externalId: z.string().min(1).optional(),
        /** Account ids to leave out (the management account, a sandbox account). */
        exclude: z.array(z.string().regex(/^\d{12}$/, 'expected a 12-digit account id')).optional(),
      })
      .strict()
      .optional(),
    /**
     * The connection of each instance found: {endpoint}, {port}, {db} (its DBName, else postgres), {id} and {region}
     * are filled in. Without it only the AWS checks and the CloudWatch log run.
     */
    /** Connect to each instance with an IAM auth token (@aws-sdk/rds-signer) for the template's user, not a password. */
    iamAuth: z.boolean().optional(),
    databaseUrl: z
      .string()
      .min(1)
      .refine((url) => !/\{(?!endpoint\}|port\}|db\}|id\}|region\})[^}]*\}/.test(url), 'only {endpoint}, {port}, {db}, {id} and {region} are filled in')
      .optional(),
  })
  .strict();

export type Discovery = z.infer<typeof DiscoverySchema>;
type Account = NonNullable<Discovery['accounts']>[number];

export interface DiscoveryRequest extends Discovery {
  regions: string[];
}

export interface Discovered {
  targets: Array<TargetInput & { instance: DBInstance }>;
  /** Regions (of an account) that could not be read, each with one sentence: the others' instances are still reviewed. */
  failures: Array<{ region: string; message: string; remediation?: string }>;
}


/** "env=prod" → ["env", "prod"]; a tag without a value is refused. */
export function parseTag(text: string): [string, string] {
  const at = text.indexOf('=');
  if (at <= 0) throw new DbsecError(`--tag "${text}" must be KEY=VALUE, e.g. --tag env=prod.`);
  return [text.slice(0, at), text.slice(at + 1)];
}

/**
 * Every RDS for PostgreSQL and Aurora PostgreSQL instance in the regions that carries the tags and matches a name
 * glob, one region at a time (DescribeDBInstances, paginated). A region that fails is reported, not fatal.
 */
export async function discoverInstances(request: DiscoveryRequest, settings: Omit<AwsSettings, 'region'>, pool: AwsPool): Promise<Discovered> {
  const organization = request.organization ? await organizationAccounts(request.organization, request.accounts ?? [], { ...settings, region: request.regions[0]! }, pool) : { accounts: [], failures: [] };
  const accounts = [...(request.accounts ?? []), ...organization.accounts];
  // No accounts listed: the caller's own account only.
  const places = (accounts.length > 0 ? accounts : [undefined]).flatMap((account) => request.regions.map((region) => ({ account, region })));
  const limit = pLimit(DISCOVERY_CONCURRENCY);
  // Listed concurrently, reported in the order of the accounts and regions.
  const listings = await Promise.all(places.map(({ account, region }) => limit(() => listRegion(account, region, request, settings, pool))));
  return { targets: listings.flatMap((l) => l.targets), failures: [...organization.failures, ...listings.flatMap((l) => l.failures)] };
}

/**
 * The organization's active accounts (Organizations ListAccounts, paginated) less those excluded or listed in
 * `accounts` already, each with its role ARN. A failed listing is one failure: the listed accounts are still reviewed.
 */
async function organizationAccounts(organization: NonNullable<Discovery['organization']>, listed: readonly Account[], settings: AwsSettings, pool: AwsPool): Promise<{ accounts: Account[]; failures: Discovered['failures'] }> {
  try {
    const { sdk, client } = await pool.clientsFor(settings).organizations();
    const pages = await allPages('organizations:ListAccounts', sdk.paginateListAccounts({ client }, {}));
    const skip = new Set([...(organization.exclude ?? []), ...listed.map((a) => a.id)]);
    const accounts = pages
      .flatMap((page) => page.Accounts ?? [])
      .filter((account) => (account.State ?? account.Status) === 'ACTIVE' && account.Id && !skip.has(account.Id))
      .map((account) => ({ id: account.Id!, roleArn: `${account.Arn?.split(':').slice(0, 2).join(':') ?? 'arn:aws'}:iam::${account.Id}:role/${organization.roleName}`, ...(organization.externalId ? { externalId: organization.externalId } : {}) }));
    return { accounts, failures: [] };
  } catch (err) {
    return { accounts: [], failures: [{ region: 'organization', message: messageOf(err), remediation: 'Run from the management account or a delegated administrator with organizations:ListAccounts, or list the accounts under discovery.accounts.' }] };
  }
}

/** Account-regions listed at once: DescribeDBInstances is cheap, but a fleet of 12 accounts × 17 regions is 204 listings. */
const DISCOVERY_CONCURRENCY = 8;

async function listRegion(account: Account | undefined, region: string, request: DiscoveryRequest, settings: Omit<AwsSettings, 'region'>, pool: AwsPool): Promise<Discovered> {
  const assumeRole = account && { roleArn: account.roleArn, ...(account.externalId ? { externalId: account.externalId } : {}) };
  try {
    const { sdk, client } = await pool.clientsFor({ ...settings, region, ...(assumeRole ? { assumeRole } : {}) }).rds();
    const pages = await allPages('rds:DescribeDBInstances', sdk.paginateDescribeDBInstances({ client }, { Filters: [{ Name: 'engine', Values: ENGINES }] }));
    const found = pages.flatMap((page) => page.DBInstances ?? []).filter((instance) => ENGINES.includes(instance.Engine ?? '') && wanted(instance, request));
    return { targets: found.map((instance) => ({ ...targetOf(instance, region, account?.id, request, request.regions.length > 1 || account !== undefined), ...(assumeRole ? { assumeRole } : {}) })), failures: [] };
  } catch (err) {
    return { targets: [], failures: [{ region: account ? `${account.id}/${region}` : region, message: messageOf(err) }] };
  }
}

function wanted(instance: DBInstance, request: Discovery): boolean {
  const tags = new Map((instance.TagList ?? []).map((tag) => [tag.Key, tag.Value]));
  const tagged = Object.entries(request.tags ?? {}).every(([key, value]) => tags.get(key) === value);
  return tagged && (!request.names?.length || matchesAny(instance.DBInstanceIdentifier, request.names));
}

function targetOf(instance: DBInstance, region: string, account: string | undefined, request: Discovery, qualified: boolean): TargetInput & { instance: DBInstance } {
  const id = instance.DBInstanceIdentifier!;
  const fill: Record<string, string> = { endpoint: instance.Endpoint?.Address ?? '', port: String(instance.Endpoint?.Port ?? 5432), db: instance.DBName ?? 'postgres', id, region };
  return {
    name: qualified ? `${account ? `${account}/` : ''}${region}/${id}` : id,
    rdsInstance: id,
    region,
    ...(request.databaseUrl ? { databaseUrl: request.databaseUrl.replace(/\{(\w+)\}/g, (_, key: string) => encodeURIComponent(fill[key]!)), ...(request.iamAuth ? { iamAuth: true } : {}) } : {}),
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
