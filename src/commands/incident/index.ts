import { SEVERITIES } from '../../status.js';
import { Option, type Command } from 'commander';
import { DbsecError } from '../../errors.js';
import { WINDOW_HELP, deprecated, examples, takeDeprecated, withConnection, withEvidenceDir, withLogs, withTerminal, withWindow, type CommandContext } from '../shared/options.js';

/** contain and report name the evidence directory as their argument; --dir is the spelling of earlier versions. */
function evidenceDir<T extends { dir?: string }>(dir: string | undefined, flags: T, io: CommandContext['io']): T {
  if (flags.dir !== undefined) io.stderr.write('dbsec: --dir is deprecated and will go; name the directory as the argument.\n');
  const chosen = dir ?? flags.dir;
  if (!chosen) throw new DbsecError('Name the evidence directory that incident start wrote, e.g. dbsec incident report incidents/INC-42 --id INC-42.');
  return { ...flags, dir: chosen };
}

export function define(program: Command, { io, setExit, version }: CommandContext): void {
  const incident = program.command('incident').description("the runbook's incident response: preserve evidence, contain, report, verify");
  withEvidenceDir(withTerminal(withLogs(withConnection(withWindow(incident.command('start'), '24h', 'start of the log kept')))), 'a new directory for the evidence (sealed with MANIFEST.sha256)')
    .description('preserve the evidence: sessions, the logs of the window, a catalog baseline, CloudTrail RDS events, the instance configuration; with --execute a manual RDS snapshot')
    .requiredOption('--id <id>', 'the incident id')
    .addOption(new Option('--severity <level>', 'incident severity').choices(SEVERITIES.filter((level) => level !== 'info').reverse()).default('high'))
    .option('--execute', 'also create the RDS snapshot incident-ID-YYYYMMDD-HHMMSS and wait until it is available')
    .option('--wait <seconds>', 'longest wait for the snapshot', '1800')
    .addHelpText(
      'after',
      examples(
        ['dbsec incident start --id INC-42 --severity critical --rds-instance prod-db --database-url postgres://admin@db/app -o incidents/INC-42 --execute'],
        WINDOW_HELP,
        '\nExit codes: 0 all that applies preserved (AWS items on a self-hosted server are n/a); 3 some items missing (listed) or the snapshot failed; 2 nothing could be preserved or bad input.',
      ),
    )
    .action(async (flags) => setExit(await (await import('./run.js')).incidentStart(takeDeprecated(flags, io, { out: { to: 'output', spelled: '--out', as: '-o/--output' } }), io, version)));
  withConnection(incident.command('contain'))
    .description('show, then with --execute apply, the containment dbsec can do safely: terminate sessions, ALTER ROLE … NOLOGIN, revoke a security group rule')
    .argument('[dir]', 'the evidence directory of incident start (the action log goes there)')
    .requiredOption('--id <id>', 'the incident id')
    .addOption(deprecated('--dir <dir>', 'the directory as the argument'))
    .option('--user <role>', "terminate the role's sessions and set it NOLOGIN")
    .option('--client-addr <addr>', 'terminate the sessions from this address')
    .option('--revoke-cidr <cidr>', "revoke the instance's security group rules admitting this CIDR on the database port")
    .option('--execute', 'apply the steps (after confirmation on a terminal)')
    .option('-y, --yes', 'confirm without asking (scripts)')
    .addHelpText(
      'after',
      examples([
        'dbsec incident contain incidents/INC-42 --id INC-42 --user mallory --revoke-cidr 203.0.113.9/32 --rds-instance prod-db --database-url postgres://admin@db/app',
        'dbsec incident contain incidents/INC-42 --id INC-42 --user mallory --execute --yes --database-url postgres://admin@db/app',
      ]),
    )
    .action(async (dir, flags) => setExit(await (await import('./run.js')).incidentContain(evidenceDir(dir, flags, io), io)));
  incident
    .command('report')
    .description("write the incident report in Markdown: timeline, affected users, seed 001's checklist and the runbook's phases 2–5, with what dbsec verified")
    .argument('[dir]', 'the evidence directory of incident start')
    .requiredOption('--id <id>', 'the incident id')
    .addOption(deprecated('--dir <dir>', 'the directory as the argument'))
    .option('-o, --output <file>', 'where to write it (default DIR/incident-report.md)')
    .addHelpText('after', examples(['dbsec incident report incidents/INC-42 --id INC-42']))
    .action(async (dir, flags) => setExit(await (await import('./run.js')).incidentReport(evidenceDir(dir, flags, io), io)));
  incident
    .command('notify')
    .description("tell the affected users (seed 001: at once, then at regular intervals): post a message to the --notify webhook, recorded in the incident's action log and report")
    .argument('<dir>', 'the evidence directory of incident start (the action log goes there)')
    .requiredOption('--id <id>', 'the incident id')
    .requiredOption('--message <text>', 'what the users are told')
    .requiredOption('--notify <url>', 'the webhook that reaches them (Slack, Teams, a mail gateway)')
    .addHelpText(
      'after',
      `${examples([
        "dbsec incident notify incidents/INC-42 --id INC-42 --notify https://hooks.example.com/users --message 'The reporting database is being examined; reports may be late until 14:00 UTC.'",
        "0 */4 * * * dbsec incident notify incidents/INC-42 --id INC-42 --notify https://hooks.example.com/users --message 'Still under examination.'   # crontab: every 4 h",
      ])}\nExit codes: 0 sent and recorded; 2 the webhook refused it or the directory is not an incident's (recorded as failed when the log can be written).`,
    )
    .action(async (dir, flags) => setExit(await (await import('./run.js')).incidentNotify(dir, flags, io)));
  withConnection(incident.command('reset-passwords'))
    .description("seed 001: give the chosen login roles new random passwords (CSPRNG, set as SCRAM-SHA-256 verifiers) that expire after --valid-for, so each user must set their own; delivered only to the -o file (mode 0600) or to Secrets Manager, never to the terminal; recorded in the incident's action log")
    .argument('<dir>', 'the evidence directory of incident start (the action log goes there)')
    .requiredOption('--id <id>', 'the incident id')
    .requiredOption('--roles <glob...>', 'the login roles to reset (names or * globs; dbsec never resets its own login or RDS roles)')
    .option('-o, --output <file>', 'a new file for the passwords (role TAB password per line), created with mode 0600')
    .option('--secret-prefix <prefix>', 'instead of a file: one Secrets Manager secret per role, PREFIXrole (created or given a new version)')
    .option('--valid-for <duration>', 'how long the new passwords work: the time each user has to set their own', '24h')
    .option('--execute', 'set the passwords (after confirmation on a terminal)')
    .option('-y, --yes', 'confirm without asking (scripts)')
    .addHelpText(
      'after',
      `${examples([
        "dbsec incident reset-passwords incidents/INC-42 --id INC-42 --roles 'app_*' analyst -o /secure/INC-42-passwords.tsv --database-url postgres://admin@db/app",
        "dbsec incident reset-passwords incidents/INC-42 --id INC-42 --roles '*' --secret-prefix incident/INC-42/ --valid-for 8h --execute --yes --rds-instance prod-db --database-url postgres://admin@db/app",
      ])}\nExit codes: 0 dry run, or every password set; 3 some could not be set (listed); 2 bad input, or the passwords could not be delivered (then none is set).`,
    )
    .action(async (dir, flags) => setExit(await (await import('./passwords.js')).resetPasswords({ ...flags, dir }, io)));
  withConnection(incident.command('check-passwords'))
    .description('say which roles reset by reset-passwords have set their own password since (pg_authid as a superuser, else a login with each reset password from --passwords), and the statement that clears the reset deadline of those who have')
    .argument('<dir>', 'the evidence directory of incident start')
    .requiredOption('--id <id>', 'the incident id')
    .option('--passwords <file>', "the reset's -o file: without superuser (RDS), each reset password is tried by logging in")
    .addHelpText(
      'after',
      `${examples(['dbsec incident check-passwords incidents/INC-42 --id INC-42 --database-url postgres://admin@db/app', 'dbsec incident check-passwords incidents/INC-42 --id INC-42 --passwords /secure/INC-42-passwords.tsv --rds-instance prod-db'])}\nExit codes: 0 every user changed theirs; 1 some did not (listed); 3 some could not be told; 2 bad input.`,
    )
    .action(async (dir, flags) => setExit(await (await import('./passwords.js')).checkPasswords({ ...flags, dir }, io)));
  incident
    .command('verify')
    .description('re-hash the evidence against its MANIFEST.sha256 and report any change')
    .argument('<dir>', 'the evidence directory')
    .addHelpText('after', `${examples(['dbsec incident verify incidents/INC-42'])}\nExit codes: 0 intact; 1 a file changed, is missing or was added; 2 no readable manifest.`)
    .action(async (dir) => setExit(await (await import('./run.js')).incidentVerify(dir, io)));
}
