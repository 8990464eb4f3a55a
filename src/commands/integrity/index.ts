import type { Command } from 'commander';
import { EXIT_CODES, examples, withConnection, withReport, withTerminal, type CommandContext } from '../shared/options.js';

export function define(program: Command, { io, setExit, version }: CommandContext): void {
  const integrity = program.command('integrity').description("seed 001's examination of the database software: checksums of the PostgreSQL programs, libraries and extension files, the package manager's own verdict, and what the server loads");
  withConnection(integrity.command('capture'))
    .description('write a sealed manifest: the SHA-256 of every file in bindir, pkglibdir and sharedir/extension (from pg_config), and, with a database, the server version, shared_preload_libraries and extensions (all there is on RDS)')
    .requiredOption('-o, --output <file>', 'where to write the manifest (keep a copy off the server)')
    .option('--pg-config <path>', 'the pg_config of the installation the server runs (default: pg_config on PATH; none with --rds-instance)')
    .option('--sign-key-env <var>', 'add an HMAC-SHA-256 with the key in environment variable VAR, so a forged manifest is detected')
    .addHelpText(
      'after',
      `${examples([
        'dbsec integrity capture --pg-config /usr/lib/postgresql/15/bin/pg_config --database-url postgres://admin@/app -o /secure/pg-integrity.json',
        'DBSEC_INTEGRITY_KEY=… dbsec integrity capture --rds-instance prod-db --database-url postgres://auditor@prod-db…/app -o prod-db-integrity.json --sign-key-env DBSEC_INTEGRITY_KEY',
      ])}\nExit codes: 0 written; 2 bad input or nothing to capture (no pg_config and no database).`,
    )
    .action(async (flags) => setExit(await (await import('./run.js')).integrityCapture(flags, io)));
  withTerminal(withReport(withConnection(integrity.command('verify'))))
    .description("compare the installation and the server with a manifest (changed, missing and new files; a new library in pkglibdir is investigate), and check the files against the package manager's records (dpkg --verify, rpm -V)")
    .argument('<manifest>', 'a file written by integrity capture')
    .option('--pg-config <path>', 'the pg_config of the installation (default: the one the manifest was captured from)')
    .option('--sign-key-env <var>', 'require a valid HMAC-SHA-256 made with the key in environment variable VAR')
    .addHelpText(
      'after',
      examples(['dbsec integrity verify /secure/pg-integrity.json --database-url postgres://admin@/app', 'dbsec integrity verify prod-db-integrity.json --rds-instance prod-db --database-url postgres://auditor@prod-db…/app --format json'], EXIT_CODES),
    )
    .action(async (manifest, flags) => setExit(await (await import('./run.js')).integrityVerify(manifest, flags, io, version)));
}
