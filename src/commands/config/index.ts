import { Option, type Command } from 'commander';
import { EXIT_CODES, examples, withConnection, withReport, withTerminal, type CommandContext } from '../shared/options.js';

export function define(program: Command, { io, setExit, version }: CommandContext): void {
  withTerminal(withReport(withConnection(program.command('config'))))
    .description("review a server's configuration against a security baseline (CIS-anchored for PostgreSQL; TDengine's taos.cfg, taosadapter.toml, taoskeeper.toml)")
    .addOption(new Option('--engine <engine>', 'what to review').choices(['postgresql', 'tdengine']).default('postgresql'))
    .option('--baseline <file>', 'your own baseline (YAML); start from --print-baseline')
    .option('--file <path>', 'a TDengine configuration file (repeatable)', (value: string, previous: string[] | undefined) => [...(previous ?? []), value], undefined)
    .option('--print-baseline', 'print the baseline in use and exit, to copy and change')
    .addHelpText(
      'after',
      examples(
        [
          'dbsec config --database-url postgres://auditor@db/app',
          'dbsec config --print-baseline > my-baseline.yaml && dbsec config --baseline my-baseline.yaml --format json',
          'dbsec config --engine tdengine --file /etc/taos/taos.cfg --file /etc/taos/taosadapter.toml --file /etc/taos/taoskeeper.toml',
        ],
        EXIT_CODES,
      ),
    )
    .action(async (flags) => setExit(await (await import('./run.js')).configReview(flags, io, version)));
}
