import type { Command } from 'commander';
import { WINDOW_HELP, deprecated, examples, takeDeprecated, withConnection, withEvidenceDir, withLogs, withTerminal, withWindow, type CommandContext } from '../shared/options.js';

const days = (value: string) => `${value}d`;

export function define(program: Command, { io, setExit, version }: CommandContext): void {
  const evidence = program.command('evidence').description('audit evidence: collect it with SHA-256 hashes, verify it later');
  withEvidenceDir(withTerminal(withLogs(withConnection(withWindow(evidence.command('collect'), '30d', 'start of the log sample')))), 'a new directory for the evidence (never overwritten)')
    .description("write the runbook's audit evidence (instance configuration, security groups, KMS keys, CloudTrail RDS events, a log sample, roles and privileges) as files with a MANIFEST.sha256")
    .option('--trail-since <when>', 'start of the CloudTrail RDS history kept: an ISO-8601 time or a duration back from --until (default: 90d)')
    .option('--max-items <n>', 'at most this many CloudTrail events and log lines', '1000')
    .addOption(deprecated('--trail-days <n>', '--trail-since Nd'))
    .addOption(deprecated('--log-days <n>', '--since Nd'))
    .addHelpText(
      'after',
      `${examples(
        [
          'dbsec evidence collect --rds-instance prod-db --region eu-west-1 --database-url postgres://auditor@prod-db.internal/app -o evidence/$(date +%F)',
          'sha256sum -c evidence/2026-11-22/MANIFEST.sha256    # the manifest is in sha256sum\'s format',
        ],
        WINDOW_HELP,
      )}\nExit codes: 0 everything that applies collected (AWS items on a self-hosted server are n/a); 3 some items missing (listed, the rest kept); 2 nothing could be collected or bad input.`,
    )
    .action(async (flags) =>
      setExit(
        await (await import('./run.js')).collectEvidence(
          takeDeprecated(flags, io, {
            out: { to: 'output', spelled: '--out', as: '-o/--output' },
            trailDays: { to: 'trailSince', spelled: '--trail-days N', as: '--trail-since Nd', convert: days },
            logDays: { to: 'since', spelled: '--log-days N', as: '--since Nd', convert: days },
          }),
          io,
          version,
        ),
      ),
    );
  evidence
    .command('verify')
    .description('re-hash the files of an evidence directory against its MANIFEST.sha256: changed, missing and added files')
    .argument('<dir>', 'the directory evidence collect wrote')
    .addHelpText('after', `${examples(['dbsec evidence verify evidence/2026-11-22'])}\nExit codes: 0 every file matches; 1 a file changed, is missing or was added; 2 no readable manifest.`)
    .action(async (dir) => setExit(await (await import('./run.js')).verifyEvidence(dir, io)));
}
