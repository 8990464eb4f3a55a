import { z } from 'zod';
import { capitalize } from '../../plural.js';
import { defineCheck, type FindingDraft } from '../types.js';
import { ifConfigured, SourceMissing } from '../../errors.js';
import { describeKmsKeys, type KmsKey } from '../../sources/kms-keys.js';
import { normalizeSetting, rdsParameters } from '../../sources/parameters.js';
import type { CheckContext } from '../../context.js';
import { allPages } from '../../sources/aws.js';

interface KeyInfo extends KmsKey {
  /** What the key protects: storage, Performance Insights. */
  uses: string[];
}

interface ManualSnapshot {
  id: string;
  encrypted: boolean;
  keyId?: string;
  /** The account of a key outside the instance's account: it cannot be described, and its owner can read the copy. */
  foreignAccount?: string;
}

interface RdsEncryption {
  instance: string;
  storageEncrypted: boolean;
  keys: KeyInfo[];
  /** The instance's manual snapshots (copies made by hand or by a backup job): their keys are reviewed too. */
  snapshots?: ManualSnapshot[];
  forceSsl?: string;
  engineMajor: number;
}

interface HbaRule {
  line: number;
  type: string;
  database: string;
  user: string;
  address: string | null;
  method: string;
}

interface ServerEncryption {
  ssl: string;
  /** undefined: pg_hba_file_rules could not be read (it needs superuser, or a grant on it). */
  hba?: HbaRule[];
}

interface EncryptionData {
  rds?: RdsEncryption;
  server?: ServerEncryption;
}

const LOOPBACK = /^(127\.|::1$|localhost$)/;

export default defineCheck({
  meta: {
    id: 'monthly.encryption',
    title: 'Encryption at rest and in transit',
    area: 'encryption',
    cadence: 'monthly',
    sources: ['rds', 'kms', 'postgres'],
    sees: 'present',
    runbook: 'Monthly Security Audit §4: Encryption Verification',
    remediation: {
      rds: 'At rest: an unencrypted instance can only be encrypted by restoring an encrypted snapshot copy (aws rds copy-db-snapshot --kms-key-id …); use a customer managed KMS key with rotation on (aws kms enable-key-rotation). In transit: set rds.force_ssl = 1 in the parameter group.',
      selfHosted:
        "Set ssl = on with a certificate (ssl_cert_file, ssl_key_file) and change the pg_hba.conf 'host' rules for remote addresses to 'hostssl', then SELECT pg_reload_conf(). At rest: encrypt the data directory's volume (LUKS, or the cloud provider's disk encryption) and the backups.",
    },
  },
  options: z.object({
    /** An AWS managed key (aws/rds) cannot have its key policy or rotation controlled: a finding when true. */
    requireCustomerManagedKey: z.boolean().default(true),
  }),
  async collect(ctx): Promise<EncryptionData> {
    if (ctx.target.rdsInstance) return { rds: await rdsEncryption(ctx) };
    const server = await ifConfigured(() => serverEncryption(ctx));
    if (!server) throw new SourceMissing('no RDS instance or database: pass --rds-instance ID or --database-url');
    return { server };
  },
  evaluate({ rds, server }, options): FindingDraft[] {
    const findings = [...(rds ? rdsFindings(rds, options.requireCustomerManagedKey) : []), ...(server ? serverFindings(server) : [])];
    if (findings.length > 0) return findings;
    if (rds) {
      return [{ status: 'ok', resource: rds.instance, title: `${rds.instance} is encrypted at rest and forces TLS`, summary: rds.keys.map((k) => `${k.uses.join(' and ')}: ${k.metadata.KeyManager === 'CUSTOMER' ? 'customer managed' : 'AWS managed'} key, rotation ${k.rotation ? 'on' : 'n/a'}`).join('; ') + '.', value: 0, evidence: rds.keys.map(keyEvidence) }];
    }
    const hba = server!.hba ? `${server!.hba.length} pg_hba rules, none allowing remote connections without TLS` : 'pg_hba rules could not be read (needs superuser or GRANT SELECT ON pg_hba_file_rules)';
    return [{ status: 'ok', resource: 'ssl', title: 'ssl is on', summary: `${hba}.`, value: 0, evidence: server!.hba?.map((r) => ({ ...r })) ?? [] }];
  },
});

async function rdsEncryption(ctx: CheckContext): Promise<RdsEncryption> {
  const instance = await ctx.rdsInstance();
  const uses = new Map<string, string[]>();
  if (instance.StorageEncrypted && instance.KmsKeyId) uses.set(instance.KmsKeyId, ['storage']);
  if (instance.PerformanceInsightsEnabled && instance.PerformanceInsightsKMSKeyId) {
    uses.set(instance.PerformanceInsightsKMSKeyId, [...(uses.get(instance.PerformanceInsightsKMSKeyId) ?? []), 'Performance Insights']);
  }
  const account = /^arn:[^:]+:rds:[^:]*:(\d{12}):/.exec(instance.DBInstanceArn ?? '')?.[1];
  const snapshots = (await manualSnapshots(ctx)).map((snapshot): ManualSnapshot => {
    const keyAccount = /^arn:[^:]+:kms:[^:]*:(\d{12}):/.exec(snapshot.keyId ?? '')?.[1];
    return { ...snapshot, ...(keyAccount && account && keyAccount !== account ? { foreignAccount: keyAccount } : {}) };
  });
  // A snapshot under the instance's own key is covered by that key's review; another key of the account gets its own.
  const instanceKeys = new Set(uses.keys());
  for (const snapshot of snapshots) {
    if (snapshot.encrypted && snapshot.keyId && !snapshot.foreignAccount && !instanceKeys.has(snapshot.keyId)) uses.set(snapshot.keyId, [...(uses.get(snapshot.keyId) ?? []), `snapshot ${snapshot.id}`]);
  }
  const keys: KeyInfo[] = (await describeKmsKeys(ctx, [...uses.keys()])).map((key) => ({ ...key, uses: uses.get(key.id)! }));
  const { parameters } = await rdsParameters(ctx);
  return {
    instance: ctx.target.rdsInstance!,
    storageEncrypted: instance.StorageEncrypted === true,
    keys,
    snapshots,
    forceSsl: parameters.get('rds.force_ssl')?.value,
    engineMajor: Number.parseInt(instance.EngineVersion ?? '0', 10),
  };
}

async function manualSnapshots(ctx: CheckContext): Promise<Array<Omit<ManualSnapshot, 'foreignAccount'>>> {
  const { sdk, client } = await ctx.aws().rds();
  const pages = await allPages('rds:DescribeDBSnapshots', sdk.paginateDescribeDBSnapshots({ client }, { DBInstanceIdentifier: ctx.target.rdsInstance!, SnapshotType: 'manual' }));
  return pages.flatMap((page) => page.DBSnapshots ?? []).map((s) => ({ id: s.DBSnapshotIdentifier ?? '?', encrypted: s.Encrypted === true, ...(s.KmsKeyId ? { keyId: s.KmsKeyId } : {}) }));
}

async function serverEncryption(ctx: CheckContext): Promise<ServerEncryption> {
  const pg = await ctx.pg();
  const [row] = await pg.query<{ ssl: string }>(`SELECT current_setting('ssl') AS ssl`);
  const hba = await pg
    .query<HbaRule>(
      `SELECT line_number AS line, type, array_to_string(database, ',') AS database, array_to_string(user_name, ',') AS "user", address, auth_method AS method
         FROM pg_hba_file_rules WHERE error IS NULL ORDER BY line_number`,
    )
    .catch(() => undefined);
  return { ssl: row!.ssl, hba };
}

function rdsFindings(rds: RdsEncryption, requireCustomerManagedKey: boolean): FindingDraft[] {
  const findings: FindingDraft[] = [];
  if (!rds.storageEncrypted) {
    findings.push({ status: 'investigate', resource: `${rds.instance} StorageEncrypted`, title: `${rds.instance} is not encrypted at rest`, summary: 'Its storage, automated backups, snapshots and read replicas are all unencrypted.', value: 'false', expected: 'true' });
  }
  for (const key of rds.keys) {
    const what = `the ${key.uses.join(' and ')} key of ${rds.instance}`;
    if (key.metadata.KeyState !== 'Enabled') {
      findings.push({ status: 'investigate', resource: key.id, title: `${capitalize(what)} is ${key.metadata.KeyState}`, summary: 'A key that is disabled or pending deletion makes the data unreadable once the instance restarts.', value: String(key.metadata.KeyState), expected: 'Enabled' });
    }
    if (key.metadata.KeyManager !== 'CUSTOMER' && requireCustomerManagedKey) {
      findings.push({ status: 'monitor', resource: key.id, title: `${capitalize(what)} is an AWS managed key`, summary: 'Its key policy cannot be restricted and snapshots encrypted with it cannot be shared or copied across accounts.', value: 'AWS', expected: 'CUSTOMER' });
    }
    if (key.metadata.KeyManager === 'CUSTOMER' && key.rotation !== true) {
      findings.push({ status: 'monitor', resource: key.id, title: `Automatic rotation is off for ${what}`, summary: 'The same key material encrypts the data for as long as the key exists.', value: 'off', expected: 'on' });
    }
  }
  for (const snapshot of rds.snapshots ?? []) {
    if (!snapshot.encrypted) {
      findings.push({ status: 'investigate', resource: `snapshot ${snapshot.id}`, title: `Manual snapshot ${snapshot.id} of ${rds.instance} is not encrypted`, summary: 'Anyone it is shared with, and anyone who can restore it, reads the data as it was.', value: 'false', expected: 'true' });
    } else if (snapshot.foreignAccount) {
      findings.push({ status: 'investigate', resource: `snapshot ${snapshot.id}`, title: `Manual snapshot ${snapshot.id} of ${rds.instance} is encrypted with a key of another account (${snapshot.foreignAccount})`, summary: `Whoever controls ${snapshot.keyId} can decrypt a copy of the data; a copy under a foreign key is how data is moved out of an account.`, value: snapshot.keyId!, expected: 'a key of the instance\'s account' });
    }
  }
  // RDS defaults rds.force_ssl to 1 from PostgreSQL 15 on, and to 0 before.
  const forceSsl = rds.forceSsl ?? (rds.engineMajor >= 15 ? '1' : '0');
  if (normalizeSetting(forceSsl) !== 'on') {
    findings.push({ status: 'investigate', resource: `${rds.instance} rds.force_ssl`, title: `rds.force_ssl is ${forceSsl}${rds.forceSsl === undefined ? ' (engine default)' : ''} on ${rds.instance}`, summary: 'Clients may connect without TLS, sending passwords and data in clear text.', value: forceSsl, expected: '1' });
  }
  return findings;
}

function serverFindings(server: ServerEncryption): FindingDraft[] {
  const findings: FindingDraft[] = [];
  const sslOn = normalizeSetting(server.ssl) === 'on';
  if (!sslOn) {
    findings.push({ status: 'investigate', resource: 'ssl', title: 'ssl is off', summary: 'The server accepts no TLS connections: every password and row crosses the network in clear text.', value: server.ssl, expected: 'on' });
  }
  for (const rule of server.hba ?? []) {
    if (rule.method === 'reject' || !rule.type.startsWith('host') || rule.type === 'hostssl' || rule.type === 'hostgssenc') continue;
    if (rule.address && LOOPBACK.test(rule.address)) continue;
    const explicit = rule.type === 'hostnossl';
    findings.push({
      status: explicit || !sslOn ? 'investigate' : 'monitor',
      resource: `pg_hba.conf line ${rule.line}`,
      title: `pg_hba.conf line ${rule.line} allows ${explicit ? 'only ' : ''}non-TLS connections from ${rule.address ?? 'any address'}`,
      summary: `${rule.type} ${rule.database} ${rule.user} ${rule.address ?? ''} ${rule.method}: use hostssl so a client cannot fall back to clear text.`.replace(/\s+/g, ' '),
      value: rule.type,
      expected: 'hostssl',
    });
  }
  return findings;
}

function keyEvidence(key: KeyInfo) {
  return { key: key.id, uses: key.uses.join(', '), state: key.metadata.KeyState ?? '?', manager: key.metadata.KeyManager ?? '?', rotation: key.rotation ?? null };
}

