import { reportExit } from '../../compare.js';
import { TargetContext } from '../../context.js';
import { DbsecError, messageOf } from '../../errors.js';
import type { Io } from '../../io.js';
import { keyFromEnv } from '../shared/keys.js';
import { readJsonFile } from '../shared/json-file.js';
import { makeReport, namedTarget, type Report } from '../../report.js';
import { makeFinding } from '../../finding.js';
import type { FailOn } from '../../status.js';
import { rdsParameters } from '../../sources/parameters.js';
import { captureBaseline, verifyBaseline, type Baseline } from '../../baseline/capture.js';
import { diffBaselines } from '../../baseline/diff.js';
import type { FindingDraft } from '../../checks/types.js';
import { contextDeps, singleTarget } from '../shared/targets.js';
import { emitReport, writeAtomically } from '../shared/emit.js';
import type { TargetFlags } from '../shared/flags.js';
import type { Format } from '../../reports/index.js';

export interface BaselineFlags extends TargetFlags {
  signKeyEnv?: string;
  format: Format;
  output?: string;
  failOn: FailOn;
  quiet?: boolean;
  color?: boolean;
}

const REMEDIATION =
  'Match each difference to a deployment or change ticket; restore what nobody changed on purpose (the function body from source control, REVOKE the grant, ALTER ROLE … NOSUPERUSER, ALTER SYSTEM RESET), then capture a new baseline once the state is the one you want.';
const RUNBOOK = 'Seed 001: integrity after an incident (checksums, not dates and sizes)';

/** dbsec baseline capture -o FILE */
export async function captureCommand(flags: BaselineFlags, io: Io): Promise<number> {
  if (!flags.output) throw new DbsecError('Pass -o FILE for the baseline.');
  const baseline = await live(flags, io);
  await writeAtomically(flags.output, `${JSON.stringify(baseline, null, 2)}\n`, '-o/--output');
  const c = baseline.content;
  const counts = [`${Object.keys(c.functions).length} functions`, `${Object.keys(c.roles).length} roles`, `${Object.keys(c.acls).length} grants`, `${Object.keys(c.settings).length} settings`, `${Object.keys(c.hbaRules).length} pg_hba rules`];
  io.stdout.write(`Baseline of ${baseline.server.database} (PostgreSQL ${baseline.server.version}) written to ${flags.output}: ${counts.join(', ')}; SHA-256 ${baseline.contentSha256}${baseline.hmacSha256 ? ', signed' : ''}.\n`);
  for (const note of baseline.notes) io.stderr.write(`dbsec: note: ${note}.\n`);
  return 0;
}

/** dbsec baseline diff FILE [FILE2]: the live database (or FILE2) against FILE. */
export async function diffCommand(file: string, other: string | undefined, flags: BaselineFlags, io: Io, version: string): Promise<number> {
  const key = keyFromEnv(flags.signKeyEnv, io);
  const before = verifyBaseline(await readJsonFile(file, 'baseline'), file, key);
  const after = other ? verifyBaseline(await readJsonFile(other, 'baseline'), other, key) : await live(flags, io);
  const warnings: string[] = [];
  if (Math.floor(before.server.versionNum / 10000) !== Math.floor(after.server.versionNum / 10000)) {
    warnings.push(`the baseline is from PostgreSQL ${before.server.version} and is compared with ${after.server.version}: built-in objects and settings may differ for that reason alone`);
  }
  if (!key && !before.hmacSha256) warnings.push(`${file} is not signed: its hash catches accidental edits, not a forger who rewrites the hash too (capture with --sign-key-env)`);
  for (const warning of warnings) io.stderr.write(`dbsec: warning: ${warning}.\n`);
  const drafts = diffBaselines(before.content, after.content);
  const target = other ?? after.server.database;
  const findings: FindingDraft[] = drafts.length
    ? drafts
    : [{ status: 'ok', resource: file, title: 'Nothing changed since the baseline', summary: `Compared ${Object.values(before.content).reduce((n, s) => n + Object.keys(s).length, 0)} catalog entries captured ${before.capturedAt}.${warnings.length ? ` Warning: ${warnings.join('; ')}.` : ''}`, value: 0 }];
  const report = toReport(findings, { version, command: 'baseline diff', target, from: before.capturedAt, to: after.capturedAt, now: io.now() });
  return reportExit(await emitReport(report, flags, io), flags);
}

async function live(flags: BaselineFlags, io: Io): Promise<Baseline> {
  const { target, config } = await singleTarget(flags, io, 'A baseline is of one database: pass --database-url (or PG* variables) instead of a config with several targets.');
  const now = io.now();
  const ctx = new TargetContext(target, { from: now, to: now }, now, contextDeps(config, io));
  try {
    const pg = await ctx.pg().catch((err) => {
      throw new DbsecError(messageOf(err));
    });
    let parameters: Record<string, string> | undefined;
    let rdsNote: string | undefined;
    if (target.rdsInstance) {
      try {
        const group = await rdsParameters(ctx);
        parameters = Object.fromEntries([...group.parameters].filter(([, p]) => p.value !== undefined).map(([name, p]) => [name, p.value!]));
      } catch (err) {
        rdsNote = `the RDS parameter group could not be read: ${messageOf(err).replace(/\.$/, '')}`;
      }
    }
    return await captureBaseline(pg, { now, rdsParameters: parameters, rdsNote, signKey: keyFromEnv(flags.signKeyEnv, io) });
  } finally {
    await ctx.close();
  }
}

function toReport(drafts: FindingDraft[], meta: { version: string; command: string; target: string; from: string; to: string; now: Date }): Report {
  const base = { checkId: 'baseline.diff', target: meta.target, remediation: REMEDIATION, runbook: RUNBOOK };
  const findings = drafts.map((draft) => makeFinding(draft, base));
  return makeReport({ version: meta.version, command: meta.command, startedAt: meta.now, finishedAt: meta.now, window: { from: new Date(meta.from), to: new Date(meta.to) }, targets: [namedTarget(meta.target)] }, findings);
}
