import { readFileSync } from 'node:fs';
import { Argument, Command, CommanderError, Option } from 'commander';
import { DbsecError, messageOf } from './errors.js';
import { processIo, type Io } from './io.js';
import { redactSecrets } from './redact.js';
import { EXIT, FAIL_ON } from './status.js';
import { FORMATS } from './reports/formats.js';
import { LOG_FORMATS } from './sources/logs/record.js';

const VERSION: string = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;

const WINDOW_HELP = `
Time window:
  --since and --until take an ISO-8601 time (2026-11-20T00:00:00Z; no offset means UTC) or a duration
  (90m, 24h, 7d). --until's duration counts back from now, --since's back from --until: --until
  2026-11-21T06:00:00Z alone reviews the usual span ending then. Logs, CloudTrail and metrics are read
  for exactly [since, until]; checks of present state (sessions, catalogs, instance settings) say that
  they show the state at run time.`;

const EXIT_CODES = `
Exit codes:
  0  nothing at or above --fail-on, and every check ran
  1  at least one finding at or above --fail-on (default: investigate)
  2  nothing could run: bad flag, bad config, or no source reachable at all
  3  the run finished but some checks errored (1 wins when both apply)`;


function addReviewOptions(command: Command, defaultSince: string): Command {
  return addTargetOptions(addReportOptions(addWindowOptions(command, defaultSince)));
}

/**
 * The review window, the same on every command: --since and --until, each an ISO-8601 time or a duration. No
 * commander default for --since, so a command can tell "not given" (a whole log file) from the cadence's span.
 */
function addWindowOptions(command: Command, defaultSince: string, sinceMeaning = 'start of the window'): Command {
  return command
    .option('--since <when>', `${sinceMeaning}: an ISO-8601 time or a duration back from --until (default: ${defaultSince})`)
    .option('--until <when>', 'end of the window: an ISO-8601 time or a duration back from now (default: now)');
}

/** How a report is written and what makes the exit code 1. */
function addReportOptions(command: Command): Command {
  return command
    .addOption(new Option('--format <format>', 'report format').choices([...FORMATS]).default('table'))
    .option('-o, --output <file>', 'write the report to FILE (the table still goes to the terminal)')
    .addOption(new Option('--fail-on <status>', 'lowest status that makes the exit code 1').choices([...FAIL_ON]).default('investigate'));
}

/** Alarm plan: a webhook when the worst status reaches a level. */
function addNotifyOptions(command: Command): Command {
  return command
    .option('--notify <url>', 'POST a JSON summary (with a Slack-compatible text) to URL when the worst status reaches --notify-on')
    .addOption(new Option('--notify-on <status>', 'lowest status that sends the notification').choices(['monitor', 'investigate']).default('investigate'));
}

/** How to reach the databases and AWS: every command that reviews a target takes these. */
function addTargetOptions(command: Command): Command {
  return command
    .option('-c, --config <file>', 'YAML or JSON config: targets, thresholds per check id, allow-lists')
    .option('--database-url <url>', 'PostgreSQL URL (default: libpq environment PGHOST, PGUSER, PGPASSWORD, PGSSLMODE, ~/.pgpass)')
    .option('--rds-instance <id>', 'RDS DB instance identifier, for the AWS checks')
    .option('--region <region>', 'AWS region (default: AWS_REGION)')
    .option('--profile <profile>', 'AWS profile from ~/.aws/config')
    .option('--log-group <name>', 'CloudWatch log group (default: /aws/rds/instance/ID/postgresql)')
    .option('--log-file <path>', 'PostgreSQL log file (stderr, csvlog or jsonlog), plain or .gz, - for stdin (repeatable, oldest first); used instead of CloudWatch', collect, undefined)
    .addOption(new Option('--log-format <format>', 'the log format; auto looks at the first line').choices([...LOG_FORMATS]).default('auto'))
    .option('--log-line-prefix <prefix>', "the server's log_line_prefix for stderr logs (default: RDS's '%t:%r:%u@%d:[%p]:')")
    .option('--concurrency <n>', 'checks run at once (default 4)')
    .option('-q, --quiet', 'no progress and, with --output, no table on the terminal')
    .option('--no-color', 'no colours (NO_COLOR is honoured too)');
}

/** daily, weekly and monthly are the same command over a different cadence of checks. */
const REVIEWS = [
  {
    cadence: 'daily',
    since: '24h',
    description: "the runbook's daily checks: CloudWatch alarms, failed logins, connections, long queries, CloudTrail changes, CPU",
    examples: [
      'PGHOST=db.internal PGUSER=auditor dbsec daily --rds-instance prod-db --region eu-west-1',
      'dbsec daily --database-url postgres://auditor@localhost/app --log-file /var/log/postgresql/postgresql-15-main.log',
      "dbsec daily --config dbsec.yaml --format json | jq '.findings[] | select(.status==\"investigate\")'",
      '15 7 * * * dbsec daily -c /etc/dbsec.yaml --format markdown -o /var/log/dbsec/daily-$(date +\\%F).md --quiet',
      'dbsec daily -c dbsec.yaml --since 2026-11-20T18:00:00Z --until 2026-11-21T06:00:00Z    # the night of an incident',
    ],
  },
  {
    cadence: 'weekly',
    since: '7d',
    description: "the runbook's weekly review: users, table privileges, security groups, query patterns, DDL in the logs, backups",
    examples: [
      'dbsec weekly --database-url postgres://auditor@db.internal/app --rds-instance prod-db',
      'dbsec weekly -c dbsec.yaml --format markdown -o weekly-$(date +%F).md',
      'dbsec weekly -c dbsec.yaml --reset-stats --execute    # the runbook resets pg_stat_statements after the review',
    ],
    options: (command: Command) =>
      command
        .option('--reset-stats', 'after the review, reset pg_stat_statements (a dry run unless --execute)')
        .option('--execute', 'really carry out --reset-stats'),
  },
  {
    cadence: 'monthly',
    since: '30d',
    description: "the runbook's monthly audit: instance configuration, access control, network, encryption, logs, alarms, parameter drift and a compliance roll-up",
    examples: [
      'dbsec monthly --rds-instance prod-db --region eu-west-1 --database-url postgres://auditor@prod-db.internal/app --format markdown -o audit-$(date +%Y-%m).md',
      'dbsec monthly -c dbsec.yaml --save-config audits/$(date +%Y-%m) --format json -o audits/$(date +%Y-%m)/monthly.json',
      "dbsec monthly -c dbsec.yaml --format json | jq '.findings[] | select(.checkId==\"monthly.compliance\")'",
    ],
    options: (command: Command) => command.option('--save-config <dir>', "save the instance's full configuration as DIR/rds-config-ID-YYYYMMDD.json"),
  },
] as const;

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function buildProgram(io: Io, setExit: (code: number) => void): Command {
  const program = new Command('dbsec')
    .description('Security review toolkit for PostgreSQL, self-hosted or on AWS RDS: the security runbook as commands.')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', `${EXIT_CODES}\n\nStart with: dbsec demo    (a real PostgreSQL and a local AWS endpoint, nothing to set up)`)
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .exitOverride();

  for (const review of REVIEWS) {
    const command = addNotifyOptions(addReviewOptions(program.command(review.cadence), review.since));
    ('options' in review ? review.options(command) : command)
      .description(review.description)
      .addHelpText('after', `\nExamples:\n${review.examples.map((e) => `  ${e}`).join('\n')}\n${WINDOW_HELP}\n${EXIT_CODES}`)
      .action(async (flags) => setExit(await (await import('./commands/review.js')).runReview(review.cadence, flags, io, VERSION)));
  }

  const report = program.command('report').description('reports auditors keep: the monthly compliance report');
  addTargetOptions(
    report
      .command('compliance')
      .description("the runbook's Monthly Compliance Report in Markdown: from a monthly run over the month, or offline from saved JSON reports")
      .option('--month <YYYY-MM>', 'the calendar month (UTC) to report on (default: the current month, up to now)')
      .option('--since <when>', 'report on [since, until] instead of a calendar month: an ISO-8601 time or a duration back from --until')
      .option('--until <when>', 'with --since: the end of the period, an ISO-8601 time or a duration back from now (default: now)')
      .option('--from <files...>', 'build the report from saved JSON reports (--format json output) instead of running checks')
      .option('-o, --output <file>', 'write the Markdown to FILE'),
  )
    .addHelpText(
      'after',
      `\nExamples:\n  dbsec report compliance -c dbsec.yaml --month 2026-10 -o compliance-2026-10.md\n  dbsec report compliance --month 2026-10 --from reports/daily-*.json reports/weekly-*.json reports/monthly-2026-10.json\n  dbsec report compliance -c dbsec.yaml --since 2026-10-15T00:00:00Z --until 2026-11-15T00:00:00Z\n${WINDOW_HELP}\n\nExit codes: 0 the report was written; 2 bad input (a flag, a config, an unreadable or foreign --from file).`,
    )
    .action(async (flags) => setExit(await (await import('./commands/report.js')).complianceReport(flags, io, VERSION)));

  addNotifyOptions(addTargetOptions(
    program
      .command('activity')
      .description("database activity monitoring over the server's own logs: every statement classified with PostgreSQL's parser into the eleven use cases, alerts by rules")
      .option('--since <when>', 'start of the window: an ISO-8601 time or a duration back from --until (default: CloudWatch 24h, files whole)')
      .option('--until <when>', 'end of the window: an ISO-8601 time or a duration back from now (default: now; not with --follow)')
      .addOption(new Option('--format <format>', 'report format; jsonl is one event per line for a SIEM').choices([...FORMATS, 'jsonl']).default('table'))
      .option('-o, --output <file>', 'write the report to FILE (the table still goes to the terminal)')
      .addOption(new Option('--fail-on <status>', 'lowest alert status that makes the exit code 1').choices([...FAIL_ON]).default('investigate'))
      .option('--events', 'list every classified event, not only alerts')
      .option('--follow', 'keep reading: new lines of the files (rotation too) or new CloudWatch events; Ctrl-C prints the summary'),
  ))
    .addHelpText(
      'after',
      `\nExamples:\n  dbsec activity --log-file /var/log/postgresql/postgresql-15-main.log --log-line-prefix '%m [%p] %q%u@%d '\n  dbsec activity --rds-instance prod-db --since 24h --format markdown -o activity-$(date +%F).md\n  dbsec activity --log-file /var/log/postgresql/postgresql.csv --follow --format jsonl | your-siem-shipper\n  zcat postgresql.log.1.gz | dbsec activity --log-file - --events\n  dbsec activity --log-file postgresql.log --since 2026-11-20T22:00:00Z --until 2026-11-21T02:00:00Z\n${WINDOW_HELP}\n${EXIT_CODES}`,
    )
    .action(async (flags) => setExit(await (await import('./commands/activity.js')).activity(flags, io, VERSION)));

  const baseline = program.command('baseline').description('integrity fingerprints of the security-relevant catalog: capture one, diff the database against it');
  addTargetOptions(
    baseline
      .command('capture')
      .description('write a canonical, hashed JSON snapshot: functions (SHA-256 of each body), triggers, roles, memberships, grants, default privileges, extensions, settings, pg_hba rules, RLS policies, RDS parameters')
      .requiredOption('--out <file>', 'where to write the baseline (stable and sorted: it can live in git)')
      .option('--sign-key-env <var>', 'add an HMAC-SHA-256 with the key in environment variable VAR, so a forged baseline is detected'),
  )
    .addHelpText('after', `\nExamples:\n  dbsec baseline capture --database-url postgres://auditor@db/app --out baselines/app-$(date +%F).json\n  DBSEC_BASELINE_KEY=… dbsec baseline capture -c dbsec.yaml --out app.json --sign-key-env DBSEC_BASELINE_KEY`)
    .action(async (flags) => setExit(await (await import('./commands/baseline.js')).captureCommand(flags, io)));
  addTargetOptions(addReportOptions(
    baseline
      .command('diff')
      .description('compare the live database (or a second baseline, offline) with a baseline: each difference is a finding with before and after')
      .argument('<baseline>', 'a file written by baseline capture')
      .argument('[other]', 'a second baseline: compare the two files, no database needed')
      .option('--sign-key-env <var>', 'require a valid HMAC-SHA-256 made with the key in environment variable VAR'),
  ))
    .addHelpText('after', `\nExamples:\n  dbsec baseline diff baselines/app-2026-11-01.json --database-url postgres://auditor@db/app\n  dbsec baseline diff before-incident.json after-incident.json --format markdown -o changes.md\n${EXIT_CODES}`)
    .action(async (file, other, flags) => setExit(await (await import('./commands/baseline.js')).diffCommand(file, other, flags, io, VERSION)));

  addTargetOptions(
    addReportOptions(
      program
        .command('config')
        .description("review a server's configuration against a security baseline (CIS-anchored for PostgreSQL; TDengine's taos.cfg, taosadapter.toml, taoskeeper.toml)")
        .addOption(new Option('--engine <engine>', 'what to review').choices(['postgresql', 'tdengine']).default('postgresql'))
        .option('--baseline <file>', 'your own baseline (YAML); start from --print-baseline')
        .option('--file <path>', 'a TDengine configuration file (repeatable)', collect, undefined)
        .option('--print-baseline', 'print the baseline in use and exit, to copy and change'),
    ),
  )
    .addHelpText(
      'after',
      `\nExamples:\n  dbsec config --database-url postgres://auditor@db/app\n  dbsec config --print-baseline > my-baseline.yaml && dbsec config --baseline my-baseline.yaml --format json\n  dbsec config --engine tdengine --file /etc/taos/taos.cfg --file /etc/taos/taosadapter.toml --file /etc/taos/taoskeeper.toml\n${EXIT_CODES}`,
    )
    .action(async (flags) => setExit(await (await import('./commands/config-review.js')).configReview(flags, io, VERSION)));

  addNotifyOptions(
    addReviewOptions(
      program
        .command('respond')
        .description("the runbook's alert response: investigate high-connections, failed-auth or high-cpu, propose containment, and with --execute terminate the selected sessions")
        .addArgument(new Argument('<alert>', 'the alert that fired').choices(['high-connections', 'failed-auth', 'high-cpu']))
        .option('--client-addr <addr>', 'select the sessions from this client address')
        .option('--user <role>', 'select the sessions of this role')
        .option('--pid <pids...>', 'select these backend pids')
        .option('--include-superusers', "also terminate superusers' sessions (left alone by default)")
        .option('--execute', 'terminate the selected sessions (after confirmation on a terminal)')
        .option('-y, --yes', 'confirm without asking (scripts)')
        .option('--action-log <file>', 'append every action taken to this JSON-lines file', 'dbsec-actions.jsonl'),
      '1h',
    ),
  )
    .addHelpText(
      'after',
      `\nExamples:\n  dbsec respond high-connections --database-url postgres://admin@db/app\n  dbsec respond failed-auth --rds-instance prod-db --since 1h\n  dbsec respond high-connections --client-addr 203.0.113.9 --execute      # asks before terminating\n  dbsec respond high-cpu --pid 4242 --execute --yes --action-log /var/log/dbsec/actions.jsonl\n${EXIT_CODES}`,
    )
    .action(async (alert, flags) => setExit(await (await import('./commands/respond.js')).respond(alert, flags, io, VERSION)));

  const incident = program.command('incident').description("the runbook's incident response: preserve evidence, contain, report, verify");
  addTargetOptions(
    incident
      .command('start')
      .description('preserve the evidence: sessions, the logs of the window, a catalog baseline, CloudTrail RDS events, the instance configuration; with --execute a manual RDS snapshot')
      .requiredOption('--id <id>', 'the incident id')
      .requiredOption('--out <dir>', 'a new directory for the evidence (sealed with MANIFEST.sha256)')
      .addOption(new Option('--severity <level>', 'incident severity').choices(['critical', 'high', 'medium', 'low']).default('high'))
      .option('--since <when>', 'start of the log kept: an ISO-8601 time or a duration back from --until (default: 24h)')
      .option('--until <when>', 'end of the log and CloudTrail history kept: an ISO-8601 time or a duration back from now (default: now)')
      .option('--execute', 'also create the RDS snapshot incident-ID-YYYYMMDD-HHMMSS and wait until it is available')
      .option('--wait <seconds>', 'longest wait for the snapshot', '1800'),
  )
    .addHelpText('after', `\nExamples:\n  dbsec incident start --id INC-42 --severity critical --rds-instance prod-db --database-url postgres://admin@db/app --out incidents/INC-42 --execute\n\nExit codes: 0 all preserved; 3 some items missing (listed) or the snapshot failed; 2 nothing could be preserved or bad input.`)
    .action(async (flags) => setExit(await (await import('./commands/incident.js')).incidentStart(flags, io, VERSION)));
  addTargetOptions(
    incident
      .command('contain')
      .description('show, then with --execute apply, the containment dbsec can do safely: terminate sessions, ALTER ROLE … NOLOGIN, revoke a security group rule')
      .requiredOption('--id <id>', 'the incident id')
      .requiredOption('--dir <dir>', 'the evidence directory of incident start (the action log goes there)')
      .option('--user <role>', "terminate the role's sessions and set it NOLOGIN")
      .option('--client-addr <addr>', 'terminate the sessions from this address')
      .option('--revoke-cidr <cidr>', "revoke the instance's security group rules admitting this CIDR on the database port")
      .option('--execute', 'apply the steps (after confirmation on a terminal)')
      .option('-y, --yes', 'confirm without asking (scripts)'),
  )
    .addHelpText('after', `\nExamples:\n  dbsec incident contain --id INC-42 --dir incidents/INC-42 --user mallory --revoke-cidr 203.0.113.9/32 --rds-instance prod-db --database-url postgres://admin@db/app\n  dbsec incident contain --id INC-42 --dir incidents/INC-42 --user mallory --execute --yes --database-url postgres://admin@db/app`)
    .action(async (flags) => setExit(await (await import('./commands/incident.js')).incidentContain(flags, io)));
  incident
    .command('report')
    .description("write the incident report in Markdown: timeline, affected users, seed 001's checklist and the runbook's phases 2–5, with what dbsec verified")
    .requiredOption('--id <id>', 'the incident id')
    .requiredOption('--dir <dir>', 'the evidence directory of incident start')
    .option('-o, --output <file>', 'where to write it (default DIR/incident-report.md)')
    .addHelpText('after', `\nExamples:\n  dbsec incident report --id INC-42 --dir incidents/INC-42`)
    .action(async (flags) => setExit(await (await import('./commands/incident.js')).incidentReport(flags, io)));
  incident
    .command('verify')
    .description('re-hash the evidence against its MANIFEST.sha256 and report any change')
    .argument('<dir>', 'the evidence directory')
    .addHelpText('after', `\nExamples:\n  dbsec incident verify incidents/INC-42\n\nExit codes: 0 intact; 1 a file changed, is missing or was added; 2 no readable manifest.`)
    .action(async (dir) => setExit(await (await import('./commands/incident.js')).incidentVerify(dir, io)));

  addReportOptions(
    program
      .command('rotate-credentials')
      .description("the runbook's credential rotation through Secrets Manager: RotateSecret, wait for the new version, prove the new password connects and the old one no longer does")
      .requiredOption('--secret-id <id>', 'the Secrets Manager secret (name or ARN) holding the database credentials')
      .option('--region <region>', 'AWS region (default: AWS_REGION)')
      .option('--profile <profile>', 'AWS profile from ~/.aws/config')
      .option('--execute', 'rotate (without it: show what would happen)')
      .option('--wait <seconds>', 'longest wait for the new version to become AWSCURRENT', '300')
      .addOption(new Option('--sslmode <mode>', 'TLS for the verification logins').choices(['disable', 'require', 'verify-full']).default('require'))
      .option('-q, --quiet', 'no progress')
      .option('--no-color', 'no colours'),
  )
    .addHelpText('after', `\nExamples:\n  dbsec rotate-credentials --secret-id prod/app/db --region eu-west-1\n  dbsec rotate-credentials --secret-id prod/app/db --execute --format json\n${EXIT_CODES}`)
    .action(async (flags) => setExit(await (await import('./commands/rotate.js')).rotateCredentials(flags, io, VERSION)));

  const evidence = program.command('evidence').description('audit evidence: collect it with SHA-256 hashes, verify it later');
  addTargetOptions(
    evidence
      .command('collect')
      .description("write the runbook's audit evidence (instance configuration, security groups, KMS keys, CloudTrail RDS events, a log sample, roles and privileges) as files with a MANIFEST.sha256")
      .requiredOption('--out <dir>', 'a new directory for the evidence (never overwritten)')
      .option('--until <when>', 'end of the CloudTrail history and log sample: an ISO-8601 time or a duration back from now (default: now)')
      .option('--trail-days <n>', 'days of CloudTrail RDS events', '90')
      .option('--log-days <n>', 'days the log sample is taken from', '30')
      .option('--max-items <n>', 'at most this many CloudTrail events and log lines', '1000'),
  )
    .addHelpText(
      'after',
      `\nExamples:\n  dbsec evidence collect --rds-instance prod-db --region eu-west-1 --database-url postgres://auditor@prod-db.internal/app --out evidence/$(date +%F)\n  sha256sum -c evidence/2026-11-22/MANIFEST.sha256    # the manifest is in sha256sum's format\n\nExit codes: 0 everything collected; 3 some items missing (listed, the rest kept); 2 nothing could be collected or bad input.`,
    )
    .action(async (flags) => setExit(await (await import('./commands/evidence.js')).collectEvidence(flags, io, VERSION)));
  evidence
    .command('verify')
    .description('re-hash the files of an evidence directory against its MANIFEST.sha256: changed, missing and added files')
    .argument('<dir>', 'the directory evidence collect wrote')
    .addHelpText('after', `\nExamples:\n  dbsec evidence verify evidence/2026-11-22\n\nExit codes: 0 every file matches; 1 a file changed, is missing or was added; 2 no readable manifest.`)
    .action(async (dir) => setExit(await (await import('./commands/evidence.js')).verifyEvidence(dir, io)));

  program
    .command('checks')
    .description('list every check: id, cadence, sources, runbook step, default thresholds')
    .addOption(new Option('--format <format>', 'output format').choices([...FORMATS]).default('table'))
    .addHelpText('after', `\nExamples:\n  dbsec checks\n  dbsec checks --format json | jq -r '.[].id'`)
    .action(async (flags) => setExit((await import('./commands/checks.js')).listChecks(flags, io)));

  program
    .command('demo')
    .description('run dbsec daily (or weekly, monthly, activity) against a real PostgreSQL it starts and a local AWS endpoint serving recorded data')
    .addOption(new Option('--format <format>', 'report format').choices([...FORMATS]).default('table'))
    .option('--no-color', 'no colours')
    .addOption(new Option('--command <command>', 'which review to run against the sandbox').choices(['daily', 'weekly', 'monthly', 'activity']).default('daily'))
    .option('--serve', 'keep the sandbox running and print the environment to point dbsec at it (Ctrl-C stops)')
    .addHelpText('after', `\nExamples:\n  dbsec demo\n  dbsec demo --command weekly --format markdown > weekly-demo.md\n  dbsec demo --command activity\n  dbsec demo --serve`)
    .action(async (flags) => setExit(await (await import('./commands/demo.js')).demo(flags, io, VERSION)));

  return program;
}

/** Runs the CLI and returns the exit code; only bin/dbsec sets process.exitCode. */
export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  let code: number = EXIT.clean;
  const program = buildProgram(io, (c) => (code = c));
  try {
    await program.parseAsync(argv);
    return code;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.clean : EXIT.unusable;
    if (err instanceof DbsecError) {
      io.stderr.write(`dbsec: ${redactSecrets(err.message)}\n`);
      return err.exitCode;
    }
    io.stderr.write(`dbsec: unexpected failure: ${redactSecrets(messageOf(err))} (DBSEC_DEBUG=1 shows details)\n`);
    if (io.env.DBSEC_DEBUG) io.stderr.write(`${(err as Error).stack ?? ''}\n`);
    return EXIT.unusable;
  }
}
