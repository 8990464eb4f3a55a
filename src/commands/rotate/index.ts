import { Option, type Command } from 'commander';
import { EXIT_CODES, examples, withReport, withTerminal, type CommandContext } from '../shared/options.js';

export function define(program: Command, { io, setExit, version }: CommandContext): void {
  withTerminal(withReport(program.command('rotate-credentials')))
    .description("the runbook's credential rotation through Secrets Manager: RotateSecret, wait for the new version, prove the new password connects and the old one no longer does")
    .requiredOption('--secret-id <id>', 'the Secrets Manager secret (name or ARN) holding the database credentials')
    .option('--region <region>', 'AWS region (default: AWS_REGION)')
    .option('--profile <profile>', 'AWS profile from ~/.aws/config')
    .option('--execute', 'rotate (without it: show what would happen)')
    .option('--wait <seconds>', 'longest wait for the new version to become AWSCURRENT', '300')
    .addOption(new Option('--sslmode <mode>', 'TLS for the verification logins').choices(['disable', 'require', 'verify-full']).default('require'))
    .addHelpText('after', examples(['dbsec rotate-credentials --secret-id prod/app/db --region eu-west-1', 'dbsec rotate-credentials --secret-id prod/app/db --execute --format json'], EXIT_CODES))
    .action(async (flags) => setExit(await (await import('./run.js')).rotateCredentials(flags, io, version)));
}
