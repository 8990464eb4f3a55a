import { Command, Option } from 'commander';
import type { Cadence } from '../../checks/types.js';
import { EXIT_CODES, WINDOW_HELP, examples, type CommandContext, withConnection, withDiscovery, withLogs, withNotify, withReport, withTerminal, withWindow } from '../shared/options.js';

/** daily, weekly and monthly are the same command over a different cadence of checks. */
const REVIEWS: ReadonlyArray<{ cadence: Cadence; since: string; description: string; examples: string[]; options?: Option[] }> = [
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
      'dbsec daily -c dbsec.yaml --verbose    # every finding in full, ok and skipped ones too',
      'dbsec daily -c dbsec.yaml --format sarif -o dbsec.sarif --quiet || [ $? -eq 1 ]    # for GitHub code scanning',
      'dbsec daily -c dbsec.yaml --state /var/lib/dbsec --fail-on-new --min-status monitor    # only what is new fails; problems only',
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
      'dbsec weekly -c dbsec.yaml --format json -o weekly.json --compare last-weekly.json --fail-on-new    # CI: fail on what is new',
      'dbsec weekly -c dbsec.yaml --format junit -o dbsec-junit.xml --fail-on monitor    # a GitLab or Jenkins test report',
    ],
    options: [new Option('--reset-stats', 'after the review, reset pg_stat_statements (a dry run unless --execute)'), new Option('--execute', 'really carry out --reset-stats')],
  },
  {
    cadence: 'monthly',
    since: '30d',
    description: "the runbook's monthly audit: instance and Aurora cluster configuration, engine support and CA lifetimes, access control, network, encryption, logs, alarms, event notifications, parameter drift and a compliance roll-up",
    examples: [
      'dbsec monthly --rds-instance prod-db --region eu-west-1 --database-url postgres://auditor@prod-db.internal/app --format markdown -o audit-$(date +%Y-%m).md',
      'dbsec monthly -c dbsec.yaml --save-config audits/$(date +%Y-%m) --format json -o audits/$(date +%Y-%m)/monthly.json',
      "dbsec monthly -c dbsec.yaml --format json | jq '.findings[] | select(.checkId==\"monthly.compliance\")'",
      'dbsec monthly -c dbsec.yaml --format html -o audit-$(date +%Y-%m).html    # one self-contained page for the auditors',
      'dbsec monthly -c dbsec.yaml --format ocsf -o monthly.ocsf.jsonl --security-hub    # for a SIEM, and into Security Hub',
    ],
    options: [new Option('--save-config <dir>', "save the instance's full configuration as DIR/rds-config-ID-YYYYMMDD.json")],
  },
];

export function define(program: Command, { io, setExit, version }: CommandContext): void {
  for (const review of REVIEWS) {
    const command = withTerminal(withNotify(withReport(withDiscovery(withLogs(withConnection(withWindow(program.command(review.cadence), review.since)))))));
    command.option('--concurrency <n>', 'checks run at once (default 4)');
    command.option('--only <ids>', `run only the checks whose id matches one of these comma-separated globs (${review.cadence}.cpu,${review.cadence}.c*)`);
    command.option('--exclude <ids>', 'leave out the checks whose id matches one of these comma-separated globs');
    for (const option of review.options ?? []) command.addOption(option);
    command
      .description(review.description)
      .addHelpText('after', examples(review.examples, WINDOW_HELP, EXIT_CODES))
      .action(async (flags) => setExit(await (await import('./run.js')).runReview(review.cadence, flags, io, version)));
  }
}
