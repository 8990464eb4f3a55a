import { Argument, type Command } from 'commander';
import { EXIT_CODES, WINDOW_HELP, examples, withConnection, withLogs, withNotify, withReport, withTerminal, withWindow, type CommandContext } from '../shared/options.js';

export function define(program: Command, { io, setExit, version }: CommandContext): void {
  withTerminal(withNotify(withReport(withLogs(withConnection(withWindow(program.command('respond'), '1h'))))))
    .description("the runbook's alert response: investigate high-connections, failed-auth or high-cpu, propose containment, and with --execute terminate the selected sessions")
    .addArgument(new Argument('<alert>', 'the alert that fired').choices(['high-connections', 'failed-auth', 'high-cpu']))
    .option('--client-addr <addr>', 'select the sessions from this client address')
    .option('--user <role>', 'select the sessions of this role')
    .option('--pid <pids...>', 'select these backend pids')
    .option('--include-superusers', "also terminate superusers' sessions (left alone by default)")
    .option('--execute', 'terminate the selected sessions (after confirmation on a terminal)')
    .option('-y, --yes', 'confirm without asking (scripts)')
    .option('--action-log <file>', 'append every action taken to this JSON-lines file', 'dbsec-actions.jsonl')
    .addHelpText(
      'after',
      examples(
        [
          'dbsec respond high-connections --database-url postgres://admin@db/app',
          'dbsec respond failed-auth --rds-instance prod-db --since 1h',
          'dbsec respond high-connections --client-addr 203.0.113.9 --execute      # asks before terminating',
          'dbsec respond high-cpu --pid 4242 --execute --yes --action-log /var/log/dbsec/actions.jsonl',
        ],
        WINDOW_HELP,
        EXIT_CODES,
      ),
    )
    .action(async (alert, flags) => setExit(await (await import('./run.js')).respond(alert, flags, io, version)));
}
