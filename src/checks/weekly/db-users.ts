import { counted } from '../../plural.js';
import { z } from 'zod';
import { defineCheck, type FindingDraft } from '../types.js';
import { matchesAny } from '../../globs.js';
import type { Level } from '../../status.js';
import { RDS_ROLES } from '../roles.js';
import type { CheckContext } from '../../context.js';
import { messageOf, SourceMissing } from '../../errors.js';
import { verifierMatches } from '../../sql/passwords.js';

interface RoleRow {
  name: string;
  bootstrap: boolean;
  login: boolean;
  superuser: boolean;
  createdb: boolean;
  createrole: boolean;
  replication: boolean;
  bypassrls: boolean;
  validUntil: Date | null;
  memberOf: string[];
}

interface RolesData {
  roles: RoleRow[];
  /** Login roles with no password, or undefined when pg_authid cannot be read (it needs superuser). */
  withoutPassword?: string[];
  /** Login roles whose password is their own name or one of wellKnownPasswords (never which one). */
  wellKnownPassword?: string[];
  /** Roles seen logging in during the window; undefined when no connection log lines could be read. */
  loggedIn?: string[];
  /** Why unused accounts could not be checked. */
  loginsUnknown?: string;
}

/** Bounds the key derivations (4096 rounds each) of the well-known password test: roles × candidates. */
const MAX_ROLES_TESTED = 1000;

// pg_roles and pg_auth_members look the same from PostgreSQL 12 to 18.
export const ROLES_SQL = `
SELECT r.rolname AS name, r.oid = 10 AS bootstrap, r.rolcanlogin AS login, r.rolsuper AS superuser,
       r.rolcreatedb AS createdb, r.rolcreaterole AS createrole, r.rolreplication AS replication,
       r.rolbypassrls AS bypassrls, r.rolvaliduntil AS "validUntil",
       ARRAY(SELECT b.rolname::text FROM pg_auth_members m JOIN pg_roles b ON b.oid = m.roleid
              WHERE m.member = r.oid ORDER BY 1) AS "memberOf"
  FROM pg_roles r
 WHERE r.rolname !~ '^pg_'
 ORDER BY r.rolname`;

const VERIFIERS_SQL = `SELECT rolname AS name, rolpassword AS verifier FROM pg_authid WHERE rolcanlogin ORDER BY 1`;


/** The log lines that say who logged in. */
const LOGIN_PHRASES = ['connection authorized'];

export default defineCheck({
  meta: {
    id: 'weekly.db-users',
    title: 'Database users and their privileges',
    area: 'access-control',
    cadence: 'weekly',
    sources: ['postgres', 'logs'],
    sees: 'present',
    logPhrases: LOGIN_PHRASES,
    runbook: 'Weekly Security Review §1: Audit Database Users',
    remediation:
      'Remove superuser and powerful memberships from roles that do not need them (ALTER ROLE … NOSUPERUSER; REVOKE rds_superuser FROM …), set a password or NOLOGIN on login roles without one, and drop unused accounts. Add real administrators to `admins`.',
  },
  options: z.object({
    /** Roles allowed to be superuser or hold powerful roles (names or * globs). */
    admins: z.array(z.string()).default([]),
    /** Memberships that give a role the run of the server or its files. */
    powerfulRoles: z
      .array(z.string())
      .default(['rds_superuser', 'pg_write_all_data', 'pg_read_all_data', 'pg_read_server_files', 'pg_write_server_files', 'pg_execute_server_program']),
    /** When true, a login role with no VALID UNTIL is a finding. */
    requirePasswordExpiry: z.boolean().default(false),
    /** Login roles that may go a whole window without logging in (break-glass, yearly jobs). */
    serviceAccounts: z.array(z.string()).default([]),
    /**
     * Seed 001: "check that the default passwords were changed". Each login role's stored verifier is tested, offline,
     * against its own name and these; a match is investigate, and the report never says which one matched.
     */
    wellKnownPasswords: z.array(z.string()).default(['postgres', 'password', 'admin', 'changeme', 'secret', '123456', '12345678', 'root', 'test', 'taosdata']),
  }),
  async collect(ctx, options): Promise<RolesData> {
    const pg = await ctx.pg();
    const roles = await pg.query<RoleRow>(ROLES_SQL);
    const verifiers = await pg.query<{ name: string; verifier: string | null }>(VERIFIERS_SQL).catch(() => undefined);
    if (!verifiers) return { roles, ...(await loginsInWindow(ctx)) };
    const wellKnownPassword: string[] = [];
    // Every role is checked for a missing password; the key derivations are bounded. A role's candidates are derived
    // together, so libuv's threads share them.
    for (const { name, verifier } of verifiers.slice(0, MAX_ROLES_TESTED)) {
      if (verifier === null) continue;
      const matches = await Promise.all([name, ...options.wellKnownPasswords].map((candidate) => verifierMatches(verifier, candidate, name)));
      if (matches.includes(true)) wellKnownPassword.push(name);
    }
    return { roles, withoutPassword: verifiers.filter((v) => v.verifier === null).map((v) => v.name), wellKnownPassword, ...(await loginsInWindow(ctx)) };
  },
  evaluate({ roles, withoutPassword, wellKnownPassword, loggedIn, loginsUnknown }, options, { now }): FindingDraft[] {
    const findings: FindingDraft[] = [];
    for (const role of roles) {
      const problems: Array<[Level, string]> = [];
      // The bootstrap superuser's password is the first one an attacker tries.
      if (role.login && wellKnownPassword?.includes(role.name)) problems.push(['investigate', 'has a default or well-known password']);
      if (role.bootstrap || RDS_ROLES.includes(role.name)) {
        if (problems.length) findings.push(roleFinding(role, problems));
        continue;
      }
      const admin = matchesAny(role.name, options.admins);
      const superEquivalent = role.superuser || role.memberOf.includes('rds_superuser');
      if (superEquivalent && !admin) problems.push(['investigate', role.superuser ? 'is SUPERUSER' : 'is a member of rds_superuser']);
      const powerful = role.memberOf.filter((r) => r !== 'rds_superuser' && options.powerfulRoles.includes(r));
      if (powerful.length && !admin) problems.push(['investigate', `is a member of ${powerful.join(', ')}`]);
      const attributes = (['createrole', 'bypassrls', 'replication'] as const).filter((a) => role[a]);
      if (attributes.length && !admin && !role.superuser) problems.push(['monitor', `has ${attributes.map((a) => a.toUpperCase()).join(', ')}`]);
      if (role.login && withoutPassword?.includes(role.name)) problems.push(['investigate', 'can log in without a password']);
      if (role.login && role.validUntil && role.validUntil < now) problems.push(['monitor', `has a password that expired on ${role.validUntil.toISOString().slice(0, 10)}`]);
      if (role.login && !role.validUntil && options.requirePasswordExpiry) problems.push(['monitor', 'has a password that never expires']);
      if (role.login && loggedIn && !loggedIn.includes(role.name) && !matchesAny(role.name, options.serviceAccounts)) problems.push(['monitor', 'did not log in during the window (unused account)']);
      if (problems.length === 0) continue;
      findings.push(roleFinding(role, problems));
    }
    const note =
      (withoutPassword === undefined ? ' Passwords could not be checked: reading pg_authid needs superuser.' : '') +
      (loginsUnknown ? ` Unused accounts could not be checked: ${loginsUnknown}.` : '');
    if (findings.length === 0) {
      findings.push({
        status: 'ok',
        resource: 'pg_roles',
        title: `${counted(roles.length, 'role')}, none with more privilege than expected`,
        summary: `Superusers: ${roles.filter((r) => r.superuser).map((r) => r.name).join(', ') || 'none'}.${note}`,
        value: 0,
        evidence: roles.map(describe),
      });
    } else if (note) {
      findings[0]!.summary += note;
    }
    return findings;
  },
});

function roleFinding(role: RoleRow, problems: Array<[Level, string]>): FindingDraft {
  return {
    status: problems.some(([level]) => level === 'investigate') ? 'investigate' : 'monitor',
    resource: `role ${role.name}`,
    title: `Role ${role.name} ${problems.map(([, text]) => text).join('; ')}`,
    summary: `${role.login ? 'Login role' : 'Group role'}; member of ${role.memberOf.join(', ') || 'no role'}.`,
    value: problems.length,
    expected: 'least privilege',
    evidence: [describe(role)],
  };
}

const CONNECTION_AUTHORIZED = /^connection authorized: user=(\S+)/;

/** Who logged in during the window, from log_connections lines; no lines at all means the logs cannot tell. */
async function loginsInWindow(ctx: CheckContext): Promise<Pick<RolesData, 'loggedIn' | 'loginsUnknown'>> {
  let scan;
  try {
    scan = await ctx.scanLogs(LOGIN_PHRASES);
  } catch (err) {
    return { loginsUnknown: err instanceof SourceMissing ? 'no log source (pass --log-file or --rds-instance)' : messageOf(err).replace(/\.$/, '') };
  }
  const users = new Set<string>();
  let lines = 0;
  for await (const record of scan.records) {
    const user = CONNECTION_AUTHORIZED.exec(record.message)?.[1] ?? record.user;
    if (!user) continue;
    lines++;
    users.add(user);
  }
  if (lines === 0) return { loginsUnknown: `no "connection authorized" line in ${scan.origin} (is log_connections on?)` };
  return { loggedIn: [...users] };
}

function describe(role: RoleRow): Record<string, unknown> {
  const attributes = (['superuser', 'createdb', 'createrole', 'replication', 'bypassrls'] as const).filter((a) => role[a]);
  return {
    role: role.name,
    login: role.login,
    attributes: attributes.join(' '),
    memberOf: role.memberOf.join(', '),
    passwordExpiry: role.validUntil ? role.validUntil.toISOString().slice(0, 10) : null,
  };
}
