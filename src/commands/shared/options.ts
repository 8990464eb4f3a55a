import { Command, Option } from 'commander';
import { FORMATS } from '../../reports/formats.js';
import { LOG_FORMATS } from '../../sources/logs/record.js';
import { FAIL_ON } from '../../status.js';
import { MIN_STATUSES } from '../../reports/visibility.js';
import type { Io } from '../../io.js';

/**
 * The option builders every command takes its flags from: one name per concept (-o/--output for every file or
 * directory written, --since/--until for every window), the same help text and defaults everywhere. A command adds
 * only the groups it uses, so --help lists no flag it ignores.
 */

export const WINDOW_HELP = `
Time window:
  --since and --until take an ISO-8601 time (2026-11-20T00:00:00Z; no offset means UTC) or a duration
  (90m, 24h, 7d). --until's duration counts back from now, --since's back from --until: --until
  2026-11-21T06:00:00Z alone reviews the usual span ending then. Logs, CloudTrail and metrics are read
  for exactly [since, until]; checks of present state (sessions, catalogs, instance settings) say that
  they show the state at run time.`;

export const EXIT_CODES = `
Exit codes:
  0  nothing at or above --fail-on, and every check ran
  1  at least one finding at or above --fail-on (default: investigate)
  2  nothing could run: bad flag, bad config, or no source reachable at all
  3  the run finished but some checks errored (1 wins when both apply)
  130, 143  Ctrl-C or SIGTERM stopped a review or activity read: its running queries are cancelled
     on the server and the report so far is printed, marked "interrupted" (a second Ctrl-C quits at once)`;

function repeatable(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function add(command: Command, options: Option[]): Command {
  for (const option of options) command.addOption(option);
  return command;
}

/** How to reach the database and AWS. */
export function withConnection(command: Command): Command {
  return add(command, [
    new Option('-c, --config <file>', 'YAML or JSON config: targets, thresholds per check id, allow-lists'),
    new Option('--database-url <url>', "PostgreSQL URL or libpq keyword=value string ('host=db user=auditor dbname=app'); default: libpq environment PGHOST, PGUSER, PGPASSWORD, PGSSLMODE, ~/.pgpass"),
    new Option('--rds-instance <id>', 'RDS DB instance identifier, for the AWS checks'),
    new Option('--region <region>', 'AWS region (default: AWS_REGION)'),
    new Option('--profile <profile>', 'AWS profile from ~/.aws/config'),
  ]);
}

/** --all-instances: the fleet instead of named targets. */
export function withDiscovery(command: Command): Command {
  return add(command, [
    new Option('--all-instances', 'review every RDS for PostgreSQL and Aurora PostgreSQL instance found in --regions (filtered by --tag and --name), instead of named targets'),
    new Option('--regions <list>', 'with --all-instances: comma-separated regions, or all (the enabled regions of the account); default: --region, AWS_REGION or discovery.regions'),
    new Option('--tag <key=value>', 'with --all-instances: only instances carrying this tag (repeatable: all of them)').argParser(repeatable),
    new Option('--name <glob>', 'with --all-instances: only instances whose identifier matches (repeatable: any of them)').argParser(repeatable),
  ]);
}

/** Where the PostgreSQL log is and how it is written. */
export function withLogs(command: Command): Command {
  return add(command, [
    new Option('--log-group <name>', 'CloudWatch log group (default: /aws/rds/instance/ID/postgresql)'),
    new Option('--log-file <path>', 'PostgreSQL log file (stderr, csvlog or jsonlog), plain or .gz, - for stdin, or a quoted glob read oldest first (repeatable, oldest first); used instead of CloudWatch').argParser(repeatable),
    new Option('--log-format <format>', 'the log format; auto looks at the first line').choices([...LOG_FORMATS]).default('auto'),
    new Option('--log-line-prefix <prefix>', "the server's log_line_prefix for stderr logs (default: the server's setting or the known prefix that fits the log's first lines; RDS's for an RDS log group)"),
  ]);
}

/**
 * The window, the same on every command: no commander default for --since, so a command can tell "not given" (a
 * whole log file) from its usual span.
 */
export function withWindow(command: Command, defaultSince: string, sinceMeaning = 'start of the window'): Command {
  return add(command, [
    new Option('--since <when>', `${sinceMeaning}: an ISO-8601 time or a duration back from --until (default: ${defaultSince})`),
    new Option('--until <when>', 'end of the window: an ISO-8601 time or a duration back from now (default: now)'),
  ]);
}

/** The report's format, where it is written, and what makes the exit code 1. */
export function withReport(command: Command, formats: readonly string[] = FORMATS): Command {
  return add(command, [
    new Option('--format <format>', 'report format').choices([...formats]).default('table'),
    new Option('-o, --output <file>', 'write the report to FILE (the table still goes to the terminal)'),
    new Option('--fail-on <status>', 'lowest status that makes the exit code 1').choices([...FAIL_ON]).default('investigate'),
    new Option('-v, --verbose', 'the table shows every finding in full, ok and skipped too, with all evidence rows'),
    new Option('--compare <previous.json>', "mark each problem new, changed or unchanged against an earlier run's JSON report, and list the resolved ones"),
    new Option('--state <dir>', 'keep the last report of this command and targets in DIR and compare with it, as --compare does (DIR is made if missing)'),
    new Option('--fail-on-new', 'with --compare or --state: only problems the previous report did not have (or had with another status) make the exit code 1'),
    new Option('--security-hub', 'also send the findings to AWS Security Hub (BatchImportFindings, in batches of 100) in the account of the AWS credentials and --region'),
    new Option('--min-status <status>', 'the table and Markdown show only findings at or above STATUS (errors always); counts, JSON and the exit code stay whole').choices([...MIN_STATUSES]),
  ]);
}

/** Alarm plan: a webhook when the worst status reaches a level. */
export function withNotify(command: Command): Command {
  return add(command, [
    new Option('--notify <url>', 'POST a JSON summary (with a Slack-compatible text) to URL when the worst status reaches --notify-on'),
    new Option('--notify-on <status>', 'lowest status that sends the notification').choices(['monitor', 'investigate']).default('investigate'),
  ]);
}

/** Progress and colour on the terminal. */
export function withTerminal(command: Command): Command {
  return add(command, [new Option('-q, --quiet', 'no progress and, with --output, no table: one line only when the exit code is not 0'), new Option('--no-color', 'no colours (NO_COLOR is honoured too)')]);
}

/** The new directory a collecting command seals its evidence in: -o/--output, and --out of earlier versions. */
export function withEvidenceDir(command: Command, description: string): Command {
  return add(command, [new Option('-o, --output <dir>', description), deprecated('--out <dir>', '-o/--output')]);
}

/** A spelling kept from earlier versions: hidden from --help; using it prints one deprecation line. */
export function deprecated(flags: string, replacement: string): Option {
  return new Option(flags, `deprecated: use ${replacement}`).hideHelp();
}

/**
 * Moves the values of deprecated spellings onto their current names (`map` old key → [new key, how to convert]),
 * with one line each on stderr; both given is a usage error left to the new name.
 */
export function takeDeprecated<T extends Record<string, unknown>>(flags: T, io: Io, map: Record<string, { to: keyof T; spelled: string; as: string; convert?: (value: string) => unknown }>): T {
  for (const [old, { to, spelled, as, convert }] of Object.entries(map)) {
    const value = flags[old];
    if (value === undefined) continue;
    io.stderr.write(`dbsec: ${spelled} is deprecated and will go; use ${as}.\n`);
    if (flags[to] === undefined) (flags as Record<string, unknown>)[to as string] = convert ? convert(String(value)) : value;
    delete (flags as Record<string, unknown>)[old];
  }
  return flags;
}

/** "Examples:" and the extra help sections after a command's options. */
export function examples(lines: readonly string[], ...sections: string[]): string {
  return `\nExamples:\n${lines.map((line) => `  ${line}`).join('\n')}\n${sections.join('\n')}`;
}

/** What every command definition is handed: where it writes, how it reports its exit code, the version. */
export interface CommandContext {
  io: Io;
  setExit(code: number): void;
  version: string;
}
