import { InvalidArgumentError, Option, type Command } from 'commander';
import { SEVERITIES } from '../../status.js';
import { FORMATS } from '../../reports/formats.js';
import { EXIT_CODES, WINDOW_HELP, examples, withConnection, withLogs, withNotify, withReport, withTerminal, withWindow, type CommandContext } from '../shared/options.js';

export function define(program: Command, { io, setExit, version }: CommandContext): void {
  withTerminal(withNotify(withReport(withLogs(withConnection(withWindow(program.command('activity'), 'CloudWatch 24h, files whole'))), [...FORMATS, 'jsonl'])))
    .description("database activity monitoring over the server's own logs: every statement classified with PostgreSQL's parser into the eleven use cases, alerts by rules")
    .option('--events', 'list every classified event, not only alerts')
    .addOption(new Option('--engine <engine>', "the database the log is from: postgresql, or tdengine (taosd's taosdlog.N and taosAdapter's log: failed logins, logins from unexpected addresses, refused operations, restarts)").choices(['postgresql', 'tdengine']).default('postgresql'))
    .addOption(new Option('--min-severity <level>', 'raise alerts only at this severity or above; the rest are recorded as events (config: activity.minSeverity)').choices(SEVERITIES))
    .addOption(new Option('--jobs <n>', 'threads reading one log file at once (1 to 8; default: one per core, up to 3, for a plain stderr file of 64 MB or more)').argParser(jobs))
    .option('--follow', 'keep reading: new lines of the files (rotation too) or new CloudWatch events; Ctrl-C prints the summary (not with --until)')
    .option('--alert-log <file>', 'append every alert to FILE as hash-chained JSON lines (each holds the SHA-256 of the line before; dbsec verify-log checks them)')
    .option('--sign-key-env <var>', 'with --alert-log: also sign each line with an HMAC-SHA-256, the key read from environment variable VAR')
    .addHelpText(
      'after',
      examples(
        [
          "dbsec activity --log-file /var/log/postgresql/postgresql-15-main.log --log-line-prefix '%m [%p] %q%u@%d '",
          'dbsec activity --rds-instance prod-db --since 24h --format markdown -o activity-$(date +%F).md',
          'dbsec activity --log-file postgresql.log --min-severity high',
          'dbsec activity --log-file /var/log/postgresql/postgresql-15-main.log.1 --jobs 4   # a large log, four threads',
          'dbsec activity --log-file /var/log/postgresql/postgresql.csv --follow --format jsonl | your-siem-shipper',
          'zcat postgresql.log.1.gz | dbsec activity --log-file - --events',
          'dbsec activity --log-file postgresql.log --since 2026-11-20T22:00:00Z --until 2026-11-21T02:00:00Z',
          'dbsec activity --log-file postgresql.csv --follow --alert-log alerts.jsonl --sign-key-env DBSEC_ALERT_KEY',
          "dbsec activity --engine tdengine --log-file /var/log/taos/taosdlog.0 --log-file '/var/log/taos/taosadapter_*.log' --events",
        ],
        '  (--format jsonl is one event per line for a SIEM)',
        WINDOW_HELP,
        EXIT_CODES,
      ),
    )
    .action(async (flags) => setExit(await (await import('./run.js')).activity(flags, io, version)));
}

function jobs(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 8) throw new InvalidArgumentError('give a whole number from 1 to 8.');
  return n;
}
