import type { Command } from 'commander';
import { examples, type CommandContext } from '../shared/options.js';

export function define(program: Command, { io, setExit }: CommandContext): void {
  program
    .command('verify-log')
    .description("check the hash chain of an alert log (activity --alert-log): changed, removed, inserted or reordered lines, named by line")
    .argument('<file>', 'the alert log activity --alert-log wrote')
    .option('--sign-key-env <var>', 'also check each line\'s HMAC-SHA-256 with the key in environment variable VAR (as it was written)')
    .addHelpText(
      'after',
      `${examples([
        'dbsec activity --log-file /var/log/postgresql/postgresql.csv --follow --alert-log /var/log/dbsec/alerts.jsonl --sign-key-env DBSEC_ALERT_KEY',
        'DBSEC_ALERT_KEY=… dbsec verify-log /var/log/dbsec/alerts.jsonl --sign-key-env DBSEC_ALERT_KEY',
      ])}\nKeep the last line's sequence number and hash (printed) somewhere else too: only they show lines cut from the end.\nExit codes: 0 the chain is intact; 1 a line breaks it; 2 the file cannot be read or the key is missing.`,
    )
    .action(async (file, flags) => setExit(await (await import('./run.js')).verifyLog(file, flags, io)));
}
