/**
 * What a CloudTrail event did to the database's security, read from its requestParameters: "snapshot X made public",
 * not "ModifyDBSnapshotAttribute". Each rule is data (the events it reads) plus one function from the request to the
 * acts it finds. An act weakens a control, restores one, or is a plain change; `done` is how it reads once done
 * ("snapshot X made public"), `attempt` how it reads as something tried ("make snapshot X public").
 */
import type { Severity } from '../status.js';

export interface Act {
  effect: 'weakens' | 'restores' | 'changes';
  done: string;
  attempt: string;
  /** How much it matters: high for what weakens a control, critical for what exposes data at once, low for a restore. */
  severity: Severity;
  /** What to do about this act, when it differs from the check's general advice. */
  fix?: string;
}

/** What a rule knows beside the request: the database port (for ingress rules) and the caller's account. */
export interface ActContext {
  port: number;
  account?: string;
}

interface ActRule {
  events: readonly string[];
  acts(request: Record<string, any>, context: ActContext): Act[];
}

const DEFAULT_SEVERITY: Record<Act['effect'], Severity> = { weakens: 'high', restores: 'low', changes: 'medium' };
const act = (effect: Act['effect'], done: string, attempt: string, more: { severity?: Severity; fix?: string } = {}): Act => ({ effect, done, attempt, severity: more.severity ?? DEFAULT_SEVERITY[effect], ...(more.fix ? { fix: more.fix } : {}) });
const on = (value: unknown) => value === true || value === 'true';
const off = (value: unknown) => value === false || value === 'false';

/** Parameter values that turn a security or logging setting off, and those that turn it on. */
const PARAMETERS: Record<string, { off: RegExp; on: RegExp; what: string }> = {
  'rds.force_ssl': { off: /^0$/, on: /^1$/, what: 'SSL enforcement (rds.force_ssl)' },
  log_statement: { off: /^none$/i, on: /^(ddl|mod|all)$/i, what: 'statement logging (log_statement)' },
  log_connections: { off: /^(0|off|false)$/i, on: /^(1|on|true)$/i, what: 'connection logging (log_connections)' },
  log_disconnections: { off: /^(0|off|false)$/i, on: /^(1|on|true)$/i, what: 'disconnection logging (log_disconnections)' },
  'pgaudit.log': { off: /^none$/i, on: /./, what: 'pgaudit (pgaudit.log)' },
  password_encryption: { off: /^md5$/i, on: /^scram-sha-256$/i, what: 'SCRAM password hashing (password_encryption)' },
};

const INSTANCE_SETTINGS: Array<{ key: string; weakens(value: unknown): boolean; restores(value: unknown): boolean; off: string; on: string; severity: Severity; fix: string }> = [
  { key: 'publiclyAccessible', weakens: on, restores: off, off: 'made publicly accessible', on: 'made private', severity: 'critical', fix: 'Make it private again at once (aws rds modify-db-instance --no-publicly-accessible --apply-immediately) and look for connections from outside the VPC since the change.' },
  { key: 'deletionProtection', weakens: off, restores: on, off: 'deletion protection turned off', on: 'deletion protection turned on', severity: 'medium', fix: 'Turn it back on (aws rds modify-db-instance --deletion-protection) unless a decommissioning ticket explains it.' },
  { key: 'enableIAMDatabaseAuthentication', weakens: off, restores: on, off: 'IAM database authentication turned off', on: 'IAM database authentication turned on', severity: 'medium', fix: 'Turn it back on (aws rds modify-db-instance --enable-iam-database-authentication) and ask why it was turned off.' },
  { key: 'backupRetentionPeriod', weakens: (v) => Number(v) === 0, restores: () => false, off: 'automated backups turned off (retention 0 days)', on: '', severity: 'high', fix: 'Set the retention back (aws rds modify-db-instance --backup-retention-period 7): with 0 every automated backup is deleted and point-in-time recovery is gone.' },
];

function instanceActs(request: Record<string, any>): Act[] {
  const name = request.dBInstanceIdentifier ?? request.dBClusterIdentifier ?? 'the instance';
  const acts: Act[] = [];
  if (request.masterUserPassword !== undefined) acts.push(act('weakens', `master user password of ${name} reset`, `reset the master user password of ${name}`, { fix: 'Confirm the reset with its actor; if nobody asked for it, reset the password again (from Secrets Manager), end the sessions of the master user and review what it did since.' }));
  for (const setting of INSTANCE_SETTINGS) {
    const value = request[setting.key];
    if (value === undefined) continue;
    if (setting.weakens(value)) acts.push(act('weakens', `${name}: ${setting.off}`, `change ${name}: ${setting.off}`, setting));
    else if (setting.restores(value)) acts.push(act('restores', `${name}: ${setting.on}`, `change ${name}: ${setting.on}`));
  }
  const exports = request.cloudwatchLogsExportConfiguration ?? {};
  if (exports.disableLogTypes?.length) acts.push(act('weakens', `${name}: export of the ${exports.disableLogTypes.join(', ')} log to CloudWatch stopped`, `stop exporting the ${exports.disableLogTypes.join(', ')} log of ${name}`, { fix: `Export it again (aws rds modify-db-instance --cloudwatch-logs-export-configuration '{"EnableLogTypes":["${exports.disableLogTypes.join('","')}"]}'); what happened while it was off is only in the instance's own log files.` }));
  if (exports.enableLogTypes?.length) acts.push(act('restores', `${name}: export of the ${exports.enableLogTypes.join(', ')} log to CloudWatch started`, `export the ${exports.enableLogTypes.join(', ')} log of ${name}`));
  return acts;
}

function parameterActs(request: Record<string, any>): Act[] {
  const group = request.dBParameterGroupName ?? request.dBClusterParameterGroupName ?? 'a parameter group';
  return (request.parameters ?? []).flatMap((parameter: { parameterName?: string; parameterValue?: string }): Act[] => {
    const known = PARAMETERS[parameter.parameterName ?? ''];
    const value = String(parameter.parameterValue ?? '');
    if (!known) return [];
    if (known.off.test(value)) return [act('weakens', `${known.what} turned off in ${group} (${parameter.parameterName} = ${value})`, `turn off ${known.what} in ${group}`, { fix: `Set ${parameter.parameterName} back in ${group} (aws rds modify-db-parameter-group), then check what the instance did while it was off.` })];
    if (known.on.test(value)) return [act('restores', `${known.what} turned on in ${group} (${parameter.parameterName} = ${value})`, `turn on ${known.what} in ${group}`)];
    return [];
  });
}

function snapshotShareActs(request: Record<string, any>): Act[] {
  if (request.attributeName !== 'restore') return [];
  const snapshot = request.dBSnapshotIdentifier ?? request.dBClusterSnapshotIdentifier ?? 'a snapshot';
  const accounts = (values: unknown) => ((values ?? []) as string[]).filter((v) => v !== 'all');
  const acts: Act[] = [];
  if ((request.valuesToAdd ?? []).includes('all')) acts.push(act('weakens', `snapshot ${snapshot} made public (restore = all)`, `make snapshot ${snapshot} public`, { severity: 'critical', fix: `Make it private at once (aws rds modify-db-snapshot-attribute --db-snapshot-identifier ${snapshot} --attribute-name restore --values-to-remove all); treat the data as read by anyone.` }));
  if (accounts(request.valuesToAdd).length) acts.push(act('weakens', `snapshot ${snapshot} shared with account ${accounts(request.valuesToAdd).join(', ')}`, `share snapshot ${snapshot} with account ${accounts(request.valuesToAdd).join(', ')}`, { fix: `Confirm the account is yours; otherwise remove it (--values-to-remove ${accounts(request.valuesToAdd).join(' ')}) and treat the data as copied.` }));
  if ((request.valuesToRemove ?? []).includes('all')) acts.push(act('restores', `snapshot ${snapshot} made private`, `make snapshot ${snapshot} private`));
  if (accounts(request.valuesToRemove).length) acts.push(act('restores', `snapshot ${snapshot} no longer shared with account ${accounts(request.valuesToRemove).join(', ')}`, `stop sharing snapshot ${snapshot} with account ${accounts(request.valuesToRemove).join(', ')}`));
  return acts;
}

function copyActs(request: Record<string, any>, context: ActContext): Act[] {
  const source = request.sourceDBSnapshotIdentifier ?? request.sourceDBClusterSnapshotIdentifier ?? 'a snapshot';
  const key = request.kmsKeyId as string | undefined;
  if (!key) return [act('changes', `snapshot ${source} copied`, `copy snapshot ${source}`)];
  const keyAccount = /^arn:[^:]+:kms:[^:]*:(\d{12}):/.exec(key)?.[1];
  const foreign = keyAccount !== undefined && context.account !== undefined && keyAccount !== context.account;
  return [act(foreign ? 'weakens' : 'changes', `snapshot ${source} copied under KMS key ${key}${foreign ? ` of another account (${keyAccount})` : ''}`, `copy snapshot ${source} under KMS key ${key}`, foreign ? { severity: 'critical', fix: `Delete the copy, find who controls account ${keyAccount}, and treat the data as taken: whoever holds that key can restore it.` } : {})];
}

function restoreActs(request: Record<string, any>): Act[] {
  const name = request.dBInstanceIdentifier ?? request.targetDBInstanceIdentifier ?? request.dBClusterIdentifier ?? 'an instance';
  const from = request.dBSnapshotIdentifier ?? request.snapshotIdentifier ?? request.sourceDBInstanceIdentifier ?? 'a backup';
  const open = on(request.publiclyAccessible);
  return [act(open ? 'weakens' : 'changes', `${name} restored from ${from}${open ? ', publicly accessible' : ''}`, `restore ${name} from ${from}`, open ? { severity: 'critical', fix: `Make ${name} private or delete it: a restored copy carries every row of the snapshot and its old passwords.` } : {})];
}

function deleteActs(request: Record<string, any>): Act[] {
  const name = request.dBInstanceIdentifier ?? request.dBClusterIdentifier ?? 'an instance';
  const lost = [on(request.skipFinalSnapshot) && 'without a final snapshot', on(request.deleteAutomatedBackups) && 'with its automated backups'].filter(Boolean);
  return [act(lost.length ? 'weakens' : 'changes', `${name} deleted${lost.length ? ` ${lost.join(' and ')}` : ''}`, `delete ${name}${lost.length ? ` ${lost.join(' and ')}` : ''}`, lost.length ? { severity: 'critical', fix: 'Restore from the newest snapshot that is left (manual snapshots, AWS Backup, a cross-region copy) and revoke the credentials that deleted it until the deletion is explained.' } : {})];
}

/** The internet-wide ranges of an EC2 ingress request that reach the database port (or every port). */
function openRanges(request: Record<string, any>, port: number): string[] {
  return (request.ipPermissions?.items ?? []).flatMap((permission: any) => {
    const covers = permission.ipProtocol === '-1' || (Number(permission.fromPort) <= port && port <= Number(permission.toPort));
    if (!covers) return [];
    const v4 = (permission.ipRanges?.items ?? []).map((r: any) => r.cidrIp).filter((c: string) => c === '0.0.0.0/0');
    const v6 = (permission.ipv6Ranges?.items ?? []).map((r: any) => r.cidrIpv6).filter((c: string) => c === '::/0');
    return [...v4, ...v6];
  });
}

function ingressActs(request: Record<string, any>, context: ActContext, authorize: boolean): Act[] {
  const group = request.groupId ?? request.groupName ?? 'a security group';
  const ranges = openRanges(request, context.port);
  if (ranges.length === 0) return [act('changes', `ingress rules of ${group} ${authorize ? 'added' : 'removed'}`, `${authorize ? 'add' : 'remove'} ingress rules of ${group}`)];
  return authorize
    ? [act('weakens', `port ${context.port} of ${group} opened to the internet (${ranges.join(', ')})`, `open port ${context.port} of ${group} to the internet (${ranges.join(', ')})`, { severity: 'critical', fix: `Revoke the rule at once (aws ec2 revoke-security-group-ingress --group-id ${group} …) and look for failed and successful logins from outside the VPC since (dbsec respond failed-auth).` })]
    : [act('restores', `internet access (${ranges.join(', ')}) to port ${context.port} of ${group} removed`, `remove internet access to port ${context.port} of ${group}`)];
}

const RULES: readonly ActRule[] = [
  { events: ['ModifyDBInstance', 'ModifyDBCluster'], acts: instanceActs },
  { events: ['ModifyDBParameterGroup', 'ModifyDBClusterParameterGroup'], acts: parameterActs },
  {
    events: ['ResetDBParameterGroup', 'ResetDBClusterParameterGroup'],
    acts: (r) => (on(r.resetAllParameters) ? [act('weakens', `every parameter of ${r.dBParameterGroupName ?? r.dBClusterParameterGroupName} reset to the engine default (SSL enforcement and logging included)`, `reset every parameter of ${r.dBParameterGroupName ?? r.dBClusterParameterGroupName}`, { fix: 'Re-apply the group from its source of truth (Terraform), then run dbsec monthly: rds.force_ssl, logging and pgaudit settings are back at their defaults.' })] : parameterActs(r)),
  },
  { events: ['ModifyDBSnapshotAttribute', 'ModifyDBClusterSnapshotAttribute'], acts: snapshotShareActs },
  { events: ['CopyDBSnapshot', 'CopyDBClusterSnapshot'], acts: copyActs },
  { events: ['RestoreDBInstanceFromDBSnapshot', 'RestoreDBInstanceToPointInTime', 'RestoreDBClusterFromSnapshot', 'RestoreDBClusterToPointInTime'], acts: restoreActs },
  { events: ['DeleteDBInstance', 'DeleteDBCluster'], acts: deleteActs },
  { events: ['AuthorizeSecurityGroupIngress'], acts: (r, c) => ingressActs(r, c, true) },
  { events: ['RevokeSecurityGroupIngress'], acts: (r, c) => ingressActs(r, c, false) },
];

/** The acts one event did (none for an event no rule reads). */
export function actsOf(eventName: string, request: unknown, context: ActContext): Act[] {
  const rule = RULES.find((r) => r.events.includes(eventName));
  return rule && request && typeof request === 'object' ? rule.acts(request as Record<string, any>, context) : [];
}
