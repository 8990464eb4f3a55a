import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { escapeIdentifier, escapeLiteral } from 'pg';
import { TargetContext } from '../../context.js';
import { DbsecError, messageOf } from '../../errors.js';
import type { Io } from '../../io.js';
import { counted } from '../../plural.js';
import { safeText } from '../../redact.js';
import { EXIT } from '../../status.js';
import { durationMs } from '../../time.js';
import { matchesAny } from '../../globs.js';
import { RDS_ROLES } from '../../checks/roles.js';
import { AwsClients, awsCall } from '../../sources/aws.js';
import { logAction, osUser, type ActionLog } from '../../respond/containment.js';
import { randomPassword, scramVerifier, verifierDigest } from '../../sql/passwords.js';
import { tryLogin, type PgLimits } from '../../sources/postgres.js';
import { writeAtomically } from '../shared/emit.js';
import { contextDeps } from '../shared/targets.js';
import { confirmed, incidentTarget, readIncident, type IncidentFlags } from './run.js';

export interface ResetFlags extends IncidentFlags {
  roles: string[];
  validFor: string;
  secretPrefix?: string;
}

interface LoginRole {
  name: string;
  validUntil: Date | null;
}

/** One reset as actions.jsonl records it: enough for check-passwords, never the password or its verifier. */
interface ResetRecord {
  action: 'reset password';
  target: { role: string; verifier: string; validUntil: string; previousValidUntil: string | null; deliveredTo: string };
  result: string;
}

const ACTION = 'reset password';

/**
 * Seed 001: after a loss of integrity every user gets a new random password that must be changed at the next login.
 * PostgreSQL cannot force a change, so the new password carries a short VALID UNTIL: the user sets their own before
 * it passes (ALTER ROLE CURRENT_USER PASSWORD …, or \password), and check-passwords tells who has not.
 */
export async function resetPasswords(flags: ResetFlags, io: Io): Promise<number> {
  const dir = flags.dir!;
  await readIncident(dir, flags.id);
  const validForMs = durationMs(flags.validFor);
  if (validForMs === undefined || validForMs <= 0) throw new DbsecError(`--valid-for ${flags.validFor} is not a duration: give one such as 24h or 3d.`);
  if (!flags.output === !flags.secretPrefix) throw new DbsecError('Say where the new passwords go: -o FILE (created with mode 0600) or --secret-prefix PREFIX (one Secrets Manager secret per role), not both.');
  const file = flags.output ? resolve(flags.output) : undefined;
  if (file && existsSync(file)) throw new DbsecError(`${file} exists and may hold the passwords of an earlier reset: name a new file with -o.`);
  const { target, config } = await incidentTarget(flags, io);
  const now = io.now();
  const validUntil = new Date(now.getTime() + validForMs);
  const ctx = new TargetContext(target, { from: now, to: now }, now, contextDeps(config, io));
  try {
    const pg = await ctx.pg();
    const [{ self }] = (await pg.query<{ self: string }>('SELECT current_user AS self')) as [{ self: string }];
    const logins = (await pg.query<LoginRole>(`SELECT rolname AS name, rolvaliduntil AS "validUntil" FROM pg_roles WHERE rolcanlogin AND rolname !~ '^pg_' ORDER BY 1`)).map((r) => ({ ...r, validUntil: deadline(r.validUntil) }));
    const chosen = logins.filter((r) => matchesAny(r.name, flags.roles) && r.name !== self && !RDS_ROLES.includes(r.name));
    const left = logins.filter((r) => matchesAny(r.name, flags.roles) && !chosen.includes(r));
    if (chosen.length === 0) throw new DbsecError(`No login role matches ${flags.roles.join(', ')}${left.length ? ` except ${left.map((r) => r.name).join(', ')}, which dbsec does not reset` : ''}: check --roles.`);
    const delivery = file ? `${file} (mode 0600)` : `Secrets Manager secrets ${flags.secretPrefix}ROLE`;
    io.stdout.write(
      `Password reset for incident ${flags.id}: ${counted(chosen.length, 'role')}, each a new random password valid until ${validUntil.toISOString()}, delivered to ${delivery}:\n` +
        chosen.map((r) => `  - ${safeText(r.name)}\n`).join('') +
        (left.length ? `Not reset: ${left.map((r) => safeText(r.name)).join(', ')} (dbsec's own login, or RDS's roles: reset those by hand, your own last).\n` : ''),
    );
    if (!flags.execute) {
      io.stdout.write('Dry run: add --execute to set the passwords.\n');
      return EXIT.clean;
    }
    if (!(await confirmed(flags, io, 'Set these passwords? [y/N] ', 'A password reset locks every user out until they read the new password: confirm on a terminal, or pass --yes in scripts.'))) return EXIT.clean;
    const passwords = chosen.map((role) => ({ role, password: randomPassword() }));
    // Delivered before any is set: a password the database holds but nobody can read would lock its user out.
    try {
      if (file) await writeAtomically(file, passwordFile(flags.id, validUntil, passwords), '-o/--output', 0o600);
      else await storeSecrets(ctx, io, flags, validUntil, passwords);
    } catch (err) {
      throw new DbsecError(`${messageOf(err)} No password was set.`);
    }
    const log: ActionLog = { path: join(dir, 'actions.jsonl'), command: `incident reset-passwords ${flags.id}`, clock: io.now };
    const unset = new Set<string>();
    for (const { role, password } of passwords) {
      const verifier = scramVerifier(password);
      let result = 'set';
      try {
        // The verifier, not the password, goes to the server: the password never appears in its log or pg_stat_statements.
        await pg.query(`BEGIN READ WRITE; ALTER ROLE ${escapeIdentifier(role.name)} PASSWORD ${escapeLiteral(verifier)} VALID UNTIL ${escapeLiteral(validUntil.toISOString())}; COMMIT`);
      } catch (err) {
        await pg.query('ROLLBACK').catch(() => undefined);
        result = `failed: ${messageOf(err)}`;
        unset.add(role.name);
      }
      const record: ResetRecord['target'] = { role: role.name, verifier: verifierDigest(verifier), validUntil: validUntil.toISOString(), previousValidUntil: role.validUntil?.toISOString() ?? null, deliveredTo: file ?? `${flags.secretPrefix}${role.name}` };
      await logAction(log, { actor: { os: osUser(), database: self }, action: ACTION, target: record, result });
      io.stdout.write(`  ${safeText(role.name)}: ${safeText(result)}\n`);
    }
    // The file keeps only passwords that work: one the server refused would only mislead the user who gets it.
    if (file && unset.size > 0) await writeAtomically(file, passwordFile(flags.id, validUntil, passwords.filter((p) => !unset.has(p.role.name))), '-o/--output', 0o600);
    io.stdout.write(
      `${counted(passwords.length - unset.size, 'password')} set, valid until ${validUntil.toISOString()}; recorded in ${log.path}.\n` +
        'Each user logs in with the new password and sets their own (\\password in psql); dbsec incident check-passwords says who has not.\n',
    );
    return unset.size > 0 ? EXIT.checkErrors : EXIT.clean;
  } finally {
    await ctx.close();
  }
}

function passwordFile(id: string, validUntil: Date, passwords: Array<{ role: LoginRole; password: string }>): string {
  return `# dbsec incident reset-passwords ${id}: new passwords, valid until ${validUntil.toISOString()}.\n# Hand each one to its user only, then delete this file.\n${passwords.map((p) => `${p.role.name}\t${p.password}\n`).join('')}`;
}

/** A self-hosted server's passwords may go to Secrets Manager too: the region is enough, no RDS instance is needed. */
async function storeSecrets(ctx: TargetContext, io: Io, flags: ResetFlags, validUntil: Date, passwords: Array<{ role: LoginRole; password: string }>): Promise<void> {
  const aws = new AwsClients({ region: ctx.target.region, profile: ctx.target.profile, retryStrategy: io.awsRetryStrategy });
  try {
    await storeEach(aws, flags, validUntil, passwords);
  } finally {
    aws.destroy();
  }
}

async function storeEach(aws: AwsClients, flags: ResetFlags, validUntil: Date, passwords: Array<{ role: LoginRole; password: string }>): Promise<void> {
  const { sdk, client } = await aws.secretsManager();
  for (const { role, password } of passwords) {
    const name = `${flags.secretPrefix}${role.name}`;
    const value = JSON.stringify({ username: role.name, password, validUntil: validUntil.toISOString(), incident: flags.id });
    const absent = (err: { name?: string }) => {
      if (err.name === 'ResourceNotFoundException') return null;
      throw err;
    };
    const put = await awsCall('secretsmanager:PutSecretValue', () => client.send(new sdk.PutSecretValueCommand({ SecretId: name, SecretString: value })).catch(absent));
    if (put === null) {
      await awsCall('secretsmanager:CreateSecret', () => client.send(new sdk.CreateSecretCommand({ Name: name, SecretString: value, Description: `dbsec incident ${flags.id}: ${role.name}'s reset password`, Tags: [{ Key: 'dbsec-incident', Value: flags.id }] })));
    }
  }
}

type PasswordState = 'changed' | 'not changed' | 'expired unchanged' | 'role gone' | 'unknown';

/** dbsec incident check-passwords: which users reset by reset-passwords have set their own password since. */
export async function checkPasswords(flags: IncidentFlags & { passwords?: string }, io: Io): Promise<number> {
  const dir = flags.dir!;
  await readIncident(dir, flags.id);
  const resets = latestResets(await readFile(join(dir, 'actions.jsonl'), 'utf8').catch(() => ''));
  if (resets.size === 0) throw new DbsecError(`${join(dir, 'actions.jsonl')} records no password reset: run dbsec incident reset-passwords first.`);
  const { target, config } = await incidentTarget(flags, io);
  const now = io.now();
  const deps = contextDeps(config, io);
  const ctx = new TargetContext(target, { from: now, to: now }, now, deps);
  const states: Array<{ role: string; state: PasswordState; note: string }> = [];
  try {
    const pg = await ctx.pg();
    const names = [...resets.keys()];
    const stored = await pg
      .query<{ name: string; verifier: string | null; validUntil: Date | null }>(`SELECT rolname AS name, rolpassword AS verifier, rolvaliduntil AS "validUntil" FROM pg_authid WHERE rolname = ANY($1)`, [names])
      .catch(() => undefined);
    const typed = flags.passwords ? await readPasswordFile(flags.passwords) : undefined;
    if (!stored && !typed) throw new DbsecError('pg_authid is readable only by a superuser (on RDS by no one): connect as one, or pass --passwords FILE (the -o file of the reset) to test each reset password by logging in.');
    const present = stored ?? (await pg.query<{ name: string; validUntil: Date | null }>(`SELECT rolname AS name, rolvaliduntil AS "validUntil" FROM pg_roles WHERE rolname = ANY($1)`, [names])).map((r) => ({ ...r, verifier: null }));
    for (const [role, reset] of resets) {
      const found = present.find((r) => r.name === role);
      const row = found && { ...found, validUntil: deadline(found.validUntil) };
      if (!row) {
        states.push({ role, state: 'role gone', note: 'dropped since the reset' });
        continue;
      }
      const same = row.verifier !== null ? verifierDigest(row.verifier) === reset.verifier : await stillLogsIn(ctx, deps.limits, role, typed?.get(role));
      const expired = row.validUntil !== null && row.validUntil.getTime() <= now.getTime();
      if (same === undefined) states.push({ role, state: 'unknown', note: 'not in the --passwords file, or the login failed for another reason' });
      else if (!same) states.push({ role, state: 'changed', note: row.validUntil?.toISOString() === reset.validUntil ? `clear the reset's deadline: ALTER ROLE ${escapeIdentifier(role)} VALID UNTIL ${escapeLiteral(reset.previousValidUntil ?? 'infinity')};` : 'deadline already cleared' });
      else states.push({ role, state: expired ? 'expired unchanged' : 'not changed', note: expired ? 'locked out: reset again or set a password for them' : `must change it before ${reset.validUntil}` });
    }
  } finally {
    await ctx.close();
  }
  const width = Math.max(...states.map((s) => s.role.length), 4);
  io.stdout.write(`Passwords reset for incident ${flags.id}:\n${states.map((s) => `  ${safeText(s.role).padEnd(width)}  ${s.state.padEnd(17)}  ${safeText(s.note)}\n`).join('')}`);
  if (states.some((s) => s.state === 'not changed' || s.state === 'expired unchanged')) return EXIT.findings;
  return states.some((s) => s.state === 'unknown') ? EXIT.checkErrors : EXIT.clean;
}

/** VALID UNTIL as a date, or null for none: node-pg reads 'infinity' as the number Infinity. */
function deadline(value: unknown): Date | null {
  return value instanceof Date ? value : null;
}

/** The last reset of each role that was set (a later reset replaces an earlier one). */
function latestResets(actions: string): Map<string, ResetRecord['target']> {
  const resets = new Map<string, ResetRecord['target']>();
  for (const line of actions.split('\n')) {
    if (!line.trim()) continue;
    const entry = JSON.parse(line) as ResetRecord;
    if (entry.action === ACTION && entry.result === 'set') resets.set(entry.target.role, entry.target);
  }
  return resets;
}

async function readPasswordFile(path: string): Promise<Map<string, string>> {
  const text = await readFile(path, 'utf8').catch((err) => {
    throw new DbsecError(`Cannot read ${path}: ${messageOf(err)}; check --passwords.`);
  });
  return new Map(text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split('\t') as [string, string]));
}

/** true when the reset password still logs in, false when PostgreSQL refuses it, undefined when neither is known. */
async function stillLogsIn(ctx: TargetContext, limits: PgLimits, role: string, password: string | undefined): Promise<boolean | undefined> {
  if (password === undefined) return undefined;
  const login = await tryLogin({ ...ctx.target.pgConfig, user: role, password }, limits.connectTimeoutMs);
  return login === true ? true : login === 'refused' ? false : undefined;
}
