import { DbsecError, messageOf } from '../../errors.js';
import type { Io } from '../../io.js';
import type { Format } from '../../reports/index.js';
import { SANDBOX_INSTANCE, SANDBOX_REGION, sandboxAwsEnv, sandboxEndpoint } from '../../sandbox/aws-scenario.js';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { startPostgres } from '../../sandbox/postgres.js';
import { runActivityScenario } from '../../sandbox/activity-scenario.js';
import { ROLES, seedSchema, seedScenario } from '../../sandbox/pg-scenario.js';
import { runReview } from '../review/run.js';
import { elapsedMs } from '../../clock.js';
import type { ConfigFile } from '../../config.js';
import type { Cadence } from '../../checks/types.js';
import { spinner as startSpinner } from '../../progress.js';

/** The demo's thresholds: the runbook's, but long queries count after 2 s so the demo need not wait 5 minutes. */
export const DEMO_CONFIG: ConfigFile = {
  checks: {
    'daily.long-running-queries': { minDuration: '2s', idleInTransaction: '2s' },
    'daily.cloudtrail-rds-changes': { allowActors: ['terraform-ci'] },
    'weekly.ddl-statements': { allowRoles: ['postgres'] },
    'monthly.access-control': { applicationRole: 'app_user' },
  },
};

/** The demo server logs statements (for the DDL review) and keeps pg_stat_statements (for the query review). */
export const DEMO_SETTINGS = { log_statement: 'mod', shared_preload_libraries: 'pg_stat_statements' };

export async function demo(flags: { format: Format; color?: boolean; serve?: boolean; command?: Cadence | 'activity' }, io: Io, version: string): Promise<number> {
  if (flags.command === 'activity') return activityDemo(flags, io, version);
  const command = flags.command;
  const spinner = io.stderr.isTTY && flags.format !== 'json' ? await startSpinner(io.stderr as NodeJS.WriteStream, 'starting PostgreSQL') : undefined;
  const server = await startPostgres({ flavor: 'embedded', ssl: true, settings: DEMO_SETTINGS }).catch((err) => {
    spinner?.stop();
    throw new DbsecError(`The demo could not start its PostgreSQL: ${messageOf(err).split('\n')[0]}`);
  });
  const endpoint = sandboxEndpoint({ now: io.now(), logFile: server.logFile });
  let scenario: Awaited<ReturnType<typeof seedScenario>> | undefined;
  try {
    if (spinner) spinner.text = 'seeding roles, failed logins, a long query and an idle transaction';
    scenario = await seedScenario(server, { clock: io.now });
    if (command !== 'daily') await seedSchema(server);
    const url = await endpoint.start();
    Object.assign(process.env, sandboxAwsEnv(url));
    delete process.env.AWS_PROFILE;
    const databaseUrl = server.url({ user: ROLES.auditor.name, password: ROLES.auditor.password, ssl: true });
    if (flags.serve) {
      spinner?.stop();
      return await serve(io, url, databaseUrl, server.logFile);
    }
    // Let the held sessions pass the demo's 2-second threshold.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 2500 - elapsedMs(io.now, scenario!.startedAt))));
    spinner?.stop();
    return await runReview(
      command ?? 'daily',
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

/** The activity scenario (every use case of seed 000) run for real on a server with log_statement = all, then its log read. */
async function activityDemo(flags: { format: Format; color?: boolean }, io: Io, version: string): Promise<number> {
  const spinner = io.stderr.isTTY && flags.format !== 'json' ? await startSpinner(io.stderr as NodeJS.WriteStream, 'starting PostgreSQL with log_statement = all') : undefined;
  const server = await startPostgres({ flavor: 'embedded', settings: { log_statement: 'all' } }).catch((err) => {
    spinner?.stop();
    throw new DbsecError(`The demo could not start its PostgreSQL: ${messageOf(err).split('\n')[0]}`);
  });
  try {
    if (spinner) spinner.text = 'running a statement for each of the eleven use cases';
    await runActivityScenario(server);
    await new Promise((resolve) => setTimeout(resolve, 300));
    spinner?.stop();
    const { activity } = await import('../activity/run.js');
    const config = join(server.dataDir, '..', 'dbsec-demo.yaml');
    await writeFile(config, 'activity:\n  views: [act_customer_emails]\n  sensitiveTables: [act_customers]\n');
    return await activity({ logFile: [server.logFile], config, format: flags.format === 'json' ? 'json' : flags.format, failOn: 'investigate', logFormat: 'auto', color: flags.color, quiet: true }, io, version);
  } finally {
    await server.stop();
  }
}

async function serve(io: Io, awsUrl: string, databaseUrl: string, logFile: string): Promise<number> {
  io.stdout.write(
    [
      'The sandbox is running. In another shell:',
      `  export ${Object.entries(sandboxAwsEnv(awsUrl)).map(([name, value]) => `${name}=${value}`).join(' ')}`,
      `  dbsec daily --database-url '${databaseUrl}' --rds-instance ${SANDBOX_INSTANCE}`,
      `  dbsec daily --database-url '${databaseUrl}' --log-file ${logFile}`,
      'Ctrl-C stops it.',
      '',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  return 0;
}
