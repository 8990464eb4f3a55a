import { counted } from '../../plural.js';
import { escapeIdentifier } from 'pg';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { TargetContext, withTargetContext } from '../../context.js';
import { DbsecError, messageOf } from '../../errors.js';
import type { Io } from '../../io.js';
import { spinner } from '../../progress.js';
import { redactSecrets, safeText } from '../../redact.js';
import { EXIT, type Severity } from '../../status.js';
import { describeTarget } from '../../target.js';
import { md } from '../../reports/markdown.js';
import { activitySnapshot } from '../../sources/pg-activity.js';
import { instanceSecurityGroups } from '../../sources/security-groups.js';
import { awsCall } from '../../sources/aws.js';
import { captureBaseline } from '../../baseline/capture.js';
import { allCollected, anyCollected, collectItems, interruptedCollection, ON_INTERRUPT, stagedEvidenceDir, summaryOf, type Collected } from '../../evidence/collect.js';
import { EVIDENCE_ITEMS, type EvidenceItem } from '../../evidence/items.js';
import { MANIFEST, verdictOf, verifyManifest, writeManifest } from '../../evidence/manifest.js';
import { logAction, osUser, selectSessions, terminateSessions, type ActionLog } from '../../respond/containment.js';
import { reviewWindow } from '../../time.js';
import { CLOUDTRAIL_HISTORY_DAYS } from '../../sources/cloudtrail-history.js';
import { elapsedMs, type Clock } from '../../clock.js';
import { contextDeps, singleTarget } from '../shared/targets.js';
import type { TargetFlags } from '../shared/flags.js';
import { writeOutput } from '../shared/emit.js';
import { post, safeUrl } from '../../notify.js';
import catalogGrants from '../../checks/monthly/catalog-grants.js';
import type { FindingDraft } from '../../finding.js';

/** Written after the evidence was sealed; verify names them apart rather than as tampering. */
const AFTER_SEAL = ['actions.jsonl', 'incident-report.md'];

export interface IncidentFlags extends TargetFlags {
  config?: string;
  id: string;
  /** incident start: the new evidence directory; incident report: the report file. */
  output?: string;
  /** incident contain and report: the evidence directory of incident start. */
  dir?: string;
  severity?: Exclude<Severity, 'info'>;
  since?: string;
  until?: string;
  execute?: boolean;
  yes?: boolean;
  wait?: string;
  user?: string;
  clientAddr?: string;
  revokeCidr?: string;
  quiet?: boolean;
}

const INCIDENT_ITEMS: EvidenceItem[] = [
  {
    file: 'sessions.json',
    what: 'every session in pg_stat_activity (queries redacted)',
    collect: async (ctx) => ({ sessions: (await activitySnapshot(ctx)).backends.map((b) => ({ ...b, query: b.query === null ? null : redactSecrets(b.query) })) }),
  },
  { file: 'baseline.json', what: 'a baseline of the catalog (dbsec baseline diff can compare it later)', collect: async (ctx) => captureBaseline(await ctx.pg(), { now: ctx.now }) },
  {
    file: 'catalog-grants.json',
    what: "the system tables' grants against a fresh cluster's, with the statements that restore them (monthly.catalog-grants)",
    collect: async (ctx) => {
      const options = catalogGrants.options.parse({});
      return { findings: catalogGrants.evaluate(await catalogGrants.collect(ctx, options), options, ctx) };
    },
  },
  ...EVIDENCE_ITEMS,
];

/** dbsec incident start: preserve the evidence, sealed with MANIFEST.sha256; with --execute a manual RDS snapshot. */
export async function incidentStart(flags: IncidentFlags, io: Io, version: string): Promise<number> {
  const out = flags.output!;
  const { target, config } = await incidentTarget(flags, io);
  const now = io.now();
  const window = reviewWindow(flags, '24h', now);
  const signal = io.interruption?.(ON_INTERRUPT);
  const progress = !flags.quiet && io.stderr.isTTY ? await spinner(io.stderr as NodeJS.WriteStream, `incident ${flags.id}: preserving evidence`) : undefined;
  const preserve = async (staging: string) => {
    let snapshot: Snapshot = { status: 'none', message: 'interrupted before the snapshot' };
    const trailWindow = { from: new Date(window.to.getTime() - CLOUDTRAIL_HISTORY_DAYS * 86_400_000), to: window.to };
    const onItem = (file: string) => {
      if (progress) progress.text = `incident ${flags.id}: ${file}`;
    };
    const results = await withTargetContext(target, window, now, contextDeps(config, io), signal, async (ctx) => {
      try {
        const collected = await collectItems(staging, INCIDENT_ITEMS, ctx, { now, trailWindow, logWindow: window, maxItems: 100_000 }, onItem, signal);
        if (!signal?.aborted) {
          snapshot = await takeSnapshot(ctx, flags, { dir: staging, clock: io.now, signal }, (text) => {
            if (progress) progress.text = text;
          });
        }
        return collected;
      } finally {
        progress?.stop();
      }
    });
    // A snapshot already requested outlives the discarded evidence: the user must know it exists.
    if (signal?.aborted) throw interruptedCollection(signal, snapshot.status === 'requested' || snapshot.status === 'available' ? `; the RDS snapshot ${snapshot.id} was requested and stays` : '');
    if (anyCollected(results)) {
      const record = { incident: flags.id, severity: flags.severity ?? 'high', startedAt: now.toISOString(), by: osUser(), tool: { name: 'dbsec', version }, target: describeTarget(target), window: { from: window.from.toISOString(), to: window.to.toISOString() }, items: results, snapshot };
      await writeFile(join(staging, 'incident.json'), `${JSON.stringify(record, null, 2)}\n`, { flag: 'wx' });
      await writeManifest(staging, [...results.filter((r) => r.collected).map((r) => r.file), 'incident.json']);
    }
    return { results, snapshot };
  };
  const { result, kept } = await stagedEvidenceDir(out, '-o/--output', preserve, ({ results }) => anyCollected(results));
  io.stdout.write(summaryOf(out, target.name, result.results, kept));
  io.stdout.write(`  snapshot   ${safeText(String(result.snapshot.message))}\n`);
  if (!kept) return EXIT.unusable;
  return allCollected(result.results) && ['none', 'dry-run', 'available'].includes(result.snapshot.status) ? EXIT.clean : EXIT.checkErrors;
}

interface Snapshot {
  /** requested: created, but not seen available before the wait ended (or was interrupted). */
  status: 'none' | 'dry-run' | 'requested' | 'available' | 'failed';
  id?: string;
  message: string;
}

async function takeSnapshot(ctx: TargetContext, flags: IncidentFlags, run: { dir: string; clock: Clock; signal?: AbortSignal }, progress: (text: string) => void): Promise<Snapshot> {
  if (!ctx.target.rdsInstance) return { status: 'none', message: 'no RDS instance: no snapshot (take a filesystem backup or pg_basebackup by hand)' };
  const stamp = ctx.now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const id = `incident-${flags.id.replace(/[^A-Za-z0-9-]/g, '-')}-${stamp}`.slice(0, 255);
  if (!flags.execute) return { status: 'dry-run', id, message: `dry run: would create the RDS snapshot ${id} of ${ctx.target.rdsInstance}; add --execute` };
  try {
    const { sdk, client } = await ctx.aws().rds();
    await awsCall('rds:CreateDBSnapshot', () => client.send(new sdk.CreateDBSnapshotCommand({ DBInstanceIdentifier: ctx.target.rdsInstance, DBSnapshotIdentifier: id, Tags: [{ Key: 'dbsec-incident', Value: flags.id }] })));
    const started = run.clock();
    const timer = setInterval(() => progress(`waiting for snapshot ${id} to be available (${Math.round(elapsedMs(run.clock, started) / 1000)} s)`), 1000);
    try {
      const maxWaitTime = Number(flags.wait ?? 1800);
      const result = await sdk.waitUntilDBSnapshotAvailable({ client, maxWaitTime, minDelay: 1, maxDelay: 15, abortSignal: run.signal }, { DBSnapshotIdentifier: id });
      if (result.state !== 'SUCCESS') return { status: 'requested', id, message: `snapshot ${id} was not available after ${maxWaitTime} s (${result.state}); check it in the console` };
    } finally {
      clearInterval(timer);
    }
    await logAction({ path: join(run.dir, 'actions.jsonl'), command: `incident start ${flags.id}`, clock: run.clock }, { actor: { os: osUser(), database: '-' }, action: 'rds:CreateDBSnapshot', target: { instance: ctx.target.rdsInstance, snapshot: id }, result: 'available' });
    return { status: 'available', id, message: `snapshot ${id} is available` };
  } catch (err) {
    return { status: 'failed', id, message: `snapshot ${id} failed: ${messageOf(err)}` };
  }
}

/** dbsec incident contain: each containment step shown, then with --execute applied and logged. */
export async function incidentContain(flags: IncidentFlags, io: Io): Promise<number> {
  const dir = flags.dir!;
  await readIncident(dir, flags.id);
  const { target, config } = await incidentTarget(flags, io);
  const steps: string[] = [];
  if (flags.user) steps.push(`terminate the sessions of ${flags.user}`, `ALTER ROLE ${escapeIdentifier(flags.user)} NOLOGIN`);
  if (flags.clientAddr) steps.push(`terminate the sessions from ${flags.clientAddr}`);
  if (flags.revokeCidr) steps.push(`revoke the security group rules that admit ${flags.revokeCidr} on the database port`);
  if (steps.length === 0) throw new DbsecError('Say what to contain: --user ROLE (sessions and NOLOGIN), --client-addr ADDR (sessions), --revoke-cidr CIDR (security group).');
  io.stdout.write(`Containment for incident ${flags.id}:\n${steps.map((s) => `  - ${s}`).join('\n')}\n`);
  if (!flags.execute) {
    io.stdout.write('Dry run: add --execute to apply these steps.\n');
    return EXIT.clean;
  }
  if (!(await confirmed(flags, io, 'Apply these steps? [y/N] ', 'Containment changes the database and the network: confirm on a terminal, or pass --yes in scripts.'))) return EXIT.clean;
  const now = io.now();
  const ctx = new TargetContext(target, { from: now, to: now }, now, contextDeps(config, io));
  const log: ActionLog = { path: join(dir, 'actions.jsonl'), command: `incident contain ${flags.id}`, clock: io.now };
  const results: string[] = [];
  try {
    if (flags.user || flags.clientAddr) {
      const pg = await ctx.pg();
      const { chosen } = await selectSessions(pg, { user: flags.user, clientAddr: flags.clientAddr });
      const done = await terminateSessions(pg, chosen, log);
      results.push(`terminated ${done.filter((d) => d.result === 'terminated').length} of ${counted(chosen.length, 'session')}`);
      if (flags.user) results.push(await noLogin(ctx, flags, log));
    }
    if (flags.revokeCidr) results.push(await revokeCidr(ctx, flags, log));
  } finally {
    await ctx.close();
  }
  io.stdout.write(`${results.map((r) => `  ${safeText(r)}`).join('\n')}\nEach step is logged in ${log.path}.\n`);
  return results.some((r) => r.includes('failed')) ? EXIT.checkErrors : EXIT.clean;
}

async function noLogin(ctx: TargetContext, flags: IncidentFlags, log: ActionLog): Promise<string> {
  const pg = await ctx.pg();
  let result: string;
  try {
    // dbsec's sessions are read-only by default: this one statement runs in an explicit read-write transaction.
    await pg.query(`BEGIN READ WRITE; ALTER ROLE ${escapeIdentifier(flags.user!)} NOLOGIN; COMMIT`);
    result = `${flags.user} can no longer log in (NOLOGIN)`;
  } catch (err) {
    await pg.query('ROLLBACK').catch(() => undefined);
    result = `NOLOGIN for ${flags.user} failed: ${messageOf(err)}`;
  }
  await logAction(log, { actor: { os: osUser(), database: '-' }, action: 'ALTER ROLE NOLOGIN', target: { role: flags.user }, result });
  return result;
}

async function revokeCidr(ctx: TargetContext, flags: IncidentFlags, log: ActionLog): Promise<string> {
  try {
    const { port, groups } = await instanceSecurityGroups(ctx);
    const { sdk, client } = await ctx.aws().ec2();
    let revoked = 0;
    for (const group of groups) {
      for (const permission of group.IpPermissions ?? []) {
        const covers = permission.IpProtocol === '-1' || ((permission.FromPort ?? 0) <= port && port <= (permission.ToPort ?? 65535));
        if (!covers || !(permission.IpRanges ?? []).some((r) => r.CidrIp === flags.revokeCidr)) continue;
        await awsCall('ec2:RevokeSecurityGroupIngress', () =>
          client.send(new sdk.RevokeSecurityGroupIngressCommand({ GroupId: group.GroupId, IpPermissions: [{ IpProtocol: permission.IpProtocol, FromPort: permission.FromPort, ToPort: permission.ToPort, IpRanges: [{ CidrIp: flags.revokeCidr }] }] })),
        );
        revoked++;
        await logAction(log, { actor: { os: osUser(), database: '-' }, action: 'ec2:RevokeSecurityGroupIngress', target: { group: group.GroupId, cidr: flags.revokeCidr, port }, result: 'revoked' });
      }
    }
    return revoked ? `revoked ${revoked} security group rule${revoked === 1 ? '' : 's'} admitting ${flags.revokeCidr}` : `no security group rule admits ${flags.revokeCidr} on port ${port}: nothing to revoke`;
  } catch (err) {
    return `revoking ${flags.revokeCidr} failed: ${messageOf(err)}`;
  }
}

/** dbsec incident verify: the evidence re-hashed; files written after the seal are named apart. */
export async function incidentVerify(dir: string, io: Io): Promise<number> {
  const { clean, lines } = verdictOf(await verifyManifest(dir), dir, AFTER_SEAL);
  io.stdout.write(`${lines.map((l) => safeText(l)).join('\n')}\n`);
  return clean ? EXIT.clean : EXIT.findings;
}

/** dbsec incident report: the incident report in Markdown, from the evidence, with what dbsec verified marked. */
export async function incidentReport(flags: IncidentFlags, io: Io): Promise<number> {
  const dir = flags.dir!;
  const incident = await readIncident(dir, flags.id);
  const read = async <T>(file: string): Promise<T | undefined> => JSON.parse(await readFile(join(dir, file), 'utf8').catch(() => 'null')) ?? undefined;
  const sessions = (await read<{ sessions: Array<{ user: string | null; client: string | null; application: string | null; query: string | null }> }>('sessions.json'))?.sessions;
  const logs = (await read<{ events: Array<{ time: string | null; user: string | null; client: string | null; level: string; message: string }> }>('audit-sample-logs.json'))?.events;
  const trail = (await read<{ Events: Array<{ EventTime?: string; EventName?: string; Username?: string }> }>('audit-cloudtrail-rds-events.json'))?.Events;
  const actions = (await readFile(join(dir, 'actions.jsonl'), 'utf8').catch(() => '')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { time: string; action: string; target: Record<string, unknown>; result: string });
  const notices = actions.filter((a) => a.action === 'notify users' && a.result === 'sent');
  const locked = [...new Set(actions.filter((a) => /NOLOGIN/.test(a.action)).map((a) => String(a.target.role)))];
  const reset = [...new Set(actions.filter((a) => a.action === 'reset password' && a.result === 'set').map((a) => String(a.target.role)))];
  const seal = await verifyManifest(dir);
  const intact = seal.changed.length + seal.missing.length + seal.added.filter((f) => !AFTER_SEAL.includes(f)).length === 0;
  const has = (file: string) => (incident.items as Collected[]).some((i) => i.file === file && i.collected);

  const timeline = [
    ...(trail ?? []).map((e) => ({ time: e.EventTime ?? '', what: `CloudTrail ${e.EventName ?? '?'} by ${e.Username ?? '?'}` })),
    ...(logs ?? []).filter((e) => /authentication failed|no pg_hba|statement: (DROP|ALTER|GRANT|REVOKE|CREATE ROLE|TRUNCATE|COPY)/i.test(e.message)).map((e) => ({ time: e.time ?? '', what: `log ${e.level} ${e.user ?? ''}@${e.client ?? ''}: ${e.message}` })),
    { time: incident.startedAt as string, what: `evidence preserved by ${incident.by} (dbsec incident start)` },
    ...actions.map((a) => ({ time: a.time, what: `action ${a.action} ${JSON.stringify(a.target)}: ${a.result}` })),
  ].sort((a, b) => a.time.localeCompare(b.time));
  const users = new Set<string>();
  for (const s of sessions ?? []) if (s.user) users.add(s.user);
  for (const e of logs ?? []) if (/authentication failed/.test(e.message) && e.user) users.add(e.user);
  for (const a of actions) if (typeof a.target.user === 'string') users.add(a.target.user);
  const snapshot = incident.snapshot as { status: string; id?: string };
  const check = (verified: boolean, text: string, how: string) => `- [${verified ? 'x' : ' '}] ${text}${verified ? ` (verified by dbsec: ${how})` : ` (not verified by dbsec${how ? `: ${how}` : ''})`}`;
  const lines = [
    `# Incident ${md(String(incident.incident))} (${md(String(incident.severity))})`,
    '',
    `- Target: ${md(String((incident.target as { name: string }).name))}`,
    `- Evidence preserved ${incident.startedAt} by ${md(String(incident.by))} in \`${dir}\`, window ${(incident.window as { from: string }).from} to ${(incident.window as { to: string }).to}`,
    `- Evidence seal (${MANIFEST}): ${intact ? 'intact' : '**BROKEN**: run dbsec incident verify'}`,
    `- Snapshot: ${md(snapshot.status === 'available' ? `${snapshot.id} available` : snapshot.status)}`,
    '',
    '## Timeline',
    '',
    '| time | what |',
    '| --- | --- |',
    ...timeline.slice(0, 300).map((t) => `| ${t.time} | ${md(redactSecrets(t.what)).slice(0, 300)} |`),
    ...(timeline.length > 300 ? ['', `_${timeline.length - 300} more entries in the evidence files._`] : []),
    '',
    '## Affected users and data',
    '',
    users.size ? [...users].sort().map((u) => `- ${md(u)}`).join('\n') : '- none identified from the evidence',
    `- Sessions at the start: ${sessions?.length ?? 'not collected'}`,
    '',
    '## After a loss of integrity (seed 001)',
    '',
    check(notices.length > 0, 'Users informed', notices.length > 0 ? `${notices.length} notice(s), the last at ${notices.at(-1)!.time}` : 'tell the data owners and users which data may be affected: dbsec incident notify'),
    check(intact && has('sessions.json'), 'Current state secured (sessions, logs, catalog, configuration preserved and hashed)', `${seal.unchanged.length} files sealed in ${MANIFEST}`),
    check(has('audit-sample-logs.json'), 'Logs examined', 'the log of the window is preserved and its failures and DDL are in the timeline'),
    check(has('catalog-grants.json'), 'Rights of system tables examined', systemTables(await read<{ findings: FindingDraft[] }>('catalog-grants.json'))),
    check(false, 'Software checksums compared', 'dbsec integrity verify MANIFEST compares the programs, libraries and extensions with a manifest captured before, and with dpkg --verify or rpm -V'),
    check(locked.length + reset.length > 0, 'Passwords reset / accounts locked', passwordsLine(locked, reset)),
    check(snapshot.status === 'available', 'Restoration point secured (snapshot before any repair)', snapshot.id ? `snapshot ${snapshot.id}` : ''),
    '',
    '## Runbook phases 2–5',
    '',
    check(actions.length > 0, 'Phase 2, containment: sessions terminated, accounts locked, network rules revoked', `${actions.length} actions in actions.jsonl`),
    check(false, 'Phase 3, eradication: the cause removed (backdoor roles, functions, rules)', 'dbsec baseline diff lists what changed'),
    check(false, 'Phase 4, recovery: service restored from a known good state and watched', 'dbsec daily and dbsec activity --follow'),
    check(false, 'Phase 5, post-incident: review, lessons, runbook and alarms updated', ''),
    '',
  ];
  const out = flags.output ?? join(dir, 'incident-report.md');
  if (await writeOutput(out, `${lines.join('\n')}\n`, io)) io.stdout.write(`Incident report written to ${out}.\n`);
  return EXIT.clean;
}

/**
 * Seed 001: the affected users are told at once, then at regular intervals (run it again, e.g. from cron). Each notice
 * goes to the webhook and into actions.jsonl, so the incident report's timeline and checklist show who was told when.
 */
export async function incidentNotify(dir: string, flags: { id: string; message: string; notify: string }, io: Io): Promise<number> {
  await readIncident(dir, flags.id);
  const text = redactSecrets(flags.message);
  const failed = await post({ text: `[${flags.id}] ${text}`, incident: flags.id, message: text, time: io.now().toISOString() }, { url: flags.notify });
  const log: ActionLog = { path: join(dir, 'actions.jsonl'), command: `incident notify ${flags.id}`, clock: io.now };
  await logAction(log, { actor: { os: osUser(), database: '-' }, action: 'notify users', target: { channel: safeUrl(flags.notify), message: text }, result: failed ? `failed: ${failed}` : 'sent' });
  if (failed) throw new DbsecError(`${failed.charAt(0).toUpperCase()}${failed.slice(1)} It is recorded in ${join(dir, 'actions.jsonl')} as failed; run it again.`);
  io.stdout.write(`Notice for ${flags.id} sent to ${safeUrl(flags.notify)} and recorded in ${join(dir, 'actions.jsonl')}.\n`);
  return EXIT.clean;
}

function passwordsLine(locked: string[], reset: string[]): string {
  const done = [locked.length ? `locked: ${locked.map(md).join(', ')}` : '', reset.length ? `new passwords: ${reset.map(md).join(', ')} (dbsec incident check-passwords says who changed theirs)` : ''].filter(Boolean);
  return done.length ? done.join('; ') : 'lock accounts with incident contain --user, give new passwords with incident reset-passwords';
}

/** What the comparison with a fresh cluster found: the reset of the system tables' rights seed 001 asks for. */
function systemTables(grants: { findings: FindingDraft[] } | undefined): string {
  if (!grants) return 'compare them with a fresh cluster: dbsec monthly --only monthly.catalog-grants';
  const differences = grants.findings.filter((f) => f.status !== 'ok');
  return differences.length === 0 ? "every system object grants what a fresh cluster grants" : `${counted(differences.length, 'system object')} differ from a fresh cluster; the REVOKE/GRANT statements that reset them are in catalog-grants.json`;
}

/** --yes, or a yes typed on a terminal; without a terminal and without --yes, `refusal` as the error. */
export async function confirmed(flags: { yes?: boolean }, io: Io, question: string, refusal: string): Promise<boolean> {
  if (flags.yes) return true;
  if (!process.stdin.isTTY || !io.stderr.isTTY) throw new DbsecError(refusal);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await rl.question(question);
  rl.close();
  return /^y(es)?$/i.test(answer.trim());
}

/** The incident.json of an evidence directory; with `id`, the directory must hold that incident. */
export async function readIncident(dir: string, id?: string): Promise<Record<string, unknown>> {
  let incident: Record<string, unknown>;
  try {
    incident = JSON.parse(await readFile(join(dir, 'incident.json'), 'utf8'));
  } catch {
    throw new DbsecError(`${join(dir, 'incident.json')} cannot be read: name the directory that dbsec incident start wrote (-o).`);
  }
  if (id !== undefined && incident.incident !== id) throw new DbsecError(`${dir} holds incident ${String(incident.incident)}, not ${id}: check --id and the directory.`);
  return incident;
}

export function incidentTarget(flags: IncidentFlags, io: Io) {
  return singleTarget(flags, io, 'An incident concerns one database: pass --database-url and --rds-instance instead of a config with several targets.');
}
