import { readFile } from 'node:fs/promises';
import { yamlData } from './yaml-file.js';
import { z } from 'zod';
import { LOG_FORMATS } from './sources/logs/record.js';
import { DbsecError, messageOf } from './errors.js';
import type { Check } from './checks/types.js';
import { durationMs } from './time.js';
import { ActivityConfigSchema } from './activity/rules.js';
import { SuppressionSchema } from './suppress.js';
import { DiscoverySchema } from './discovery.js';

const TargetSchema = z
  .object({
    name: z.string().min(1).optional(),
    databaseUrl: z.string().min(1).optional(),
    rdsInstance: z.string().min(1).optional(),
    region: z.string().min(1).optional(),
    profile: z.string().min(1).optional(),
    logGroup: z.string().min(1).optional(),
    logFiles: z.array(z.string().min(1)).optional(),
    logFormat: z.enum(LOG_FORMATS).optional(),
    logLinePrefix: z.string().min(1).optional(),
  })
  .strict();

const duration = z.string().refine((text) => durationMs(text) !== undefined, { message: 'expected a duration such as 30s or 5m' });

/** A timeout: a duration within sane bounds (never 0, never past what a timer can hold). */
function boundedDuration(minMs: number, maxMs: number) {
  const words = (ms: number) => (ms >= 60_000 ? `${ms / 60_000}m` : ms >= 1_000 ? `${ms / 1_000}s` : `${ms}ms`);
  return duration.refine((text) => {
    const ms = durationMs(text)!;
    return ms >= minMs && ms <= maxMs;
  }, { message: `expected a duration from ${words(minMs)} to ${words(maxMs)}` });
}

export const ConfigFileSchema = z
  .object({
    targets: z.array(TargetSchema).optional(),
    /** Per check id: its options (thresholds, allow-lists) and `enabled: false`. */
    checks: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
    statementTimeout: boundedDuration(1_000, 3_600_000).optional(),
    lockTimeout: boundedDuration(100, 600_000).optional(),
    connectTimeout: boundedDuration(1_000, 600_000).optional(),
    /** How long one AWS request may take; a call with its retries gets four times that. */
    awsTimeout: boundedDuration(1_000, 600_000).optional(),
    /** The SDK's retry mode: adaptive also slows the client's own sending once an account and region throttles. */
    awsRetryMode: z.enum(['adaptive', 'standard']).optional(),
    concurrency: z.number().int().min(1).max(32).optional(),
    /** dbsec activity: alert rules and what the classification needs to know (views, sensitive tables). */
    activity: ActivityConfigSchema.optional(),
    /** --all-instances: the regions, tags and names to look for, and the connection template of what is found. */
    discovery: DiscoverySchema.optional(),
    /** Accepted findings: still reported, marked suppressed, left out of the exit code until they expire. */
    suppress: z.array(SuppressionSchema).max(1000).optional(),
  })
  .strict();

export type ConfigFile = z.infer<typeof ConfigFileSchema>;

export interface ResolvedCheckOptions {
  enabled: boolean;
  options: Record<string, unknown>;
}

export async function loadConfigFile(path: string): Promise<ConfigFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : messageOf(err);
    throw new DbsecError(`Cannot read config file ${path}: ${why}; check the --config path.`);
  }
  return parseConfigText(text, path);
}

export function parseConfigText(text: string, path: string): ConfigFile {
  const parsed = ConfigFileSchema.safeParse(yamlData(text, `Config file ${path}`) ?? {});
  if (!parsed.success) throw new DbsecError(`Config file ${path}: ${describeIssue(parsed.error.issues[0]!)}.`);
  return parsed.data;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.length > 0 ? issue.path.join('.') : 'top level';
  return `${where}: ${issue.message}`;
}

/**
 * Validates every check's options at start-up (a bad threshold exits 2 before anything runs) and returns
 * the resolved options of each check, defaults filled in.
 */
export function resolveCheckOptions(checks: readonly Check<any, any>[], config: ConfigFile, source: string): Map<string, ResolvedCheckOptions> {
  const known = new Set(checks.map((check) => check.meta.id));
  for (const id of Object.keys(config.checks ?? {})) {
    if (!known.has(id)) throw new DbsecError(`Config file ${source}: checks.${id} is not a check id; \`dbsec checks\` lists them.`);
  }
  const resolved = new Map<string, ResolvedCheckOptions>();
  for (const check of checks) {
    const { enabled = true, ...raw } = (config.checks?.[check.meta.id] ?? {}) as { enabled?: unknown };
    if (typeof enabled !== 'boolean') throw new DbsecError(`Config file ${source}: checks.${check.meta.id}.enabled must be true or false.`);
    const parsed = (check.options as z.ZodObject<any>).strict().safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new DbsecError(`Config file ${source}: checks.${check.meta.id}.${issue.path.join('.') || '(options)'}: ${issue.message}.`);
    }
    assertOrderedBounds(parsed.data as Record<string, unknown>, `Config file ${source}: checks.${check.meta.id}`);
    resolved.set(check.meta.id, { enabled, options: parsed.data as Record<string, unknown> });
  }
  return resolved;
}

/** The pairs of bounds a check may take: the monitor level must be reached before the investigate level. */
const BOUND_PAIRS = [['monitorAbove', 'investigateAbove'], ['monitorAtPercent', 'investigateAtPercent']] as const;

function assertOrderedBounds(options: Record<string, unknown>, where: string): void {
  for (const [monitor, investigate] of BOUND_PAIRS) {
    const low = options[monitor];
    const high = options[investigate];
    if (typeof low === 'number' && typeof high === 'number' && low > high) {
      throw new DbsecError(`${where}: ${monitor} (${low}) is above ${investigate} (${high}); the monitor bound must not exceed the investigate bound.`);
    }
  }
}
