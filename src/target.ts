import type { ClientConfig } from 'pg';
import type { DBInstance } from '@aws-sdk/client-rds';
import { redactSecrets } from './redact.js';
import type { LogFormat } from './sources/logs/record.js';
import { pgClientConfig } from './sources/pg-connection.js';
import { nodePostgres } from './sources/node-postgres.js';

/** One database to review: how to reach PostgreSQL, and optionally the RDS instance and its logs. */
export interface Target {
  name: string;
  /** A postgres:// URL or libpq keyword=value string; when absent and usePgEnv is set, libpq's PG* variables (and ~/.pgpass) apply. */
  databaseUrl?: string;
  /** databaseUrl as node-postgres takes it, checked when the target is resolved. */
  pgConfig?: ClientConfig;
  usePgEnv: boolean;
  rdsInstance?: string;
  region?: string;
  profile?: string;
  logGroup?: string;
  logFiles: string[];
  /** The log's format; auto looks at the first line of each input. */
  logFormat: LogFormat | 'auto';
  /** The server's log_line_prefix for stderr logs; undefined: found from the log's first lines (and the server's setting). */
  logLinePrefix?: string;
  /** --all-instances: the instance as discovery described it. */
  instance?: DBInstance;
  /** An instance of another account: the role its AWS calls assume. */
  assumeRole?: { roleArn: string; externalId?: string };
  /** Connect with an IAM auth token (rds-db:connect) made for the URL's host, port and user, not a password. */
  iamAuth?: boolean;
}

export interface TargetInput {
  name?: string;
  databaseUrl?: string;
  rdsInstance?: string;
  region?: string;
  profile?: string;
  logGroup?: string;
  logFiles?: string[];
  logFormat?: LogFormat | 'auto';
  logLinePrefix?: string;
  instance?: DBInstance;
  assumeRole?: { roleArn: string; externalId?: string };
  iamAuth?: boolean;
}

/**
 * A target discovery found (--all-instances): its account's and region's alarms and log groups are listed once for all
 * its instances, rather than asked for one instance at a time.
 */
export function inFleet(target: Target): boolean {
  return target.instance !== undefined;
}

const LIBPQ_VARS = ['PGHOST', 'PGHOSTADDR', 'PGDATABASE', 'PGUSER', 'PGSERVICE', 'PGPORT'];

export function hasPgEnv(env: NodeJS.ProcessEnv): boolean {
  return LIBPQ_VARS.some((name) => Boolean(env[name]));
}

export function resolveTarget(input: TargetInput, env: NodeJS.ProcessEnv, index = 0): Target {
  const region = input.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  const logGroup = input.logGroup ?? (input.rdsInstance ? `/aws/rds/instance/${input.rdsInstance}/postgresql` : undefined);
  const pgConfig = input.databaseUrl ? pgClientConfig(input.databaseUrl) : undefined;
  return {
    name: input.name ?? input.rdsInstance ?? (pgConfig && databaseLabel(pgConfig)) ?? (hasPgEnv(env) ? pgEnvLabel(env) : `target-${index + 1}`),
    databaseUrl: input.databaseUrl,
    pgConfig,
    usePgEnv: !input.databaseUrl && hasPgEnv(env),
    rdsInstance: input.rdsInstance,
    region,
    profile: input.profile,
    logGroup,
    logFiles: input.logFiles ?? [],
    logFormat: input.logFormat ?? 'auto',
    logLinePrefix: input.logLinePrefix,
    ...(input.instance ? { instance: input.instance } : {}),
    ...(input.assumeRole ? { assumeRole: input.assumeRole } : {}),
    ...(input.iamAuth ? { iamAuth: true } : {}),
  };
}

function databaseLabel(config: ClientConfig): string {
  return `${config.host || 'localhost'}${config.port ? `:${config.port}` : ''}${config.database ? `/${config.database}` : ''}`;
}

function pgEnvLabel(env: NodeJS.ProcessEnv): string {
  const host = env.PGHOST ?? env.PGHOSTADDR ?? 'localhost';
  return `${host}${env.PGPORT ? `:${env.PGPORT}` : ''}${env.PGDATABASE ? `/${env.PGDATABASE}` : ''}`;
}

/** What the report says about a target: never a password. */
export function describeTarget(target: Target) {
  return {
    name: target.name,
    database: target.databaseUrl ? redactSecrets(target.databaseUrl) : target.usePgEnv ? 'libpq environment' : null,
    rdsInstance: target.rdsInstance ?? null,
    region: target.region ?? null,
    logSource: target.logFiles.length > 0 ? target.logFiles.join(', ') : target.logGroup ?? null,
  };
}

/**
 * The role dbsec connects to a target as, as node-postgres resolves it (the connection string's user, else PGUSER,
 * else the OS user); undefined for a target without a database.
 */
export function connectionRole(target: Target): string | undefined {
  if (!target.pgConfig && !target.usePgEnv) return undefined;
  // A client that is never connected: only its resolved settings are read.
  return new (nodePostgres().Client)(target.pgConfig ?? {}).user;
}
