import type { Command } from 'commander';
import { EXIT_CODES, deprecated, examples, takeDeprecated, withConnection, withReport, withTerminal, type CommandContext } from '../shared/options.js';

export function define(program: Command, { io, setExit, version }: CommandContext): void {
  const baseline = program.command('baseline').description('integrity fingerprints of the security-relevant catalog: capture one, diff the database against it');
  withConnection(baseline.command('capture'))
    .description('write a canonical, hashed JSON snapshot: functions (SHA-256 of each body), triggers, roles, memberships, grants, default privileges, extensions, settings, pg_hba rules, RLS policies, RDS parameters')
    .option('-o, --output <file>', 'where to write the baseline (stable and sorted: it can live in git)')
    .addOption(deprecated('--out <file>', '-o/--output'))
    .option('--sign-key-env <var>', 'add an HMAC-SHA-256 with the key in environment variable VAR, so a forged baseline is detected')
    .addHelpText('after', examples(['dbsec baseline capture --database-url postgres://auditor@db/app -o baselines/app-$(date +%F).json', 'DBSEC_BASELINE_KEY=… dbsec baseline capture -c dbsec.yaml -o app.json --sign-key-env DBSEC_BASELINE_KEY']))
    .action(async (flags) => setExit(await (await import('./run.js')).captureCommand(takeDeprecated(flags, io, { out: { to: 'output', spelled: '--out', as: '-o/--output' } }), io)));
  withTerminal(withReport(withConnection(baseline.command('diff'))))
    .description('compare the live database (or a second baseline, offline) with a baseline: each difference is a finding with before and after')
    .argument('<baseline>', 'a file written by baseline capture')
    .argument('[other]', 'a second baseline: compare the two files, no database needed')
    .option('--sign-key-env <var>', 'require a valid HMAC-SHA-256 made with the key in environment variable VAR')
    .addHelpText('after', examples(['dbsec baseline diff baselines/app-2026-11-01.json --database-url postgres://auditor@db/app', 'dbsec baseline diff before-incident.json after-incident.json --format markdown -o changes.md'], EXIT_CODES))
    .action(async (file, other, flags) => setExit(await (await import('./run.js')).diffCommand(file, other, flags, io, version)));
}
