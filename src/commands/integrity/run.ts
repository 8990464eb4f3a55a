import { dirname, join } from 'node:path';
import { reportExit } from '../../compare.js';
import { TargetContext } from '../../context.js';
import { DbsecError, messageOf, SourceMissing } from '../../errors.js';
import { makeFinding } from '../../finding.js';
import type { Io } from '../../io.js';
import { hashTrees } from '../../integrity/files.js';
import { captureIntegrity, hashedDirs, locateInstallation, serverState, verifiedManifest, type Installation, type ServerState } from '../../integrity/manifest.js';
import { verifyPackages } from '../../integrity/packages.js';
import { fileFindings, packageFindings, serverFindings, type IntegrityDraft } from '../../integrity/verify.js';
import { counted } from '../../plural.js';
import { makeReport, namedTarget } from '../../report.js';
import type { FailOn } from '../../status.js';
import type { Format } from '../../reports/index.js';
import { emitReport, writeAtomically } from '../shared/emit.js';
import type { TargetFlags } from '../shared/flags.js';
import { readJsonFile } from '../shared/json-file.js';
import { keyFromEnv } from '../shared/keys.js';
import { contextDeps, singleTarget } from '../shared/targets.js';

export interface IntegrityFlags extends TargetFlags {
  config?: string;
  output?: string;
  pgConfig?: string;
  signKeyEnv?: string;
  format: Format;
  failOn: FailOn;
  quiet?: boolean;
  color?: boolean;
}

const RUNBOOK = 'Seed 001: examination of the database software for visible changes (a checksum method)';
const REMEDIATION: Record<IntegrityDraft['part'], string> = {
  files: 'Preserve the changed files as evidence (copy them off the server), then reinstall PostgreSQL from the vendor packages and compare again; if a change was a planned upgrade, capture a new manifest after it.',
  packages: 'Preserve the file, then reinstall its package (apt-get install --reinstall PACKAGE, dnf reinstall PACKAGE) and run integrity verify again.',
  server: 'Confirm each change against your change records; undo what nobody planned (ALTER SYSTEM RESET shared_preload_libraries and restart, DROP EXTENSION), then capture a new manifest.',
};

/** dbsec integrity capture -o FILE: the installation's files and the server's state, sealed. */
export async function integrityCapture(flags: IntegrityFlags, io: Io): Promise<number> {
  const { target, config } = await oneTarget(flags, io);
  const now = io.now();
  const installation = flags.pgConfig ? await locateInstallation(flags.pgConfig) : target.rdsInstance ? undefined : await locateInstallation('pg_config').catch(() => undefined);
  const ctx = new TargetContext(target, { from: now, to: now }, now, contextDeps(config, io));
  let server: ServerState | undefined;
  try {
    server = await liveServer(ctx);
  } finally {
    await ctx.close();
  }
  if (!installation && !server) throw new DbsecError('Nothing to capture: pass --pg-config with the installation\'s pg_config (self-hosted), or --database-url for the server\'s version and extensions (RDS).');
  if (installation && server && !installation.version.includes(` ${server.version.split(' ')[0]}`)) {
    throw new DbsecError(`${installation.pgConfig} is ${installation.version} but the server runs ${server.version}: pass --pg-config with the pg_config of the installation the server runs.`);
  }
  const manifest = await captureIntegrity({ installation, server, now, signKey: keyFromEnv(flags.signKeyEnv, io), signal: io.interruption?.('no manifest is written') });
  if (installation) {
    const verdict = await verifyPackages(hashedDirs(installation));
    const tampered = packageFindings(verdict, installationDirs(installation));
    // Sealing a changed installation would make the change the reference: say so while it can still be looked at.
    if (Array.isArray(tampered) && tampered.some((f) => f.status !== 'ok')) {
      io.stderr.write(`dbsec: warning: ${tampered.filter((f) => f.status !== 'ok').map((f) => f.title).join('; ')}. The manifest seals these files as they are now.\n`);
    }
  }
  await writeAtomically(flags.output!, `${JSON.stringify(manifest, null, 2)}\n`, '-o/--output');
  const files = manifest.content.files ? counted(Object.keys(manifest.content.files).length, 'file') : 'no files (no pg_config: the server only)';
  const serverPart = server ? `; PostgreSQL ${server.version}, ${counted(Object.keys(server.extensions).length, 'extension')}, shared_preload_libraries ${server.sharedPreloadLibraries.join(', ') || 'none'}` : '';
  io.stdout.write(`Integrity manifest written to ${flags.output}: ${files}${serverPart}; SHA-256 ${manifest.contentSha256}${manifest.hmacSha256 ? ', signed' : ''}.\n`);
  return 0;
}

/** dbsec integrity verify MANIFEST: files, packages and server against the manifest, as a report. */
export async function integrityVerify(file: string, flags: IntegrityFlags, io: Io, version: string): Promise<number> {
  const startedAt = io.now();
  const manifest = verifiedManifest(await readJsonFile(file, 'integrity manifest'), file, keyFromEnv(flags.signKeyEnv, io));
  const { target, config } = await oneTarget(flags, io);
  const drafts: Array<IntegrityDraft | { part: IntegrityDraft['part']; status: 'skipped' | 'error'; reason: string }> = [];
  const part = async (name: IntegrityDraft['part'], run: () => Promise<IntegrityDraft[] | { skipped: string }>) => {
    try {
      const result = await run();
      if (Array.isArray(result)) drafts.push(...result);
      else drafts.push({ part: name, status: 'skipped', reason: result.skipped });
    } catch (err) {
      drafts.push({ part: name, status: err instanceof SourceMissing ? 'skipped' : 'error', reason: messageOf(err) });
    }
  };
  const sealed = manifest.content.installation;
  // One pg_config run serves both file parts; when it fails, each part reports the failure as its error.
  const installation = sealed ? locateInstallation(flags.pgConfig ?? join(sealed.bindir, 'pg_config')) : undefined;
  installation?.catch(() => undefined);
  const noFiles = { skipped: 'the manifest holds no files (captured without pg_config, as on RDS)' };
  await part('files', async () => {
    if (!installation) return noFiles;
    const now = await installation;
    return fileFindings(manifest.content, await hashTrees(hashedDirs(now)), now);
  });
  await part('packages', async () => {
    if (!installation) return noFiles;
    const now = await installation;
    return packageFindings(await verifyPackages(hashedDirs(now)), installationDirs(now));
  });
  const ctx = new TargetContext(target, { from: startedAt, to: startedAt }, startedAt, contextDeps(config, io));
  try {
    await part('server', async () => {
      if (!manifest.content.server) return { skipped: 'the manifest holds no server state (captured without a database)' };
      const now = await liveServer(ctx);
      if (!now) throw new SourceMissing('no database configured: pass --database-url to compare the server');
      return serverFindings(manifest.content.server, now);
    });
  } finally {
    await ctx.close();
  }
  // Without a database the installation is what was reviewed: the report is named after it, not "target-1".
  const reviewed = target.name.startsWith('target-') && sealed ? `PostgreSQL in ${dirname(sealed.bindir)}` : target.name;
  const findings = drafts.map(({ part: name, ...draft }) =>
    makeFinding(
      'reason' in draft ? { status: draft.status, resource: null, title: `${name}: ${draft.status === 'skipped' ? 'skipped' : 'could not be checked'}`, summary: draft.reason } : draft,
      { checkId: `integrity.${name}`, target: reviewed, remediation: REMEDIATION[name], runbook: RUNBOOK },
    ),
  );
  const report = makeReport({ version, command: 'integrity verify', startedAt, finishedAt: io.now(), window: { from: new Date(manifest.capturedAt), to: startedAt }, targets: [namedTarget(reviewed)] }, findings);
  return reportExit(await emitReport(report, flags, io), flags);
}

/** The server's state, or undefined when no database is configured; an unreachable one is an error. */
async function liveServer(ctx: TargetContext): Promise<ServerState | undefined> {
  try {
    return await serverState(await ctx.pg());
  } catch (err) {
    if (err instanceof SourceMissing) return undefined;
    throw new DbsecError(messageOf(err));
  }
}

function oneTarget(flags: IntegrityFlags, io: Io) {
  return singleTarget(flags, io, 'An integrity manifest is of one server: pass --pg-config and --database-url instead of a config with several targets.');
}

function installationDirs(installation: Installation): string[] {
  return [installation.bindir, installation.pkglibdir, installation.sharedir];
}
