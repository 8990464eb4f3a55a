import { createSpinner } from 'nanospinner';
import { DbsecError, messageOf } from '../errors.js';
import type { Io } from '../io.js';
import type { Format } from '../reports/index.js';
import { SANDBOX_INSTANCE, SANDBOX_REGION, sandboxEndpoint } from '../sandbox/aws-scenario.js';
import { startPostgres } from '../sandbox/postgres.js';
import { ROLES, seedScenario } from '../sandbox/pg-scenario.js';
import { runReview } from './review.js';
import type { ConfigFile } from '../config.js';

/** The demo's thresholds: the runbook's, but long queries count after 2 s so the demo need not wait 5 minutes. */
export const DEMO_CONFIG: ConfigFile = {
  checks: {
    'daily.long-running-queries': { minDuration: '2s', idleInTransaction: '2s' },
    'daily.cloudtrail-rds-changes': { allowActors: ['terraform-ci'] },
  },
};

export async function demo(flags: { format: Format; color?: boolean; serve?: boolean }, io: Io, version: string): Promise<number> {
  const spinner = io.stderr.isTTY && flags.format !== 'json' ? createSpinner('starting PostgreSQL', { stream: io.stderr as NodeJS.WriteStream }).start() : undefined;
  const server = await startPostgres({ flavor: 'embedded', ssl: true }).catch((err) => {
    spinner?.stop();
    throw new DbsecError(`The demo could not start its PostgreSQL: ${messageOf(err).split('\n')[0]}`);
  });
  const endpoint = sandboxEndpoint({ now: io.now(), logFile: server.logFile });
  let scenario: Awaited<ReturnType<typeof seedScenario>> | undefined;
  try {
    spinner?.update({ text: 'seeding roles, failed logins, a long query and an idle transaction' });
    scenario = await seedScenario(server);
    const url = await endpoint.start();
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: url,
      AWS_ACCESS_KEY_ID: 'AKIDSANDBOX',
      AWS_SECRET_ACCESS_KEY: 'sandbox',
      AWS_REGION: SANDBOX_REGION,
      AWS_EC2_METADATA_DISABLED: 'true',
    });
    delete process.env.AWS_PROFILE;
    const databaseUrl = server.url({ user: ROLES.auditor.name, password: ROLES.auditor.password, ssl: true });
    if (flags.serve) {
      spinner?.stop();
      return await serve(io, url, databaseUrl, server.logFile);
    }
    // Let the held sessions pass the demo's 2-second threshold.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 2500 - (Date.now() - scenario!.startedAt.getTime()))));
    spinner?.stop();
    spinner?.clear();
    return await runReview(
      'daily',
      { format: flags.format, failOn: 'investigate', color: flags.color, databaseUrl, rdsInstance: SANDBOX_INSTANCE, region: SANDBOX_REGION, quiet: flags.format === 'json' },
      io,
      version,
      DEMO_CONFIG,
    );
  } finally {
    await scenario?.stop().catch(() => undefined);
    await endpoint.stop();
    await server.stop();
  }
}

async function serve(io: Io, awsUrl: string, databaseUrl: string, logFile: string): Promise<number> {
  io.stdout.write(
    [
      'The sandbox is running. In another shell:',
      `  export AWS_ENDPOINT_URL=${awsUrl} AWS_ACCESS_KEY_ID=AKIDSANDBOX AWS_SECRET_ACCESS_KEY=sandbox AWS_REGION=${SANDBOX_REGION} AWS_EC2_METADATA_DISABLED=true`,
      `  dbsec daily --database-url '${databaseUrl}' --rds-instance ${SANDBOX_INSTANCE}`,
      `  dbsec daily --database-url '${databaseUrl}' --log-file ${logFile}`,
      'Ctrl-C stops it.',
      '',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  return 0;
}
