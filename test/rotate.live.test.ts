import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import pg from 'pg';
import { sandboxAwsEnv, sandboxEndpoint, type SandboxSecret } from '../src/sandbox/aws-scenario.js';
import { servers, sql } from './helpers/servers.js';

const BIN = new URL('../bin/dbsec', import.meta.url).pathname;
const server = servers()[0]!;
const ROLE = 'rot_app';
const FIRST = 'first-Secret-pw';

function dbsec(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH!, HOME: '/tmp', ...env }, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function canLogin(password: string): Promise<boolean> {
  const client = new pg.Client(server.url({ user: ROLE, password }));
  client.on('error', () => undefined);
  return client.connect().then(
    () => client.end().then(() => true),
    () => false,
  );
}

/** Runs rotate-credentials against a sandbox holding the secret; returns the run and the passwords it set. */
async function rotateWith(secret: Partial<SandboxSecret>, args: string[]) {
  const set: string[] = [];
  const endpoint = sandboxEndpoint({
    now: new Date(),
    secret: {
      id: 'prod/app/db',
      value: { engine: 'postgres', host: '127.0.0.1', port: server.port, username: ROLE, password: FIRST, dbname: 'postgres' },
      delayMs: 800,
      rotate: async (password) => {
        set.push(password);
        await sql(server, `ALTER ROLE ${ROLE} PASSWORD '${password}'`);
      },
      ...secret,
    },
  });
  const env = { ...sandboxAwsEnv(await endpoint.start()), AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', AWS_CONFIG_FILE: '/nonexistent', AWS_EC2_METADATA_DISABLED: 'true' };
  try {
    const run = await dbsec(['rotate-credentials', '--secret-id', 'prod/app/db', '--format', 'json', ...args], env);
    return { run, set, endpoint };
  } finally {
    await endpoint.stop();
  }
}

const titles = (stdout: string) => JSON.parse(stdout).findings.map((f: { status: string; title: string }) => [f.status, f.title]);

describe('dbsec rotate-credentials', () => {
  beforeAll(() => sql(server, `DROP ROLE IF EXISTS ${ROLE}; CREATE ROLE ${ROLE} LOGIN PASSWORD '${FIRST}'`));
  afterAll(() => sql(server, `DROP ROLE IF EXISTS ${ROLE}`));

  it('shows what it would do without --execute and rotates nothing', async () => {
    const { run, endpoint } = await rotateWith({}, []);
    expect(run.code).toBe(0);
    expect(titles(run.stdout)).toEqual([['ok', 'Dry run: would rotate prod/app/db (current version v-1)']]);
    expect(endpoint.count('RotateSecret')).toBe(0);
    expect(await canLogin(FIRST)).toBe(true);
  });

  it('rotates, waits for the new version, and proves the new password works and the old one does not', async () => {
    const { run, set } = await rotateWith({}, ['--execute', '--sslmode', 'require']);
    expect(titles(run.stdout)).toEqual([
      ['ok', 'Version v-2 is now AWSCURRENT (was v-1)'],
      ['ok', `The new credentials of ${ROLE} connect (SELECT 1)`],
      ['ok', `The old password of ${ROLE} is refused`],
    ]);
    expect(run.code).toBe(0);
    expect(await canLogin(set[0]!)).toBe(true);
    for (const secret of [FIRST, set[0]!]) expect(run.stdout + run.stderr).not.toContain(secret);
    await sql(server, `ALTER ROLE ${ROLE} PASSWORD '${FIRST}'`);
  });

  it('is investigate when the rotation never finishes, or the database password was not changed', async () => {
    const stuck = await rotateWith({ failRotation: true }, ['--execute', '--wait', '2']);
    expect(titles(stuck.run.stdout)).toEqual([['investigate', 'Rotation did not finish within 2 s: version v-2 is AWSPENDING']]);
    expect(stuck.run.code).toBe(1);
    const lazy = await rotateWith({ rotate: async () => undefined }, ['--execute']);
    expect(titles(lazy.run.stdout)).toEqual([
      ['investigate', `The new credentials of ${ROLE} do not connect`],
      ['investigate', `The old password of ${ROLE} still works`],
      ['ok', 'Version v-2 is now AWSCURRENT (was v-1)'],
    ]);
    expect(JSON.parse(lazy.run.stdout).findings[0].remediation).toContain('update-secret-version-stage');
  });

  it('is an error in one sentence for an unknown secret', async () => {
    const { run } = await rotateWith({}, ['--secret-id', 'nope']);
    const finding = JSON.parse(run.stdout).findings[0];
    expect(finding).toMatchObject({ status: 'error' });
    expect(finding.summary).toMatch(/secretsmanager:DescribeSecret/);
    expect(run.code).toBe(2);
  });
});
