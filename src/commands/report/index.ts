import type { Command } from 'commander';
import { WINDOW_HELP, examples, withConnection, withLogs, withTerminal, type CommandContext } from '../shared/options.js';

export function define(program: Command, { io, setExit, version }: CommandContext): void {
  const report = program.command('report').description('reports auditors keep: the monthly compliance report');
  withTerminal(withLogs(withConnection(report.command('compliance'))))
    .description("the runbook's Monthly Compliance Report in Markdown: from a monthly run over the month, or offline from saved JSON reports")
    .option('--month <YYYY-MM>', 'the calendar month (UTC) to report on (default: the current month, up to now)')
    .option('--since <when>', 'report on [since, until] instead of a calendar month: an ISO-8601 time or a duration back from --until')
    .option('--until <when>', 'with --since: the end of the period, an ISO-8601 time or a duration back from now (default: now)')
    .option('--from <files...>', 'build the report from saved JSON reports (--format json output) instead of running checks')
    .option('-o, --output <file>', 'write the Markdown to FILE')
    .addHelpText(
      'after',
      examples(
        [
          'dbsec report compliance -c dbsec.yaml --month 2026-10 -o compliance-2026-10.md',
          'dbsec report compliance --month 2026-10 --from reports/daily-*.json reports/weekly-*.json reports/monthly-2026-10.json',
          'dbsec report compliance -c dbsec.yaml --since 2026-10-15T00:00:00Z --until 2026-11-15T00:00:00Z',
        ],
        WINDOW_HELP,
        '\nExit codes: 0 the report was written; 2 bad input (a flag, a config, an unreadable or foreign --from file).',
      ),
    )
    .action(async (flags) => setExit(await (await import('./run.js')).complianceReport(flags, io, version)));
}
