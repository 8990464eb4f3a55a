import { redactSecrets } from './redact.js';
import type { LogFormat } from './sources/logs/record.js';


/** One database to review: how to reach PostgreSQL, and optionally the RDS instance and its logs. */
export interface Target {
  name: string;
  /** A postgres:// URL; when absent and usePgEnv is set, libpq's PG* variables (and ~/.pgpass) apply. */
  databaseUrl?: string;
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
}

const LIBPQ_VARS = ['PGHOST', 'PGHOSTADDR', 'PGDATABASE', 'PGUSER', 'PGSERVICE', 'PGPORT'];

export function hasPgEnv(env: NodeJS.ProcessEnv): boolean {
  return LIBPQ_VARS.some((name) => Boolean(env[name]));
}

export function resolveTarget(input: TargetInput, env: NodeJS.ProcessEnv, index = 0): Target {
  const region = input.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  const logGroup = input.logGroup ?? (input.rdsInstance ? `/aws/rds/instance/${input.rdsInstance}/postgresql` : undefined);
  return {
    name: input.name ?? input.rdsInstance ?? databaseLabel(input.databaseUrl) ?? (hasPgEnv(env) ? pgEnvLabel(env) : `target-${index + 1}`),
    databaseUrl: input.databaseUrl,
    usePgEnv: !input.databaseUrl && hasPgEnv(env),
    rdsInstance: input.rdsInstance,
    region,
    profile: input.profile,
    logGroup,
    logFiles: input.logFiles ?? [],
    logFormat: input.logFormat ?? 'auto',
    logLinePrefix: input.logLinePrefix,
  };
}

function databaseLabel(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const parsed = new URL(url);
    return `${parsed.hostname || 'localhost'}${parsed.port ? `:${parsed.port}` : ''}${parsed.pathname.length > 1 ? parsed.pathname : ''}`;
  } catch {
    return 'database';
  }
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
