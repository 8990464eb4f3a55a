import { Option, type Command } from 'commander';
import { FORMATS } from '../../reports/formats.js';
import { examples, type CommandContext } from '../shared/options.js';

export function define(program: Command, { io, setExit }: CommandContext): void {
  program
    .command('checks')
    .description('list every check: id, cadence, sources, what time it sees, runbook step, default thresholds')
    .addOption(new Option('--format <format>', 'output format').choices([...FORMATS]).default('table'))
    .addHelpText('after', examples(['dbsec checks', "dbsec checks --format json | jq -r '.[].id'"]))
    .action(async (flags) => setExit((await import('./run.js')).listChecks(flags, io)));
}
