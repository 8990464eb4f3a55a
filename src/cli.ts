import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { loadModule } from 'libpg-query';
import { DbsecError, messageOf } from './errors.js';
import { processIo, type Io } from './io.js';
import { redactSecrets } from './redact.js';
import { EXIT } from './status.js';
import { EXIT_CODES, type CommandContext } from './commands/shared/options.js';
import * as review from './commands/review/index.js';
import * as report from './commands/report/index.js';
import * as activity from './commands/activity/index.js';
import * as baseline from './commands/baseline/index.js';
import * as config from './commands/config/index.js';
import * as respond from './commands/respond/index.js';
import * as incident from './commands/incident/index.js';
import * as rotate from './commands/rotate/index.js';
import * as evidence from './commands/evidence/index.js';
import * as checks from './commands/checks/index.js';
import * as demo from './commands/demo/index.js';
import * as verifyLog from './commands/verify-log/index.js';
import * as schedule from './commands/schedule/index.js';
import * as integrity from './commands/integrity/index.js';

const VERSION: string = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;

/** Every subcommand, in the order --help lists them; each declares its own options and loads its code when run. */
const COMMANDS = [review, report, activity, baseline, config, respond, incident, integrity, rotate, evidence, verifyLog, schedule, checks, demo];

/** The program: the wiring of the command modules, nothing else. */
export function buildProgram(io: Io, setExit: (code: number) => void): Command {
  const program = new Command('dbsec')
    .description('Security review toolkit for PostgreSQL, self-hosted or on AWS RDS: the security runbook as commands.')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', `${EXIT_CODES}\n\nStart with: dbsec demo    (a real PostgreSQL and a local AWS endpoint, nothing to set up)`)
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .exitOverride()
    // PostgreSQL's lexer redacts every output (redactSecrets); it is WebAssembly, loaded once before any command runs.
    .hook('preAction', () => loadModule());
  const context: CommandContext = { io, setExit, version: VERSION };
  for (const command of COMMANDS) command.define(program, context);
  return program;
}

/** Runs the CLI and returns the exit code; only bin/dbsec sets process.exitCode. */
export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  let code: number = EXIT.clean;
  const program = buildProgram(io, (c) => (code = c));
  try {
    await program.parseAsync(argv);
    const failure = await io.flush?.();
    if (failure) {
      io.stderr.write(`dbsec: cannot write to standard output: ${messageOf(failure)}; check where it goes (a full disk?).\n`);
      return EXIT.unusable;
    }
    return io.outputLost ? EXIT.unusable : code;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.clean : EXIT.unusable;
    if (err instanceof DbsecError) {
      io.stderr.write(`dbsec: ${redactSecrets(err.message)}\n`);
      return err.exitCode;
    }
    io.stderr.write(`dbsec: unexpected failure: ${redactSecrets(messageOf(err))} (DBSEC_DEBUG=1 shows details)\n`);
    if (io.env.DBSEC_DEBUG) io.stderr.write(`${(err as Error).stack ?? ''}\n`);
    return EXIT.unusable;
  }
}
