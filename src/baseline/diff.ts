import type { FindingDraft } from '../checks/types.js';
import { capitalize } from '../plural.js';
import type { Level } from '../status.js';
import type { BaselineContent, Section } from './capture.js';

type Kind = 'added' | 'removed' | 'changed';
type Row = Record<string, unknown>;

/** How much a difference in each section matters, and what it means; every rule is one line of data. */
interface SectionRule {
  label: string;
  rate(kind: Kind, before: Row | undefined, after: Row | undefined): { level: Level; meaning: string };
}

const AUDIT_SETTINGS = /^(log_|logging_collector|pgaudit\.|shared_preload_libraries|ssl|password_encryption|rds\.force_ssl|listen_addresses|hba_file|fsync|full_page_writes)/;
const POWERS = ['superuser', 'createrole', 'bypassrls', 'replication'] as const;
const POWERFUL_ROLES = /-> (rds_superuser|pg_write_all_data|pg_read_all_data|pg_read_server_files|pg_write_server_files|pg_execute_server_program)$/;

const RULES: Record<keyof BaselineContent, SectionRule> = {
  functions: {
    label: 'function',
    rate(kind, before, after) {
      if (kind === 'changed' && before!.bodySha256 !== after!.bodySha256) return { level: 'investigate', meaning: 'its body changed: code tampering unless it was deployed' };
      if (after?.securityDefiner === true && before?.securityDefiner !== true) return { level: 'investigate', meaning: kind === 'added' ? 'a new SECURITY DEFINER function runs with its owner’s rights' : 'it became SECURITY DEFINER' };
      if (kind === 'changed') return { level: 'investigate', meaning: 'its owner, language or settings changed' };
      return { level: 'monitor', meaning: kind === 'added' ? 'a new function' : 'the function was dropped' };
    },
  },
  triggers: { label: 'trigger', rate: (kind) => ({ level: 'investigate', meaning: kind === 'changed' ? 'the trigger was redefined or disabled' : kind === 'added' ? 'a new trigger runs code on every change' : 'a trigger was dropped (an audit trigger?)' }) },
  eventTriggers: { label: 'event trigger', rate: () => ({ level: 'investigate', meaning: 'event triggers run code on DDL, as their owner' }) },
  roles: {
    label: 'role',
    rate(kind, before, after) {
      const gained = POWERS.filter((p) => after?.[p] === true && before?.[p] !== true);
      if (gained.length > 0) return { level: 'investigate', meaning: `${kind === 'added' ? 'a new role with' : 'it gained'} ${gained.join(', ').toUpperCase()}` };
      if (kind === 'added') return { level: 'monitor', meaning: after!.login ? 'a new login role' : 'a new group role' };
      if (kind === 'removed') return { level: 'monitor', meaning: 'the role was dropped' };
      return { level: 'monitor', meaning: 'its attributes changed' };
    },
  },
  memberships: { label: 'membership', rate: (kind) => ({ level: 'monitor', meaning: kind === 'added' ? 'a new role membership' : kind === 'removed' ? 'a membership was revoked' : 'its ADMIN OPTION changed' }) },
  defaultPrivileges: { label: 'default privilege', rate: (kind) => ({ level: 'monitor', meaning: kind === 'added' ? 'future objects will carry a new grant' : 'a default privilege changed' }) },
  acls: { label: 'grant', rate: (kind) => ({ level: 'monitor', meaning: kind === 'added' ? 'a new grant' : kind === 'removed' ? 'a grant was revoked' : 'its GRANT OPTION changed' }) },
  extensions: { label: 'extension', rate: (kind) => ({ level: 'monitor', meaning: kind === 'added' ? 'a new extension (new functions, possibly untrusted code)' : kind === 'removed' ? 'an extension was dropped' : 'the extension was updated' }) },
  settings: {
    label: 'setting',
    rate: (kind, before, after) => ({ level: 'monitor', meaning: kind === 'changed' ? `moved from ${String(before!.value)} to ${String(after!.value)}` : kind === 'added' ? 'a new setting appeared' : 'the setting disappeared' }),
  },
  hbaRules: { label: 'pg_hba rule', rate: (kind) => ({ level: 'investigate', meaning: kind === 'added' ? 'a new pg_hba.conf rule lets clients in' : kind === 'removed' ? 'a pg_hba.conf rule was removed' : 'a pg_hba.conf rule changed' }) },
  policies: { label: 'row-level security policy', rate: (kind) => ({ level: 'investigate', meaning: kind === 'added' ? 'a new policy' : kind === 'removed' ? 'a policy was dropped: rows it hid may be visible' : 'the policy changed' }) },
  rowSecurity: { label: 'row-level security', rate: (kind) => ({ level: kind === 'added' ? 'monitor' : 'investigate', meaning: kind === 'added' ? 'row-level security was turned on' : 'row-level security was turned off or changed' }) },
  rdsParameters: { label: 'RDS parameter', rate: (kind, before, after) => ({ level: 'monitor', meaning: kind === 'changed' ? `moved from ${String(before!.value)} to ${String(after!.value)}` : `the parameter was ${kind}` }) },
};

/** Every difference between two baselines, one finding each, worst first per section order. */
export function diffBaselines(before: BaselineContent, after: BaselineContent): FindingDraft[] {
  const findings: FindingDraft[] = [];
  for (const name of Object.keys(RULES) as Array<keyof BaselineContent>) {
    const rule = RULES[name];
    const a: Section = before[name] ?? {};
    const b: Section = after[name] ?? {};
    for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      const was = a[key];
      const now = b[key];
      const kind: Kind | undefined = !was ? 'added' : !now ? 'removed' : JSON.stringify(was) !== JSON.stringify(now) ? 'changed' : undefined;
      if (!kind) continue;
      let { level, meaning } = rule.rate(kind, was, now);
      if (name === 'settings' && AUDIT_SETTINGS.test(key)) level = 'investigate';
      if (name === 'memberships' && kind === 'added' && POWERFUL_ROLES.test(key)) level = 'investigate';
      if (name === 'acls' && kind === 'added' && key.includes(' PUBLIC ')) level = 'investigate';
      findings.push({
        status: level,
        resource: `${name} ${key}`,
        title: `${capitalize(rule.label)} ${key} ${kind}`,
        summary: `${capitalize(meaning)}.`,
        value: now ? summarize(now) : '(absent)',
        expected: was ? summarize(was) : '(absent)',
        evidence: [{ section: name, key, change: kind, before: was ? summarize(was) : null, after: now ? summarize(now) : null }],
      });
    }
  }
  return findings;
}

function summarize(row: Row): string {
  return Object.entries(row)
    .map(([k, v]) => `${k}=${typeof v === 'string' && /^[0-9a-f]{64}$/.test(v) ? v.slice(0, 12) : String(v)}`)
    .join(' ');
}

