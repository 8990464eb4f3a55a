import { Option, type Command } from 'commander';
import { examples, type CommandContext } from '../shared/options.js';

export function define(program: Command, { io, setExit }: CommandContext): void {
  const schedule = program
    .command('schedule')
    .description("the runbook's daily, weekly and monthly reviews (and activity --follow) as cron lines or systemd units, and whether each ran on time")
    .addOption(new Option('--cron', 'print crontab lines (the default)').conflicts('systemd'))
    .option('--systemd', 'print systemd service and timer units (and a service for activity --follow when --log-file or --rds-instance is given)')
    .option('-c, --config <file>', 'the config each run reads')
    .option('--state <dir>', 'where each run keeps its last report, for the next comparison and for schedule status', '/var/lib/dbsec')
    .option('--notify <url>', 'each run posts its findings to this webhook')
    .option('--fail-on <status>', 'passed to each review')
    .option('--bin <path>', 'the dbsec executable as the scheduler calls it', 'dbsec')
    .option('--user <name>', 'systemd: the account the services run as')
    .option('--log-file <path>', 'systemd: the log activity --follow reads')
    .option('--rds-instance <id>', 'systemd: the RDS instance whose log activity --follow reads')
    .addHelpText(
      'after',
      examples([
        'dbsec schedule --cron -c /etc/dbsec/dbsec.yaml --notify https://hooks.example.com/dbsec | crontab -',
        'dbsec schedule --systemd -c /etc/dbsec/dbsec.yaml --user dbsec --log-file /var/log/postgresql/postgresql.csv',
        'dbsec schedule status /var/lib/dbsec          # exit 1 when a review is overdue',
      ]),
    )
    .action(async (flags) => setExit(await (await import('./run.js')).printSchedule(flags, io)));
  schedule
    .command('status')
    .description('when each review last ran (from the reports --state keeps in DIR) and whether one is overdue')
    .argument('[dir]', 'the --state directory of the scheduled runs', '/var/lib/dbsec')
    .addHelpText('after', `${examples(['dbsec schedule status /var/lib/dbsec'])}\nExit codes: 0 every review ran on time; 1 one is overdue or never ran; 2 DIR cannot be read.`)
    .action(async (dir) => setExit(await (await import('./run.js')).scheduleStatusCommand(dir, io)));
}
