import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { sandboxAwsEnv, sandboxEndpoint } from '../src/sandbox/aws-scenario.js';
import type { AwsEndpoint } from '../src/sandbox/aws-endpoint.js';
import { createRoles, ROLES } from '../src/sandbox/pg-scenario.js';
import { logSince, logSize, servers, sql } from './helpers/servers.js';
import { runCli } from './helpers/cli.js';

/**
 * incident reset-passwords and check-passwords on a real server: the new passwords work, the old ones do not, the
 * passwords reach only the 0600 file or Secrets Manager (never the terminal, the action log or the server's log),
 * and check-passwords follows each user from "not changed" to "changed" with or without superuser.
 */
const dir = mkdtempSync(join(tmpdir(), 'dbsec-reset-'));
const server = servers()[0]!;
const evidence = join(dir, 'INC-11');
const store = new Map<string, string[]>();
let endpoint: AwsEndpoint;
let env: Record<string, string>;

function dbsec(args: string[]) {
  return runCli(args, { PATH: process.env.PATH!, HOME: dir, ...env });
}

async function login(user: string, password: string): Promise<true | string> {
  const client = new pg.Client(server.url({ user, password }));
  client.on('error', () => undefined);
  try {
    await client.connect();
    return true;
  } catch (err) {
    return (err as { code: string }).code;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const asSuperuser = () => ['--database-url', server.url()];
const asAuditor = () => ['--database-url', server.url({ user: ROLES.auditor.name, password: ROLES.auditor.password })];
const filePasswords = (file: string) => new Map(readFileSync(file, 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split('\t') as [string, string]));

beforeAll(async () => {
  await createRoles(server);
  await sql(server, `DROP ROLE IF EXISTS rp_alice; DROP ROLE IF EXISTS rp_bob; DROP ROLE IF EXISTS rp_group; DROP ROLE IF EXISTS reset_admin; CREATE ROLE reset_admin LOGIN SUPERUSER PASSWORD 'reset-admin-pw'; ALTER ROLE reset_admin SET log_statement = 'all'; CREATE ROLE rp_alice LOGIN PASSWORD 'alice-old'; CREATE ROLE rp_bob LOGIN PASSWORD 'bob-old' VALID UNTIL '2099-01-01'; CREATE ROLE rp_group NOLOGIN`);
  endpoint = sandboxEndpoint({ now: new Date(), logFile: server.logFile, secretStore: store });
  env = { ...sandboxAwsEnv(await endpoint.start()), AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', AWS_CONFIG_FILE: '/nonexistent' };
  expect((await dbsec(['incident', 'start', '--id', 'INC-11', '-o', evidence, ...asSuperuser()])).code).toBe(0);
});

afterAll(async () => {
  await endpoint.stop();
  await sql(server, 'DROP ROLE IF EXISTS rp_alice; DROP ROLE IF EXISTS rp_bob; DROP ROLE IF EXISTS rp_group; DROP ROLE IF EXISTS reset_admin');
  rmSync(dir, { recursive: true, force: true });
});

describe('dbsec incident reset-passwords', () => {
  const file = join(dir, 'passwords.tsv');

  it('is a dry run without --execute, and refuses to guess where the passwords go or to act unconfirmed', async () => {
    const dry = await dbsec(['incident', 'reset-passwords', evidence, '--id', 'INC-11', '--roles', 'rp_*', 'postgres', '-o', file, ...asSuperuser()]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/^Password reset for incident INC-11: 2 roles, each a new random password valid until 20\d\d-.*, delivered to .*passwords\.tsv \(mode 0600\):\n {2}- rp_alice\n {2}- rp_bob\nNot reset: postgres \(dbsec's own login/);
    expect(dry.stdout).toContain('Dry run: add --execute');
    expect(existsSync(file)).toBe(false);
    expect(await login('rp_alice', 'alice-old')).toBe(true);
    expect(await dbsec(['incident', 'reset-passwords', evidence, '--id', 'INC-11', '--roles', 'rp_*', ...asSuperuser()])).toMatchObject({ code: 2, stderr: expect.stringContaining('Say where the new passwords go') });
    expect(await dbsec(['incident', 'reset-passwords', evidence, '--id', 'INC-11', '--roles', 'nobody_*', '-o', file, ...asSuperuser()])).toMatchObject({ code: 2, stderr: expect.stringContaining('No login role matches nobody_*') });
    expect(await dbsec(['incident', 'reset-passwords', evidence, '--id', 'INC-11', '--roles', 'rp_*', '-o', file, '--valid-for', 'soon', ...asSuperuser()])).toMatchObject({ code: 2, stderr: expect.stringContaining('--valid-for soon is not a duration') });
    expect(await dbsec(['incident', 'reset-passwords', evidence, '--id', 'INC-11', '--roles', 'rp_*', '-o', file, '--execute', ...asSuperuser()])).toMatchObject({ code: 2, stderr: expect.stringContaining('pass --yes in scripts') });
    expect(existsSync(file)).toBe(false);
  });

  it('sets random passwords that expire, delivered only to a 0600 file; the old ones stop working', async () => {
    const mark = await logSize(server);
    // a superuser of its own whose statements are all logged, so the other tests' logs stay as they were
    const run = await dbsec(['incident', 'reset-passwords', evidence, '--id', 'INC-11', '--roles', 'rp_*', '-o', file, '--execute', '--yes', '--database-url', server.url({ user: 'reset_admin', password: 'reset-admin-pw' })]);
    expect(run.code).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const passwords = filePasswords(file);
    expect([...passwords.keys()]).toEqual(['rp_alice', 'rp_bob']);
    for (const [role, password] of passwords) {
      expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(await login(role, password)).toBe(true);
      expect(run.stdout + run.stderr).not.toContain(password);
      expect(readFileSync(join(evidence, 'actions.jsonl'), 'utf8')).not.toContain(password);
      // the server received a SCRAM verifier, never the password itself
      const logged = readFileSync(await logSince(server, mark, join(dir, 'reset.log')), 'utf8');
      expect(logged).toMatch(/ALTER ROLE "rp_alice" PASSWORD 'SCRAM-SHA-256\$4096:/);
      expect(logged).not.toContain(password);
    }
    expect(await login('rp_alice', 'alice-old')).toBe('28P01');
    expect(await login('rp_bob', 'bob-old')).toBe('28P01');
    const { rows } = await sql(server, `SELECT rolname, rolvaliduntil FROM pg_roles WHERE rolname IN ('rp_alice', 'rp_bob') ORDER BY 1`);
    for (const row of rows) expect(Math.abs(new Date(row.rolvaliduntil).getTime() - Date.now() - 24 * 3600_000)).toBeLessThan(120_000);
    const actions = readFileSync(join(evidence, 'actions.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(actions.map((a) => [a.action, a.target.role, a.result])).toEqual([['reset password', 'rp_alice', 'set'], ['reset password', 'rp_bob', 'set']]);
    expect(actions[1].target).toMatchObject({ previousValidUntil: '2099-01-01T00:00:00.000Z', deliveredTo: file, verifier: expect.stringMatching(/^[0-9a-f]{16}$/) });
    // a second reset never overwrites the first one's file
    expect(await dbsec(['incident', 'reset-passwords', evidence, '--id', 'INC-11', '--roles', 'rp_*', '-o', file, '--execute', '--yes', ...asSuperuser()])).toMatchObject({ code: 2, stderr: expect.stringContaining('exists and may hold the passwords of an earlier reset') });
  });

  it('check-passwords follows who changed theirs, as superuser from pg_authid and without it by logging in', async () => {
    const args = ['incident', 'check-passwords', evidence, '--id', 'INC-11'];
    const before = await dbsec([...args, ...asSuperuser()]);
    expect(before.code).toBe(1);
    expect(before.stdout).toMatch(/ rp_alice +not changed +must change it before 20\d\d-/);
    const alice = new pg.Client(server.url({ user: 'rp_alice', password: filePasswords(file).get('rp_alice')! }));
    await alice.connect();
    await alice.query(`ALTER ROLE CURRENT_USER PASSWORD 'alice-own-new-password'`);
    await alice.end();
    const after = await dbsec([...args, ...asSuperuser()]);
    expect(after.code).toBe(1);
    expect(after.stdout).toMatch(/ rp_alice +changed +clear the reset's deadline: ALTER ROLE "rp_alice" VALID UNTIL 'infinity';/);
    expect(after.stdout).toMatch(/ rp_bob +not changed /);
    expect(after.stdout).toContain(`ALTER ROLE "rp_alice" VALID UNTIL 'infinity'`);
    // without superuser pg_authid is out of reach: the reset file's passwords are tried instead
    expect(await dbsec([...args, ...asAuditor()])).toMatchObject({ code: 2, stderr: expect.stringContaining('pass --passwords FILE') });
    const byLogin = await dbsec([...args, '--passwords', file, ...asAuditor()]);
    expect(byLogin.code).toBe(1);
    expect(byLogin.stdout).toMatch(/ rp_alice +changed /);
    expect(byLogin.stdout).toMatch(/ rp_bob +not changed /);
    await sql(server, `ALTER ROLE rp_bob PASSWORD 'bob-own-new-password'; ALTER ROLE rp_alice VALID UNTIL 'infinity'`);
    const done = await dbsec([...args, ...asSuperuser()]);
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(/ rp_alice +changed +deadline already cleared/);
    expect(done.stdout).toMatch(/ rp_bob +changed +clear the reset's deadline: ALTER ROLE "rp_bob" VALID UNTIL '2099-01-01T00:00:00.000Z';/);
  });

  it('a reset password left unchanged past its deadline locks its user out, and says so', async () => {
    const short = join(dir, 'short.tsv');
    expect((await dbsec(['incident', 'reset-passwords', evidence, '--id', 'INC-11', '--roles', 'rp_bob', '-o', short, '--valid-for', '1s', '--execute', '--yes', ...asSuperuser()])).code).toBe(0);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await login('rp_bob', filePasswords(short).get('rp_bob')!)).toBe('28P01');
    const run = await dbsec(['incident', 'check-passwords', evidence, '--id', 'INC-11', ...asSuperuser()]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/ rp_bob +expired unchanged +locked out: reset again or set a password for them/);
  });

  it('a role the connecting user may not change is named, exit 3, and its password is not left in the file', async () => {
    await sql(server, `DROP ROLE IF EXISTS rp_lead; DROP ROLE IF EXISTS rp_root; CREATE ROLE rp_lead LOGIN CREATEROLE PASSWORD 'lead-pw'; CREATE ROLE rp_root LOGIN SUPERUSER PASSWORD 'root-pw'; GRANT rp_alice TO rp_lead WITH ADMIN OPTION`);
    try {
      const partial = join(dir, 'partial.tsv');
      const run = await dbsec(['incident', 'reset-passwords', evidence, '--id', 'INC-11', '--roles', 'rp_root', 'rp_alice', '-o', partial, '--execute', '--yes', '--database-url', server.url({ user: 'rp_lead', password: 'lead-pw' })]);
      expect(run.code).toBe(3);
      expect(run.stdout).toMatch(/ {2}rp_root: failed: .*permission denied to alter role; the user dbsec connects as lacks the privilege/);
      expect(run.stdout).toContain('  rp_alice: set\n');
      expect([...filePasswords(partial).keys()]).toEqual(['rp_alice']);
      expect(statSync(partial).mode & 0o777).toBe(0o600);
      expect(await login('rp_root', 'root-pw')).toBe(true);
    } finally {
      await sql(server, 'DROP ROLE IF EXISTS rp_lead; DROP ROLE IF EXISTS rp_root');
    }
  });

  it('delivers to Secrets Manager instead of a file: one secret per role, a new version on the next reset', async () => {
    const args = ['incident', 'reset-passwords', evidence, '--id', 'INC-11', '--roles', 'rp_alice', '--secret-prefix', 'incident/INC-11/', '--execute', '--yes', ...asSuperuser()];
    const first = await dbsec(args);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('delivered to Secrets Manager secrets incident/INC-11/ROLE');
    expect(await dbsec(args)).toMatchObject({ code: 0 });
    expect(endpoint.count('CreateSecret')).toBe(1);
    expect(endpoint.count('PutSecretValue')).toBe(2);
    const versions = store.get('incident/INC-11/rp_alice')!.map((v) => JSON.parse(v));
    expect(versions).toHaveLength(2);
    expect(versions[1]).toMatchObject({ username: 'rp_alice', incident: 'INC-11', password: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/) });
    expect(first.stdout).not.toContain(versions[0].password);
    expect(await login('rp_alice', versions[1].password)).toBe(true);
  });

  it("the incident report counts the resets in seed 001's checklist", async () => {
    expect((await dbsec(['incident', 'report', evidence, '--id', 'INC-11'])).code).toBe(0);
    expect(readFileSync(join(evidence, 'incident-report.md'), 'utf8')).toContain('- [x] Passwords reset / accounts locked (verified by dbsec: new passwords: rp\\_alice, rp\\_bob');
  });
});
