import { forMachines } from '../../reports/formats.js';
import { reportExit } from '../../compare.js';
import { tryLogin } from '../../sources/postgres.js';
import { AwsClients, awsCall } from '../../sources/aws.js';
import { DbsecError } from '../../errors.js';
import type { Io } from '../../io.js';
import { spinner } from '../../progress.js';
import { makeFinding } from '../../finding.js';
import { makeReport, namedTarget } from '../../report.js';
import type { FailOn } from '../../status.js';
import type { Format } from '../../reports/index.js';
import { emitReport } from '../shared/emit.js';

export interface RotateFlags {
  secretId: string;
  region?: string;
  profile?: string;
  execute?: boolean;
  wait: string;
  sslmode: 'disable' | 'require' | 'verify-full';
  format: Format;
  output?: string;
  failOn: FailOn;
  quiet?: boolean;
  color?: boolean;
}

/** The JSON an RDS secret holds (the rotation templates' format); the password is only ever used, never shown. */
interface DbSecret {
  host?: string;
  port?: number | string;
  username?: string;
  password?: string;
  dbname?: string;
}

/** A finding before the report fills in check, target, remediation and runbook. */
type Draft = Parameters<typeof makeFinding>[0];

const RUNBOOK = 'Credential Rotation';
const REMEDIATION = 'Check the rotation function’s CloudWatch logs; put the last good version back with aws secretsmanager update-secret-version-stage --version-stage AWSCURRENT --move-to-version-id OLD --remove-from-version-id NEW, then rotate again.';

/**
 * dbsec rotate-credentials: shows what will happen; with --execute calls RotateSecret, waits for the new version
 * to become AWSCURRENT, and proves that the new credentials connect and the old ones no longer do.
 */
export async function rotateCredentials(flags: RotateFlags, io: Io, version: string): Promise<number> {
  const startedAt = io.now();
  const region = flags.region ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION;
  const aws = new AwsClients({ region, profile: flags.profile, retryStrategy: io.awsRetryStrategy });
  const findings: Draft[] = [];
  try {
    const { sdk, client } = await aws.secretsManager();
    const described = await awsCall('secretsmanager:DescribeSecret', () => client.send(new sdk.DescribeSecretCommand({ SecretId: flags.secretId })));
    const current = currentVersion(described.VersionIdsToStages);
    const stages = Object.entries(described.VersionIdsToStages ?? {}).map(([id, s]) => ({ version: id, stages: s.join(', ') }));
    if (!flags.execute) {
      findings.push({
        status: described.RotationEnabled ? 'ok' : 'monitor',
        title: `Dry run: would rotate ${described.Name} (current version ${current ?? '?'})`,
        summary: `${described.RotationEnabled ? `Rotation function ${described.RotationLambdaARN}` : 'Rotation is not configured: RotateSecret will fail until a rotation function is set'}; last rotated ${described.LastRotatedDate?.toISOString() ?? 'never'}. Add --execute to call RotateSecret, wait for the new version and verify it connects.`,
        resource: described.ARN ?? flags.secretId,
        evidence: stages,
      });
    } else {
      findings.push(...(await rotate(aws, flags, io, current)));
    }
  } catch (err) {
    if (!(err instanceof DbsecError)) throw err;
    findings.push({ status: 'error', title: `Rotation of ${flags.secretId} could not run`, summary: err.message, resource: flags.secretId });
  } finally {
    aws.destroy();
  }
  const report = makeReport(
    { version, command: 'rotate-credentials', startedAt, finishedAt: io.now(), window: { from: startedAt, to: startedAt }, targets: [namedTarget(flags.secretId, region ?? null)] },
    // "rotate.credentials": the report schema's dotted check id (the command's own name has no dot).
    findings.map((f) => makeFinding(f, { checkId: 'rotate.credentials', target: flags.secretId, remediation: REMEDIATION, runbook: RUNBOOK })),
  );
  return reportExit(await emitReport(report, flags, io), flags);
}

async function rotate(aws: AwsClients, flags: RotateFlags, io: Io, before: string | undefined): Promise<Draft[]> {
  const { sdk, client } = await aws.secretsManager();
  const value = async (stage: string) => parseSecret((await awsCall('secretsmanager:GetSecretValue', () => client.send(new sdk.GetSecretValueCommand({ SecretId: flags.secretId, VersionStage: stage })))).SecretString);
  const old = await value('AWSCURRENT');
  const started = await awsCall('secretsmanager:RotateSecret', () => client.send(new sdk.RotateSecretCommand({ SecretId: flags.secretId })));
  const target = started.VersionId!;
  const waitSeconds = Number(flags.wait);
  const progress = !flags.quiet && !forMachines(flags.format) && io.stderr.isTTY ? await spinner(io.stderr as NodeJS.WriteStream, `rotating ${flags.secretId}`) : undefined;
  const deadline = io.now().getTime() + waitSeconds * 1000;
  let stages: Record<string, string[]> = {};
  try {
    // Polling a state, not retrying a failure: RotateSecret returns at once and the rotation function runs on.
    while (io.now().getTime() < deadline) {
      stages = (await awsCall('secretsmanager:DescribeSecret', () => client.send(new sdk.DescribeSecretCommand({ SecretId: flags.secretId })))).VersionIdsToStages ?? {};
      if (stages[target]?.includes('AWSCURRENT')) break;
      if (progress) progress.text = `rotating ${flags.secretId}: version ${target} is ${stages[target]?.join(', ') ?? 'not listed'} (${Math.round((deadline - io.now().getTime()) / 1000)} s left)`;
      await new Promise((r) => setTimeout(r, 1000));
    }
  } finally {
    progress?.stop();
  }
  if (!stages[target]?.includes('AWSCURRENT')) {
    return [{ status: 'investigate', title: `Rotation did not finish within ${waitSeconds} s: version ${target} is ${stages[target]?.join(', ') ?? 'missing'}`, summary: `AWSCURRENT is still ${currentVersion(stages) ?? '?'} (was ${before ?? '?'}); applications keep the old password, which still works.`, resource: flags.secretId }];
  }
  const fresh = await value('AWSCURRENT');
  const results: Draft[] = [{ status: 'ok', title: `Version ${target} is now AWSCURRENT (was ${before ?? '?'})`, summary: 'RotateSecret finished; the rotation function moved the staging labels.', resource: flags.secretId }];
  const newLogin = await loginWith(fresh, flags.sslmode);
  results.push(
    newLogin === true
      ? { status: 'ok', title: `The new credentials of ${fresh.username} connect (SELECT 1)`, summary: `To ${fresh.host}:${fresh.port}/${fresh.dbname ?? 'postgres'} with sslmode ${flags.sslmode}.`, resource: `${fresh.host}:${fresh.port}` }
      : { status: 'investigate', title: `The new credentials of ${fresh.username} do not connect`, summary: `${newLogin}. Applications that fetch the secret now cannot log in.`, resource: `${fresh.host}:${fresh.port}` },
  );
  if (old.password !== fresh.password && old.username === fresh.username) {
    const oldLogin = await loginWith(old, flags.sslmode);
    results.push(
      oldLogin === true
        ? { status: 'investigate', title: `The old password of ${old.username} still works`, summary: 'The secret changed but the database password did not: the rotation function did not set it.', resource: `${old.host}:${old.port}` }
        : { status: 'ok', title: `The old password of ${old.username} is refused`, summary: String(oldLogin), resource: `${old.host}:${old.port}` },
    );
  }
  return results;
}

function currentVersion(stages: Record<string, string[]> | undefined): string | undefined {
  return Object.entries(stages ?? {}).find(([, s]) => s.includes('AWSCURRENT'))?.[0];
}

function parseSecret(text: string | undefined): DbSecret {
  try {
    const secret = JSON.parse(text ?? '') as DbSecret;
    if (!secret.username || !secret.password || !secret.host) throw new Error('missing');
    return secret;
  } catch {
    throw new DbsecError('The secret is not a database secret: it needs host, username and password (the RDS rotation template’s JSON).');
  }
}

/** true, or why the login failed (without the password). */
async function loginWith(secret: DbSecret, sslmode: RotateFlags['sslmode']): Promise<true | string> {
  const login = await tryLogin(
    { host: secret.host, port: Number(secret.port ?? 5432), user: secret.username, password: secret.password, database: secret.dbname ?? 'postgres', ssl: sslmode === 'disable' ? false : { rejectUnauthorized: sslmode === 'verify-full' } },
    10_000,
  );
  return login === true ? true : `login refused: ${login === 'refused' ? `password authentication failed for user "${secret.username}"` : login}`;
}
