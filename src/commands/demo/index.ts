import { Option, type Command } from 'commander';
import { FORMATS } from '../../reports/formats.js';
import { examples, type CommandContext } from '../shared/options.js';

export function define(program: Command, { io, setExit, version }: CommandContext): void {
  program
    .command('demo')
    .description('run dbsec daily (or weekly, monthly, activity) against a real PostgreSQL it starts and a local AWS endpoint serving recorded data')
    .addOption(new Option('--format <format>', 'report format').choices([...FORMATS]).default('table'))
    .option('--no-color', 'no colours')
    .addOption(new Option('--command <command>', 'which review to run against the sandbox').choices(['daily', 'weekly', 'monthly', 'activity']).default('daily'))
    .option('--serve', 'keep the sandbox running and print the environment to point dbsec at it (Ctrl-C stops)')
    .addHelpText('after', examples(['dbsec demo', 'dbsec demo --command weekly --format markdown > weekly-demo.md', 'dbsec demo --command activity', 'dbsec demo --serve']))
    .action(async (flags) => setExit(await (await import('./run.js')).demo(flags, io, version)));
}
