import connections from '../../src/checks/daily/connections.js';
import longRunning from '../../src/checks/daily/long-running-queries.js';
import tablePrivileges from '../../src/checks/weekly/table-privileges.js';
import queryPatterns from '../../src/checks/weekly/query-patterns.js';
import dbUsers from '../../src/checks/weekly/db-users.js';
import accessControl from '../../src/checks/monthly/access-control.js';
import alarms from '../../src/checks/daily/cloudwatch-alarms.js';
import cpu from '../../src/checks/daily/cpu.js';
import securityGroups from '../../src/checks/weekly/security-groups.js';
import backups from '../../src/checks/weekly/backups.js';
import instanceConfig from '../../src/checks/monthly/instance-config.js';
import cloudtrail, { type TrailEvent } from '../../src/checks/daily/cloudtrail-rds-changes.js';
import lifecycle from '../../src/checks/monthly/lifecycle.js';
import eventSubscriptions from '../../src/checks/monthly/event-subscriptions.js';
import alarmCoverage from '../../src/checks/monthly/alarm-coverage.js';
import network from '../../src/checks/monthly/network.js';
import encryption from '../../src/checks/monthly/encryption.js';
import connectionSources from '../../src/checks/respond/connection-sources.js';
import runaway from '../../src/checks/respond/runaway-queries.js';
import loggingConfig from '../../src/checks/monthly/logging-config.js';
import parameterDrift from '../../src/checks/monthly/parameter-drift.js';
import compliance from '../../src/checks/monthly/compliance.js';
import type { ActivitySnapshot } from '../../src/sources/pg-activity.js';
import { checkTester, recorded } from '../helpers/check-tester.js';

/**
 * checkTester tables: each check's evaluate() on what a real PostgreSQL 18 showed dbsec in the demo scenario
 * (fixtures/checks, recorded by fixtures/record-check-data.mjs), as recorded or changed for one status per case.
 */
const activity = recorded<ActivitySnapshot>('daily.connections').data;
const withBackends = (count: number): ActivitySnapshot => ({ ...activity, backends: Array.from({ length: count }, (_, i) => ({ ...activity.backends[0]!, pid: 1000 + i, ssl: true })) });
const blind: ActivitySnapshot = { ...activity, seesAllSessions: false };

checkTester(connections, [
  { name: 'two sessions of 100 and every one over SSL', data: { ...activity, backends: activity.backends.map((b) => ({ ...b, ssl: true })) }, expect: 'ok', titles: ['2 of 100 connections in use (2%)', 'Every TCP session uses SSL'] },
  { name: 'the recorded sessions connect without SSL', data: activity, expect: 'monitor', titles: ['2 of 100 connections in use (2%)', '2 TCP sessions without SSL'] },
  { name: '85 of 100 connections is past 80 %', data: withBackends(85), expect: 'monitor', titles: [/^85 of 100 connections in use/, 'Every TCP session uses SSL'] },
  { name: '96 of 100 connections is past 95 %', data: withBackends(96), expect: 'investigate' },
  { name: 'a role that cannot see other sessions is not told "ok"', data: blind, expect: 'error', titles: [/pg_monitor|pg_read_all_stats/] },
]);

const longSnapshot = recorded<ActivitySnapshot>('daily.long-running-queries').data;
checkTester(longRunning, [
  { name: 'nothing has run 5 minutes yet', data: longSnapshot, expect: 'ok' },
  { name: 'the held query and the idle transaction with a 2 s threshold', data: longSnapshot, options: { minDuration: '2s', idleInTransaction: '2s' }, expect: 'investigate', titles: ['Query running for 3s (pid 16316)', 'Transaction idle for 3s (pid 16317)'] },
  { name: 'a role that cannot see other sessions', data: { ...longSnapshot, seesAllSessions: false }, expect: 'error' },
]);

const grants = recorded<{ database: string; grants: Array<{ schema: string; table: string; owner: string; grantee: string; privilege: string; grantable: boolean }> }>('weekly.table-privileges').data;
checkTester(tablePrivileges, [
  { name: 'no grant to PUBLIC, the application role expected', data: { ...grants, grants: grants.grants.filter((g) => g.grantee !== 'PUBLIC') }, options: { expectedGrantees: ['app_user'] }, expect: 'ok' },
  { name: 'the recorded SELECT granted to PUBLIC on customers', data: grants, options: { expectedGrantees: ['app_user'] }, expect: 'investigate' },
]);

const statements = recorded<Array<{ user: string; calls: number; totalMs: number; meanMs: number; rows: number; query: string }>>('weekly.query-patterns').data;
checkTester(queryPatterns, [
  { name: 'the recorded statements without the injected one', data: statements.filter((s) => !/OR \$2=\$3/.test(s.query)), expect: 'ok' },
  { name: "the recorded tautology (OR 1=1) from app_user", data: statements, expect: 'investigate' },
]);

type Roles = Parameters<typeof dbUsers.evaluate>[0];
const roles = recorded<Roles>('weekly.db-users');
const withRole = (changes: Partial<Roles['roles'][number]> & { name: string }): Roles => ({ ...roles.data, roles: roles.data.roles.map((r) => (r.name === changes.name ? { ...r, ...changes } : r)) });
checkTester(dbUsers, [
  { name: 'the recorded roles: no extra superuser, no powerful membership', data: roles.data, expect: 'ok', titles: ['4 roles, none with more privilege than expected'] },
  { name: 'reporting with CREATEROLE', data: withRole({ name: 'reporting', createrole: true }), expect: 'monitor', titles: ['Role reporting has CREATEROLE'] },
  { name: "app_user's password expired before the run", data: withRole({ name: 'app_user', validUntil: new Date('2026-11-01T00:00:00Z') }), now: roles.recordedAt, expect: 'monitor', titles: ['Role app_user has a password that expired on 2026-11-01'] },
  { name: 'app_user made SUPERUSER', data: withRole({ name: 'app_user', superuser: true }), expect: 'investigate', titles: ['Role app_user is SUPERUSER'] },
  { name: 'reporting made a member of pg_read_server_files', data: withRole({ name: 'reporting', memberOf: ['pg_read_server_files'] }), expect: 'investigate', titles: ['Role reporting is a member of pg_read_server_files'] },
  { name: 'the bootstrap superuser with a well-known password', data: { ...roles.data, wellKnownPassword: [roles.data.roles.find((r) => r.bootstrap)!.name] }, expect: 'investigate', titles: [`Role ${roles.data.roles.find((r) => r.bootstrap)!.name} has a default or well-known password`] },
  { name: 'an admin listed as such may be superuser', data: withRole({ name: 'app_user', superuser: true }), options: { admins: ['app_user'] }, expect: 'ok' },
]);

type Access = Parameters<typeof accessControl.evaluate>[0];
const access = recorded<Access>('monthly.access-control').data;
checkTester(accessControl, [
  { name: 'app_user may create in schema public when listed as an admin', data: access, options: { admins: ['app_user'] }, expect: 'ok', titles: ['No deviation from least privilege'] },
  { name: 'the recorded CREATE on schema public granted to app_user', data: access, expect: 'monitor', titles: ['app_user can CREATE in schema public'] },
  { name: 'CREATE on the database for PUBLIC', data: { ...access, acls: [...access.acls, { ...access.acls[0]!, privilege: 'CREATE' }] }, options: { admins: ['app_user'] }, expect: 'investigate', titles: ['Every role (PUBLIC) can CREATE in database postgres'] },
]);

/** The AWS checks' data as they read it through the real SDK from the local endpoint serving fixtures/aws. */
type Alarms = Parameters<typeof alarms.evaluate>[0];
const alarmData = recorded<Alarms>('daily.cloudwatch-alarms').data;
checkTester(alarms, [
  { name: 'no alarm in ALARM', data: { ...alarmData, alarms: alarmData.alarms.map((a) => ({ ...a, state: 'OK' })) }, expect: 'ok' },
  { name: 'no alarm named after the instance at all', data: { ...alarmData, alarms: [] }, expect: 'monitor', titles: ['No CloudWatch alarm is named dbsec-demo-db*'] },
  { name: 'the recorded DatabaseConnections alarm in ALARM', data: alarmData, expect: 'investigate' },
]);

type Cpu = Parameters<typeof cpu.evaluate>[0];
const cpuData = recorded<Cpu>('daily.cpu').data;
const cpuAt = (average: number): Cpu => ({ ...cpuData, points: cpuData.points.map((p, i) => (i === 3 ? { ...p, average, maximum: average + 5 } : p)) });
checkTester(cpu, [
  { name: 'the recorded hour peaks at 78.4 % with the thresholds raised', data: cpuData, options: { monitorAbove: 80, investigateAbove: 90 }, expect: 'ok' },
  { name: 'the recorded hour peaks at 78.4 %, past 70', data: cpuData, expect: 'monitor', titles: ['CPU at most 78.4% (average of 5-minute periods, last 1h)'] },
  { name: 'one period at 91 %', data: cpuAt(91), expect: 'investigate', titles: ['CPU at most 91% (average of 5-minute periods, last 1h)'] },
  { name: 'no datapoint at all is an error, never ok', data: { ...cpuData, points: [] }, expect: 'error', titles: [/no CPUUtilization datapoints for dbsec-demo-db in the last 1h/] },
]);

type Rules = Parameters<typeof securityGroups.evaluate>[0];
const rules = recorded<Rules>('weekly.security-groups').data;
checkTester(securityGroups, [
  { name: 'only the application group reaches the port', data: { ...rules, rules: rules.rules.map((r) => ({ ...r, sources: r.sources.filter((source) => source.kind === 'group') })).filter((r) => r.sources.length > 0) }, expect: 'ok' },
  { name: 'the recorded 0.0.0.0/0 on 5432', data: rules, expect: 'investigate' },
]);

type Backups = Parameters<typeof backups.evaluate>[0];
const backupData = recorded<Backups>('weekly.backups');
checkTester(backups, [
  { name: 'the recorded daily snapshots, the manual copy not shared', data: { ...backupData.data, shares: {} }, now: backupData.recordedAt, expect: 'ok' },
  { name: 'the manual copy shared with another account', data: { ...backupData.data, shares: { 'dbsec-demo-db-manual-copy': ['210987654321'] } }, now: backupData.recordedAt, expect: 'monitor' },
  { name: 'the recorded public manual copy', data: backupData.data, now: backupData.recordedAt, expect: 'investigate', titles: ['Snapshot dbsec-demo-db-manual-copy is public'] },
]);

type Instance = Parameters<typeof instanceConfig.evaluate>[0];
const instance = recorded<Instance>('monthly.instance-config').data;
checkTester(instanceConfig, [
  { name: 'the recorded instance', data: instance, expect: 'ok' },
  { name: 'made publicly accessible', data: { ...instance, PubliclyAccessible: true }, expect: 'investigate' },
  { name: 'IAM database authentication off: monitor by default', data: { ...instance, IAMDatabaseAuthenticationEnabled: false }, expect: 'monitor', titles: ['IAMDatabaseAuthenticationEnabled is false on dbsec-demo-db'] },
  { name: 'IAM database authentication off where passwords are required by choice', data: { ...instance, IAMDatabaseAuthenticationEnabled: false }, options: { requireIamAuth: false }, expect: 'ok' },
]);

type Lifecycle = Parameters<typeof lifecycle.evaluate>[0];
const { data: lifecycleData, recordedAt: lifecycleAt } = recorded<Lifecycle>('monthly.lifecycle');
const at = new Date(lifecycleAt);
checkTester(lifecycle, [
  { name: 'the recorded instance: PostgreSQL 15 in standard support, rds-ca-rsa2048-g1', data: lifecycleData, now: at, expect: 'ok', titles: ['postgres 15 is in standard support until 2028-02-29', 'rds-ca-rsa2048-g1 and the server certificate are valid until 2027-08-30'] },
  {
    name: 'PostgreSQL 13 after 2026-02-28: past standard support, on paid Extended Support',
    data: { ...lifecycleData, engineVersion: '13.20', major: '13', standardEnds: new Date('2026-02-28T23:59:59Z'), extendedEnds: new Date('2029-02-28T23:59:59Z') },
    now: at,
    expect: 'investigate',
    titles: ['postgres 13 on dbsec-demo-db is past standard support (ended 2026-02-28)', /./],
  },
  { name: 'PostgreSQL 14: standard support ends within the warning', data: { ...lifecycleData, major: '14', standardEnds: new Date('2027-02-28T23:59:59Z') }, now: at, expect: 'monitor', titles: ['Standard support for postgres 14 on dbsec-demo-db ends in 98 days (2027-02-28)', /./] },
  { name: 'a major version RDS has no calendar for is never ok', data: { ...lifecycleData, standardEnds: undefined, extendedEnds: undefined }, now: at, expect: 'monitor' },
  {
    name: 'an instance still on rds-ca-2019, expired 2024-08-22',
    data: { ...lifecycleData, ca: 'rds-ca-2019', caValidTill: new Date('2024-08-22T17:08:50Z'), serverCertificateValidTill: new Date('2024-08-22T17:08:50Z') },
    now: at,
    expect: 'investigate',
    titles: [/./, 'The CA of dbsec-demo-db (rds-ca-2019) expired on 2024-08-22'],
  },
  { name: 'the server certificate expires in a month', data: { ...lifecycleData, serverCertificateValidTill: new Date('2026-12-22T16:05:00Z') }, now: at, expect: 'monitor', titles: [/./, 'The server certificate of dbsec-demo-db (rds-ca-rsa2048-g1) expires in 30 days (2026-12-22)'] },
]);

type EventSubscriptions = Parameters<typeof eventSubscriptions.evaluate>[0];
const notified = recorded<EventSubscriptions>('monthly.event-subscriptions').data;
const [instanceEvents, groupEvents] = notified.subscriptions as [EventSubscriptions['subscriptions'][number], EventSubscriptions['subscriptions'][number]];
checkTester(eventSubscriptions, [
  { name: 'the recorded subscriptions: the instance and every parameter group', data: notified, expect: 'ok' },
  { name: 'no subscription at all', data: { ...notified, subscriptions: [] }, expect: 'monitor', titles: ['No active RDS event subscription: nobody is told of configuration changes, deletions or security events'] },
  { name: 'the parameter group subscription disabled', data: { ...notified, subscriptions: [instanceEvents, { ...groupEvents, active: false }] }, expect: 'monitor', titles: ['No RDS event subscription covers configuration change of dbsec-demo-pg15'] },
  { name: 'an instance subscription for another instance, without security events', data: { ...notified, subscriptions: [{ ...instanceEvents, sourceIds: ['billing-db'] }, { ...instanceEvents, categories: ['configuration change', 'deletion'] }, groupEvents] }, expect: 'monitor', titles: ['No RDS event subscription covers security of dbsec-demo-db'] },
  { name: 'one subscription to every category of every instance', data: { ...notified, subscriptions: [{ ...instanceEvents, sourceIds: [], categories: [] }, groupEvents] }, expect: 'ok' },
]);

type Trail = Parameters<typeof cloudtrail.evaluate>[0];
const trail = recorded<Trail>('daily.cloudtrail-rds-changes').data;
const [terraform, logOff, snapshot, shared, ingress] = trail.events as [TrailEvent, TrailEvent, TrailEvent, TrailEvent, TrailEvent];
checkTester(cloudtrail, [
  { name: 'every recorded change by an allow-listed actor', data: trail, options: { allowActors: ['terraform-ci', 'jdoe', 'contractor'] }, expect: 'ok', titles: ['5 changes, all by allow-listed actors'] },
  {
    name: 'only the Terraform change is expected: each finding names what was done',
    data: trail,
    options: { allowActors: ['terraform-ci'] },
    expect: 'investigate',
    titles: [
      'Statement logging (log_statement) turned off in dbsec-demo-pg15 (log_statement = none) by jdoe',
      'CreateDBSnapshot by jdoe',
      'Snapshot dbsec-demo-db-manual-copy made public (restore = all) by jdoe',
      'Port 5432 of sg-0a1b2c3d4e5f60718 opened to the internet (0.0.0.0/0) by contractor',
    ],
  },
  { name: "an IAM role's ARN allows the sessions that assume it", data: { ...trail, events: [terraform] }, options: { allowActors: ['arn:aws:iam::123456789012:role/terraform-ci'] }, expect: 'ok' },
  { name: 'another role of the same name prefix is not allowed by it', data: { ...trail, events: [{ ...terraform, actor: 'terraform-ci-2', arn: 'arn:aws:sts::123456789012:assumed-role/terraform-ci-2/session' }] }, options: { allowActors: ['arn:aws:iam::123456789012:role/terraform-ci'] }, expect: 'investigate' },
  { name: 'a change outside the runbook categories by an unknown actor', data: { ...trail, events: [{ ...terraform, name: 'AddTagsToResource', actor: 'jdoe', category: 'other', acts: [] }] }, expect: 'monitor' },
  { name: 'the same change from an address the actor never used in the 30 days before', data: { ...trail, events: [{ ...terraform, name: 'AddTagsToResource', actor: 'jdoe', category: 'other', acts: [], history: 'new-address' }] }, expect: 'investigate' },
  {
    name: 'a public snapshot made private again restores a control: monitor, to be confirmed',
    data: { ...trail, events: [{ ...shared, acts: [{ effect: 'restores', done: 'snapshot dbsec-demo-db-manual-copy made private', attempt: 'make snapshot dbsec-demo-db-manual-copy private' }] }] },
    expect: 'monitor',
    titles: ['Snapshot dbsec-demo-db-manual-copy made private by jdoe'],
  },
  { name: 'a failed attempt to open the port to the internet is still investigate, said as tried', data: { ...trail, events: [{ ...ingress, errorCode: 'UnauthorizedOperation' }] }, expect: 'investigate', titles: ['contractor tried to open port 5432 of sg-0a1b2c3d4e5f60718 to the internet (0.0.0.0/0) (failed: UnauthorizedOperation)'] },
  { name: 'a failed call that would weaken nothing is monitor', data: { ...trail, events: [{ ...snapshot, errorCode: 'AccessDenied' }] }, expect: 'monitor', titles: ['CreateDBSnapshot by jdoe (failed: AccessDenied)'] },
  { name: 'the log change by an unknown actor alone', data: { ...trail, events: [logOff] }, expect: 'investigate' },
]);

type Coverage = Parameters<typeof alarmCoverage.evaluate>[0];
const coverage = recorded<Coverage>('monthly.alarm-coverage').data;
checkTester(alarmCoverage, [
  { name: 'the three recorded metrics are all that is required', data: coverage, options: { requiredMetrics: ['DatabaseConnections', 'CPUUtilization', 'FreeStorageSpace'] }, expect: 'ok' },
  { name: 'the default set asks for FreeableMemory too', data: coverage, expect: 'investigate' },
]);

type Network = Parameters<typeof network.evaluate>[0];
const net = recorded<Network>('monthly.network').data;
checkTester(network, [
  { name: 'private subnets behind a NAT, flow logs on', data: net, expect: 'ok' },
  { name: 'no flow log on the VPC', data: { ...net, flowLogs: [] }, expect: 'monitor' },
  { name: 'a DB subnet routed to an internet gateway', data: { ...net, subnets: [{ ...net.subnets[0]!, internetRoutes: ['0.0.0.0/0 → igw-0abc'] }, net.subnets[1]!] }, expect: 'investigate' },
]);

type Encryption = Parameters<typeof encryption.evaluate>[0];
const encrypted = recorded<Encryption>('monthly.encryption').data;
const rds = encrypted.rds!;
checkTester(encryption, [
  { name: 'the recorded instance: encrypted with a rotated customer key, rds.force_ssl 1', data: encrypted, expect: 'ok' },
  { name: 'the key without rotation', data: { ...encrypted, rds: { ...rds, keys: rds.keys.map((k) => ({ ...k, rotation: false })) } }, expect: 'monitor' },
  { name: 'storage not encrypted', data: { ...encrypted, rds: { ...rds, storageEncrypted: false } }, expect: 'investigate' },
  { name: 'a manual snapshot copied under a key of another account', data: { ...encrypted, rds: { ...rds, snapshots: [{ id: 'export-copy', encrypted: true, keyId: 'arn:aws:kms:us-east-1:444455556666:key/abcd', foreignAccount: '444455556666' }] } }, expect: 'investigate', titles: ['Manual snapshot export-copy of dbsec-demo-db is encrypted with a key of another account (444455556666)'] },
  { name: 'an unencrypted manual snapshot', data: { ...encrypted, rds: { ...rds, snapshots: [{ id: 'old-copy', encrypted: false }] } }, expect: 'investigate', titles: ['Manual snapshot old-copy of dbsec-demo-db is not encrypted'] },
  {
    name: "a manual snapshot's own customer key without rotation",
    data: { ...encrypted, rds: { ...rds, keys: [...rds.keys, { ...rds.keys[0]!, id: 'arn:aws:kms:us-east-1:123456789012:key/other', uses: ['snapshot copy-2'], rotation: false }] } },
    expect: 'monitor',
    titles: ['Automatic rotation is off for the snapshot copy-2 key of dbsec-demo-db'],
  },
]);

const sessions = recorded<ActivitySnapshot>('respond.connection-sources').data;
const crowd = (count: number): ActivitySnapshot => ({ ...sessions, backends: Array.from({ length: count }, (_, i) => ({ ...sessions.backends[0]!, pid: 2000 + i, client: '203.0.113.9', backendSeconds: 10 })) });
checkTester(connectionSources, [
  { name: 'the two recorded sessions', data: sessions, expect: 'ok' },
  { name: 'one client and role holding 20 sessions', data: crowd(20), expect: 'investigate' },
  { name: 'a role that cannot see other sessions', data: { ...sessions, seesAllSessions: false }, expect: 'error' },
]);

const running = recorded<ActivitySnapshot>('respond.runaway-queries').data;
checkTester(runaway, [
  { name: 'nothing has run 5 minutes', data: running, expect: 'ok' },
  { name: 'the held pg_sleep past a 2 s limit', data: running, options: { runawayAfter: '2s' }, expect: 'investigate' },
  { name: 'a role that cannot see other sessions', data: { ...running, seesAllSessions: false }, expect: 'error' },
]);

type Logging = Parameters<typeof loggingConfig.evaluate>[0];
const logging = recorded<Logging>('monthly.logging-config').data;
const withSettings = (values: Record<string, string>): Logging => ({ ...logging, settings: { ...logging.settings, values: { ...logging.settings.values, ...values } } });
checkTester(loggingConfig, [
  { name: 'the recorded group: connections, disconnections, ddl and pgaudit logged, exported, kept 30 days', data: logging, expect: 'ok', titles: ['All 5 logging prerequisites are in place'] },
  { name: 'self-hosted (no export) with the same settings from pg_settings', data: { settings: { origin: 'pg_settings', values: logging.settings.values } }, expect: 'ok', titles: ['All 3 logging prerequisites are in place'] },
  { name: 'log_disconnections off', data: withSettings({ log_disconnections: '0' }), expect: 'monitor', titles: ['log_disconnections is 0'] },
  { name: 'the log group kept 7 days', data: { ...logging, export: { ...logging.export!, retentionDays: 7 } }, expect: 'monitor', titles: [/^log group .* is 7 days$/] },
  { name: 'the log export disabled', data: { ...logging, export: { ...logging.export!, exported: false } }, expect: 'investigate', titles: [/^postgresql log export of dbsec-demo-db is disabled$/] },
  { name: 'log_statement none and pgaudit not loaded', data: withSettings({ log_statement: 'none', shared_preload_libraries: 'pg_stat_statements' }), expect: 'investigate', titles: ['statement logging is log_statement = none'] },
]);

type Drift = Parameters<typeof parameterDrift.evaluate>[0];
const drift = recorded<Drift>('monthly.parameter-drift').data;
// The server as the group says it should run: every grouped value live.
const matching: Drift = { ...drift, live: new Map([...drift.live].map(([name, live]) => [name, { ...live, setting: drift.group.parameters.get(name)?.value ?? live.setting }])) };
checkTester(parameterDrift, [
  { name: 'every grouped security parameter live on the server', data: matching, expect: 'ok', titles: [/^\d+ security parameters match the running server$/] },
  { name: 'the group is pending-reboot', data: { ...matching, group: { ...matching.group, applyStatus: [{ group: 'dbsec-demo-pg15', status: 'pending-reboot' }] } }, expect: 'monitor', titles: ['Parameter group dbsec-demo-pg15 is pending-reboot on dbsec-demo-db'] },
  { name: 'the recorded demo server, not run with the group (log_statement mod against ddl…)', data: drift, expect: 'investigate', titles: [/^log_statement is mod on the server but ddl in dbsec-demo-pg15$/, /^log_min_duration_statement/, /^shared_preload_libraries/] },
]);

type Compliance = Parameters<typeof compliance.evaluate>[0];
const rollup = recorded<Compliance>('monthly.compliance').data;
const allOk: Compliance = { prior: rollup.prior.map((f) => ({ ...f, status: 'ok' as const })), awsConfig: { ...rollup.awsConfig, rules: rollup.awsConfig.rules.filter((r) => r.compliance === 'COMPLIANT') } };
checkTester(compliance, [
  { name: 'every control compliant, every AWS Config rule COMPLIANT', data: allOk, expect: 'ok', titles: [/^(\d+) of \1 controls compliant$/] },
  { name: 'one control not assessed is never ok', data: { ...allOk, prior: allOk.prior.map((f) => (f.checkId === 'monthly.network' ? { ...f, status: 'error' as const } : f)) }, expect: 'monitor', titles: [/controls compliant, 1 not assessed$/] },
  { name: 'an AWS Config rule NON_COMPLIANT', data: { ...allOk, awsConfig: rollup.awsConfig }, expect: 'monitor', titles: [/controls compliant$/, 'AWS Config rule rds-logging-enabled is NON_COMPLIANT'] },
  { name: 'the recorded month: alarm coverage and parameter drift at investigate', data: rollup, expect: 'investigate' },
  { name: 'nothing could be assessed', data: { ...rollup, prior: rollup.prior.map((f) => ({ ...f, status: 'error' as const })) }, expect: 'error', titles: [/^None of the \d+ controls could be assessed/] },
]);
