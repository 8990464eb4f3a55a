import { loadConfigFile, type ConfigFile } from '../../config.js';
import type { ContextDeps } from '../../context.js';
import { DbsecError } from '../../errors.js';
import type { Io } from '../../io.js';
import { resolveTarget, type Target, type TargetInput } from '../../target.js';
import { durationMs, parseDuration } from '../../time.js';
import { setAwsTimeout } from '../../sources/aws.js';
import type { TargetFlags } from './flags.js';

const TARGET_FLAGS = ['databaseUrl', 'rdsInstance', 'logGroup', 'logFile'] as const;

/** Flags naming a database or instance make one target; otherwise the config's targets; otherwise libpq's env. */
export function targetsOf(flags: TargetFlags, config: ConfigFile, env: NodeJS.ProcessEnv): Target[] {
  const fromFlags: TargetInput = {
    databaseUrl: flags.databaseUrl,
    rdsInstance: flags.rdsInstance,
    region: flags.region,
    profile: flags.profile,
    logGroup: flags.logGroup,
    logFiles: flags.logFile,
    logFormat: flags.logFormat,
    logLinePrefix: flags.logLinePrefix,
  };
  if (TARGET_FLAGS.some((flag) => flags[flag] !== undefined) || !config.targets?.length) return [resolveTarget(fromFlags, env)];
  return config.targets.map((target, index) =>
    resolveTarget({ ...target, region: target.region ?? flags.region, profile: target.profile ?? flags.profile, logFormat: target.logFormat ?? flags.logFormat, logLinePrefix: target.logLinePrefix ?? flags.logLinePrefix }, env, index),
  );
}

/** The config file of -c, or none. */
export async function configOf(flags: { config?: string }): Promise<ConfigFile> {
  return flags.config ? loadConfigFile(flags.config) : {};
}

/** The one target a command acts on; `several` is the sentence for a config that lists more than one. */
export async function singleTarget(flags: TargetFlags, io: Io, several: string): Promise<{ target: Target; config: ConfigFile }> {
  const config = await configOf(flags);
  const targets = targetsOf(flags, config, io.env);
  if (targets.length !== 1) throw new DbsecError(several);
  return { target: targets[0]!, config };
}

/** Session limits and the AWS timeout from the config, the AWS retry strategy from the caller: what every target context needs. */
export function contextDeps(config: ConfigFile, io: Io): ContextDeps {
  const requestTimeoutMs = durationMs(config.awsTimeout ?? '30s')!;
  setAwsTimeout(requestTimeoutMs);
  return {
    limits: {
      statementTimeoutMs: parseDuration(config.statementTimeout ?? '30s', 'statementTimeout'),
      lockTimeoutMs: parseDuration(config.lockTimeout ?? '5s', 'lockTimeout'),
      connectTimeoutMs: durationMs(config.connectTimeout ?? '10s')!,
    },
    aws: { retryStrategy: io.awsRetryStrategy, requestTimeoutMs, ...(config.awsRetryMode ? { retryMode: config.awsRetryMode } : {}) },
  };
}
