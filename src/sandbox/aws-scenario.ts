import { pinnedClock, type Clock } from '../clock.js';
import { CLOUDTRAIL_HISTORY_DAYS } from '../sources/cloudtrail-history.js';
import { accountOf, SANDBOX_ACCOUNT, serveAssumeRole, serveSecurityHub } from './security-hub.js';
import { readFileSync } from 'node:fs';
import { serveLogsInsights } from './logs-insights.js';
import { AwsEndpoint, jsonReply, page, errorReply, queryReply, xmlEscape, type AwsRequest } from './aws-endpoint.js';

/**
 * The AWS side of the sandbox: the recorded fixtures in fixtures/aws (shapes from the AWS API references; see
 * fixtures/README.md), served as recorded (tests pin their clock to AWS_RECORDED_AT) or re-timed to look fresh at
 * a given `now` (the demo), and log events read from a real PostgreSQL log file as the RDS postgresql export would
 * deliver them.
 */

/** The instant the AWS fixtures describe: a run whose clock reads this sees them as a run on that day did. */
export const AWS_RECORDED_AT = new Date('2026-11-22T16:05:00Z');

export const SANDBOX_INSTANCE = 'dbsec-demo-db';
export const SANDBOX_REGION = 'us-east-1';
export const SANDBOX_LOG_GROUP = `/aws/rds/instance/${SANDBOX_INSTANCE}/postgresql`;

/** The standard variables that point the real SDK clients at a sandbox endpoint, with throw-away credentials. */
export function sandboxAwsEnv(url: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: url,
    AWS_ACCESS_KEY_ID: 'AKIDSANDBOX',
    AWS_SECRET_ACCESS_KEY: 'sandbox-secret',
    AWS_REGION: SANDBOX_REGION,
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

const FIXTURES = new URL('../../fixtures/aws/', import.meta.url);

export function fixture(name: string): string {
  return readFileSync(new URL(name, FIXTURES), 'utf8');
}

export interface LogEvent {
  timestamp: number;
  message: string;
}

export interface ScenarioOptions {
  /**
   * Re-time the recorded data so that it looks fresh at this instant (the demo, and tests whose live PostgreSQL
   * writes its log at the real time); without it the fixtures are served as recorded, at AWS_RECORDED_AT.
   */
  now?: Date;
  /** Where the log events come from: a live server's log file, read on every request. */
  logFile?: string;
  /** Or the events themselves (the bench's million), served by FilterLogEvents and Logs Insights alike. */
  logEvents?: LogEvent[];
  /** Override fixture data (tests use these to make ok / monitor / investigate cases). */
  alarms?: { MetricAlarms: object[]; CompositeAlarms?: object[] };
  /** CPUUtilization averages of consecutive 5-minute periods, the last ending at cpuEndsAt (default: now). */
  cpuAverages?: number[];
  cpuEndsAt?: Date;
  trailEvents?: object[];
  instanceXml?: string;
  logExports?: string[];
  logGroupExists?: boolean;
  securityGroupsXml?: string;
  snapshotsXml?: string;
  /** Snapshot id → the accounts it is shared with ("all" = public); the recorded attributes otherwise. */
  snapshotShares?: Record<string, string[]>;
  /** Parameter name → value in the instance's parameter group (set or added, Source user); null removes it. */
  parameters?: Record<string, string | null>;
  /** The same for the Aurora cluster parameter group (served when the instance names a DBClusterIdentifier). */
  clusterParameters?: Record<string, string | null>;
  routeTablesXml?: string;
  flowLogsXml?: string;
  /** Changes to the recorded KMS KeyMetadata, e.g. { KeyManager: 'AWS' }; keyRotation false turns rotation off. */
  kmsKey?: Record<string, unknown>;
  keyRotation?: boolean;
  /** false: the account has no AWS Config recorder; otherwise the recorded rule results. */
  awsConfig?: boolean;
  logRetentionDays?: number | null;
  /** A Secrets Manager secret; RotateSecret runs `rotate` (the rotation Lambda's job) after delayMs, unless it fails. */
  secret?: SandboxSecret;
  /** Secrets that CreateSecret and PutSecretValue write (name → each version's SecretString, oldest first). */
  secretStore?: Map<string, string[]>;
  /** How long a snapshot made with CreateDBSnapshot stays "creating". */
  snapshotDelayMs?: number;
  /** Page sizes, small in tests so that pagination is exercised. */
  pageSize?: number;
  /**
   * A fleet: each region's DBInstance elements (fleetInstance() makes them from the recorded one), served by the
   * region a request is signed for and paged by Marker; a region not listed has none. "ACCOUNT:region" keys are the
   * regions of another account, reached through AssumeRole.
   */
  instancesByRegion?: Record<string, string[]>;
  /**
   * The organization's accounts (ListAccounts), as Organizations lists them; by default the sandbox's own and those of
   * instancesByRegion, all ACTIVE. Any other caller than the management (sandbox) account is refused.
   */
  organizationAccounts?: Array<{ Id: string; State: string }>;
  /** Role ARNs whose AssumeRole is denied (a member account whose trust policy leaves dbsec out). */
  refusedRoles?: string[];
  /** DescribeDBClusters' answer instead of the recorded Aurora cluster. */
  clusterXml?: string;
  /** DescribeEventSubscriptions' answer instead of the recorded one. */
  eventSubscriptionsXml?: string;
  /** DescribeCertificates' answer instead of the recorded one. */
  certificatesXml?: string;
  /** Where the findings BatchImportFindings accepted are kept. */
  securityHubFindings?: Array<Record<string, any>>;
  /** Finding Ids BatchImportFindings refuses (as for a finding in another account's product). */
  securityHubRefuses?: string[];
}

export interface SandboxSecret {
  id: string;
  value: Record<string, unknown>;
  rotate?: (password: string) => Promise<void>;
  delayMs?: number;
  /** The rotation never finishes: the new version stays AWSPENDING. */
  failRotation?: boolean;
}

export function sandboxEndpoint(options: ScenarioOptions): AwsEndpoint {
  const endpoint = new AwsEndpoint();
  serveSecurityHub(endpoint, options.securityHubFindings ?? [], options.securityHubRefuses ?? []);
  serveAssumeRole(endpoint, options.refusedRoles ?? []);
  const pageSize = options.pageSize ?? 50;
  const now = options.now ?? AWS_RECORDED_AT;
  const nowSeconds = Math.floor(now.getTime() / 1000);
  // The scenario's own clock: it starts at `now` and runs on, so snapshots and rotations take real time.
  const clock = pinnedClock(now);
  const retimeTo = options.now;
  const instanceXml = retimeXml(options.instanceXml ?? instanceWithExports(fixture('rds-describe-db-instances.xml'), options.logExports), 'LatestRestorableTime', retimeTo, 5 * 60_000);
  const snapshotsXml = options.snapshotsXml ?? retimeXml(fixture('rds-describe-db-snapshots.xml'), 'SnapshotCreateTime', retimeTo, 4 * 3600_000);

  // Manual snapshots made during the run: "creating" until snapshotDelayMs has passed, then "available".
  const created = new Map<string, number>();
  endpoint.on('rds.CreateDBSnapshot', (request) => {
    created.set(request.input.DBSnapshotIdentifier, clock().getTime());
    return queryReply('CreateDBSnapshot', createdSnapshotXml(request.input.DBSnapshotIdentifier, request.input.DBInstanceIdentifier, 'creating'));
  });
  endpoint.on('rds.DescribeDBSnapshots', (request) => {
    const id: string | undefined = request.input.DBSnapshotIdentifier;
    if (id && created.has(id)) {
      const status = clock().getTime() - created.get(id)! >= (options.snapshotDelayMs ?? 1500) ? 'available' : 'creating';
      return queryReply('DescribeDBSnapshots', `<DBSnapshots>${createdSnapshotXml(id, SANDBOX_INSTANCE, status)}</DBSnapshots>`);
    }
    const type = request.input.SnapshotType;
    const kept = type ? snapshotsXml.replace(/<DBSnapshot>[\s\S]*?<\/DBSnapshot>/g, (block) => (block.includes(`<SnapshotType>${type}</SnapshotType>`) ? block : '')) : snapshotsXml;
    return { contentType: 'text/xml', body: kept };
  });
  endpoint.on('rds.DescribeDBSnapshotAttributes', (request) => {
    const id: string = request.input.DBSnapshotIdentifier;
    if (!options.snapshotShares) {
      const recorded = fixture('rds-describe-db-snapshot-attributes.xml');
      if (recorded.includes(`<DBSnapshotIdentifier>${id}</DBSnapshotIdentifier>`)) return { contentType: 'text/xml', body: recorded };
    }
    const values = (options.snapshotShares?.[id] ?? []).map((v) => `<AttributeValue>${v}</AttributeValue>`).join('');
    return queryReply(
      'DescribeDBSnapshotAttributes',
      `<DBSnapshotAttributesResult><DBSnapshotIdentifier>${id}</DBSnapshotIdentifier><DBSnapshotAttributes><DBSnapshotAttribute><AttributeName>restore</AttributeName><AttributeValues>${values}</AttributeValues></DBSnapshotAttribute></DBSnapshotAttributes></DBSnapshotAttributesResult>`,
    );
  });

  endpoint.on('rds.DescribeDBInstances', (request) => {
    const id = request.input.DBInstanceIdentifier;
    if (options.instancesByRegion) return regionalInstances(request, options.instancesByRegion, pageSize);
    if (id && !instanceXml.includes(`<DBInstanceIdentifier>${id}</DBInstanceIdentifier>`)) {
      return errorReply(request, 404, 'DBInstanceNotFound', `DBInstance ${id} not found.`);
    }
    return { contentType: 'text/xml', body: instanceXml };
  });

  // The engine's support calendar and the CA certificates, filtered as the API filters them.
  endpoint.on('rds.DescribeDBMajorEngineVersions', (request) => ({ contentType: 'text/xml', body: keepMembers(fixture('rds-describe-db-major-engine-versions.xml'), 'DBMajorEngineVersion', (m) => !request.input.MajorEngineVersion || m.includes(`<MajorEngineVersion>${request.input.MajorEngineVersion}</MajorEngineVersion>`)) }));
  endpoint.on('rds.DescribeEventSubscriptions', () => ({ contentType: 'text/xml', body: options.eventSubscriptionsXml ?? fixture('rds-describe-event-subscriptions.xml') }));
  endpoint.on('rds.DescribeCertificates', (request) => ({ contentType: 'text/xml', body: keepMembers(options.certificatesXml ?? fixture('rds-describe-certificates.xml'), 'Certificate', (m) => !request.input.CertificateIdentifier || m.includes(`<CertificateIdentifier>${request.input.CertificateIdentifier}</CertificateIdentifier>`)) }));

  serveParameters(endpoint, options, pageSize);
  serveOrganizations(endpoint, options, pageSize);
  serveNetwork(endpoint, options);
  serveKms(endpoint, options, nowSeconds);
  serveAwsConfig(endpoint, options);
  if (options.secret) serveSecret(endpoint, options.secret, clock);
  if (options.secretStore) serveSecretStore(endpoint, options.secretStore);

  const securityGroupsXml = options.securityGroupsXml ?? fixture('ec2-describe-security-groups.xml');
  endpoint.on('ec2.DescribeSecurityGroups', () => ({ contentType: 'text/xml', body: securityGroupsXml }));

  const alarms = options.alarms ?? retime(JSON.parse(fixture('cloudwatch-describe-alarms.json')), ['StateUpdatedTimestamp'], retimeTo);
  endpoint.on('cloudwatch.DescribeAlarms', (request) => {
    const prefix: string = request.input.AlarmNamePrefix ?? '';
    const matching = alarms.MetricAlarms.filter((a: any) => a.AlarmName.startsWith(prefix) && (!request.input.StateValue || a.StateValue === request.input.StateValue));
    const { items, next } = page(matching, request.input.NextToken, Math.min(pageSize, request.input.MaxRecords ?? 100));
    return jsonReply(request, { MetricAlarms: items, CompositeAlarms: alarms.CompositeAlarms ?? [], ...(next ? { NextToken: next } : {}) });
  });

  const metrics = metricFixture(options.cpuAverages, retimeTo, Math.floor((options.cpuEndsAt ?? now).getTime() / 1000));
  endpoint.on('cloudwatch.GetMetricStatistics', (request) => {
    const from = request.input.StartTime as number;
    const to = request.input.EndTime as number;
    // As CloudWatch documents it: StartTime inclusive, EndTime exclusive.
    return jsonReply(request, { Label: 'CPUUtilization', Datapoints: metrics.filter((p) => p.Timestamp >= from && p.Timestamp < to) });
  });

  const trail = options.trailEvents ?? retime(JSON.parse(fixture('cloudtrail-lookup-events.json')), ['EventTime'], retimeTo).Events;
  endpoint.on('cloudtrail.LookupEvents', (request) => lookupEvents(request, trail, pageSize, clock));

  endpoint.on('logs.DescribeLogGroups', (request) => {
    const prefix: string = request.input.logGroupNamePrefix ?? '';
    const retention = options.logRetentionDays === null ? {} : { retentionInDays: options.logRetentionDays ?? 30 };
    const groups = options.logGroupExists === false ? [] : logGroupsOf(request, options).map((name) => ({ logGroupName: name, arn: `arn:aws:logs:${request.region ?? SANDBOX_REGION}:${accountOf(request.accessKeyId)}:log-group:${name}:*`, creationTime: 1742000000000, ...retention, storedBytes: 1048576 }));
    return jsonReply(request, { logGroups: groups.filter((g) => g.logGroupName.startsWith(prefix)) });
  });

  // An empty first page with a token is what CloudWatch Logs really does at times; the paginator must follow it.
  const logEvents = () => options.logEvents ?? (options.logFile ? logEventsOf(readFileSync(options.logFile, 'utf8')) : []);
  // Every group of the account and region holds the scenario's log.
  serveLogsInsights(endpoint, (request, group) => (options.logGroupExists !== false && logGroupsOf(request, options).includes(group) ? logEvents() : undefined), (request) => accountOf(request.accessKeyId));
  endpoint.on('logs.FilterLogEvents', (request) => {
    if (!logGroupsOf(request, options).includes(request.input.logGroupName)) return errorReply(request, 400, 'ResourceNotFoundException', 'The specified log group does not exist.');
    if (!request.input.nextToken) return jsonReply(request, { events: [], searchedLogStreams: [], nextToken: 'page-0' });
    const events = logEvents()
      .filter((e) => e.timestamp >= (request.input.startTime ?? 0) && e.timestamp <= (request.input.endTime ?? Infinity))
      .filter(filterPatternMatcher(request.input.filterPattern))
      .map((e, i) => ({ logStreamName: SANDBOX_INSTANCE, timestamp: e.timestamp, message: e.message, ingestionTime: e.timestamp + 1000, eventId: String(i) }));
    const { items, next } = page(events, request.input.nextToken, Math.min(pageSize, request.input.limit ?? 10_000));
    return jsonReply(request, { events: items, searchedLogStreams: [], ...(next ? { nextToken: next } : {}) });
  });

  return endpoint;
}

/** DescribeDBParameters (and the Aurora cluster variant) from the recorded group, paged by Marker like RDS. */
function serveParameters(endpoint: AwsEndpoint, options: ScenarioOptions, pageSize: number): void {
  const recorded = [...fixture('rds-describe-db-parameters.xml').matchAll(/<Parameter>[\s\S]*?<\/Parameter>/g)].map((m) => m[0]);
  const reply = (operation: string, blocks: string[], marker: string | undefined, max: string | undefined) => {
    const { items, next } = page(blocks, marker, Math.min(pageSize, Number(max ?? 100)));
    return queryReply(operation, `<Parameters>${items.join('')}</Parameters>${next ? `<Marker>${next}</Marker>` : ''}`);
  };
  endpoint.on('rds.DescribeDBParameters', (request) => reply('DescribeDBParameters', withParameters(recorded, options.parameters), request.input.Marker, request.input.MaxRecords));
  endpoint.on('rds.DescribeDBClusterParameters', (request) => reply('DescribeDBClusterParameters', withParameters(recorded, options.clusterParameters), request.input.Marker, request.input.MaxRecords));
  // Whichever cluster is asked for is the recorded one under that name (tests make any instance an Aurora member).
  endpoint.on('rds.DescribeDBClusters', (request) => ({
    contentType: 'text/xml',
    body: (options.clusterXml ?? fixture('rds-describe-db-clusters.xml')).replace(/<DBClusterIdentifier>[^<]*<\/DBClusterIdentifier>/, `<DBClusterIdentifier>${xmlEscape(request.input.DBClusterIdentifier ?? 'dbsec-demo-cluster')}</DBClusterIdentifier>`),
  }));
  endpoint.on('rds.DescribeDBClusterSnapshots', () => ({ contentType: 'text/xml', body: fixture('rds-describe-db-cluster-snapshots.xml') }));
  endpoint.on('rds.DescribeDBClusterSnapshotAttributes', (request) => {
    const id = request.input.DBClusterSnapshotIdentifier;
    const values = (options.snapshotShares?.[id] ?? []).map((v) => `<AttributeValue>${xmlEscape(v)}</AttributeValue>`).join('');
    return queryReply(
      'DescribeDBClusterSnapshotAttributes',
      `<DBClusterSnapshotAttributesResult><DBClusterSnapshotIdentifier>${xmlEscape(id)}</DBClusterSnapshotIdentifier><DBClusterSnapshotAttributes><DBClusterSnapshotAttribute><AttributeName>restore</AttributeName><AttributeValues>${values}</AttributeValues></DBClusterSnapshotAttribute></DBClusterSnapshotAttributes></DBClusterSnapshotAttributesResult>`,
    );
  });
}

function withParameters(blocks: string[], changes: Record<string, string | null> | undefined): string[] {
  if (!changes) return blocks;
  const nameOf = (block: string) => /<ParameterName>([^<]*)<\/ParameterName>/.exec(block)![1]!;
  const kept = blocks.filter((block) => !(nameOf(block) in changes));
  const changed = Object.entries(changes)
    .filter((entry): entry is [string, string] => entry[1] !== null)
    .map(([name, value]) => `<Parameter><ParameterName>${xmlEscape(name)}</ParameterName><ParameterValue>${xmlEscape(value)}</ParameterValue><Source>user</Source><ApplyType>dynamic</ApplyType><DataType>string</DataType><IsModifiable>true</IsModifiable><ApplyMethod>immediate</ApplyMethod></Parameter>`);
  return [...kept, ...changed];
}

function createdSnapshotXml(id: string, instance: string, status: string): string {
  return `<DBSnapshot><DBSnapshotIdentifier>${xmlEscape(id)}</DBSnapshotIdentifier><DBInstanceIdentifier>${xmlEscape(instance)}</DBInstanceIdentifier><SnapshotType>manual</SnapshotType><Status>${status}</Status><Encrypted>true</Encrypted><AllocatedStorage>100</AllocatedStorage><PercentProgress>${status === 'available' ? 100 : 40}</PercentProgress></DBSnapshot>`;
}

function serveNetwork(endpoint: AwsEndpoint, options: ScenarioOptions): void {
  endpoint.on('ec2.RevokeSecurityGroupIngress', () => ({ contentType: 'text/xml', body: '<RevokeSecurityGroupIngressResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>sandbox</requestId><return>true</return></RevokeSecurityGroupIngressResponse>' }));
  const routeTables = options.routeTablesXml ?? fixture('ec2-describe-route-tables.xml');
  const flowLogs = options.flowLogsXml ?? fixture('ec2-describe-flow-logs.xml');
  endpoint.on('ec2.DescribeRouteTables', () => ({ contentType: 'text/xml', body: routeTables }));
  // The account's enabled regions (EC2 query protocol): the fleet's regions, else the sandbox's one.
  const regions = [...new Set(Object.keys(options.instancesByRegion ?? { [SANDBOX_REGION]: [] }).map((key) => key.split(':').pop()!))].sort();
  endpoint.on('ec2.DescribeRegions', () => ({
    contentType: 'text/xml',
    body: `<DescribeRegionsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>sandbox</requestId><regionInfo>${regions.map((r) => `<item><regionName>${r}</regionName><regionEndpoint>ec2.${r}.amazonaws.com</regionEndpoint><optInStatus>opt-in-not-required</optInStatus></item>`).join('')}</regionInfo></DescribeRegionsResponse>`,
  }));
  endpoint.on('ec2.DescribeFlowLogs', () => ({ contentType: 'text/xml', body: flowLogs }));
}

function serveKms(endpoint: AwsEndpoint, options: ScenarioOptions, nowSeconds: number): void {
  endpoint.on('kms.DescribeKey', (request) => {
    const recorded = JSON.parse(fixture('kms-describe-key.json'));
    const key: string = request.input.KeyId;
    if (!key.endsWith(recorded.KeyMetadata.KeyId)) return errorReply(request, 400, 'NotFoundException', `Key '${key}' does not exist`);
    return jsonReply(request, { KeyMetadata: { ...recorded.KeyMetadata, ...options.kmsKey } });
  });
  endpoint.on('kms.GetKeyRotationStatus', (request) => {
    const recorded = JSON.parse(fixture('kms-get-key-rotation-status.json'));
    if (options.keyRotation === false) return jsonReply(request, { KeyId: recorded.KeyId, KeyRotationEnabled: false });
    return jsonReply(request, { ...recorded, NextRotationDate: nowSeconds + 90 * 86400 });
  });
}

function serveAwsConfig(endpoint: AwsEndpoint, options: ScenarioOptions): void {
  endpoint.on('config.DescribeConfigurationRecorders', (request) =>
    jsonReply(request, options.awsConfig === false ? { ConfigurationRecorders: [] } : JSON.parse(fixture('config-describe-configuration-recorders.json'))),
  );
  endpoint.on('config.GetComplianceDetailsByResource', (request) => jsonReply(request, options.awsConfig === false ? { EvaluationResults: [] } : JSON.parse(fixture('config-get-compliance-details-by-resource.json'))));
}

/** Secrets Manager's rotation flow with version stages: AWSPENDING, then AWSCURRENT and AWSPREVIOUS. */
function serveSecret(endpoint: AwsEndpoint, secret: SandboxSecret, clock: Clock): void {
  const arn = `arn:aws:secretsmanager:${SANDBOX_REGION}:123456789012:secret:${secret.id}-AbCdEf`;
  const versions = new Map<string, { value: Record<string, unknown>; stages: string[]; created: number }>([['v-1', { value: secret.value, stages: ['AWSCURRENT'], created: 1762000000 }]]);
  let counter = 1;
  let lastRotated: number | undefined;
  const known = (request: AwsRequest) => request.input.SecretId === secret.id || request.input.SecretId === arn;
  const notFound = (request: AwsRequest) => errorReply(request, 400, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
  endpoint.on('secretsmanager.DescribeSecret', (request) => {
    if (!known(request)) return notFound(request);
    return jsonReply(request, {
      ARN: arn,
      Name: secret.id,
      RotationEnabled: true,
      RotationLambdaARN: `arn:aws:lambda:${SANDBOX_REGION}:123456789012:function:rds-rotation`,
      ...(lastRotated ? { LastRotatedDate: lastRotated } : {}),
      VersionIdsToStages: Object.fromEntries([...versions].map(([id, v]) => [id, v.stages])),
    });
  });
  endpoint.on('secretsmanager.GetSecretValue', (request) => {
    if (!known(request)) return notFound(request);
    const stage = request.input.VersionStage ?? 'AWSCURRENT';
    const entry = request.input.VersionId ? [request.input.VersionId, versions.get(request.input.VersionId)] : [...versions].find(([, v]) => v.stages.includes(stage));
    if (!entry?.[1]) return errorReply(request, 400, 'ResourceNotFoundException', `Secrets Manager can't find the specified secret value for staging label: ${stage}`);
    const [id, version] = entry as [string, { value: Record<string, unknown>; stages: string[]; created: number }];
    return jsonReply(request, { ARN: arn, Name: secret.id, VersionId: id, SecretString: JSON.stringify(version.value), VersionStages: version.stages, CreatedDate: version.created });
  });
  endpoint.on('secretsmanager.RotateSecret', (request) => {
    if (!known(request)) return notFound(request);
    const id = `v-${++counter}`;
    const password = `rotated-${counter}-${Math.random().toString(36).slice(2, 10)}`;
    versions.set(id, { value: { ...secret.value, password }, stages: ['AWSPENDING'], created: Math.floor(clock().getTime() / 1000) });
    if (!secret.failRotation) {
      setTimeout(async () => {
        await secret.rotate?.(password);
        for (const version of versions.values()) version.stages = version.stages.filter((s) => s !== 'AWSPREVIOUS').map((s) => (s === 'AWSCURRENT' ? 'AWSPREVIOUS' : s));
        versions.get(id)!.stages = ['AWSCURRENT'];
        lastRotated = Math.floor(clock().getTime() / 1000);
      }, secret.delayMs ?? 1000);
    }
    return jsonReply(request, { ARN: arn, Name: secret.id, VersionId: id });
  });
}

/** CreateSecret and PutSecretValue as Secrets Manager answers them: a new name is created, a known one gets a version. */
function serveSecretStore(endpoint: AwsEndpoint, store: Map<string, string[]>): void {
  const reply = (request: AwsRequest, name: string) => jsonReply(request, { ARN: `arn:aws:secretsmanager:${SANDBOX_REGION}:123456789012:secret:${name}-AbCdEf`, Name: name, VersionId: `v-${store.get(name)!.length}`, VersionStages: ['AWSCURRENT'] });
  endpoint.on('secretsmanager.CreateSecret', (request) => {
    const name = String(request.input.Name);
    if (store.has(name)) return errorReply(request, 400, 'ResourceExistsException', `The operation failed because the secret ${name} already exists.`);
    store.set(name, [String(request.input.SecretString)]);
    return reply(request, name);
  });
  endpoint.on('secretsmanager.PutSecretValue', (request) => {
    const name = String(request.input.SecretId);
    if (!store.has(name)) return errorReply(request, 400, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    store.get(name)!.push(String(request.input.SecretString));
    return reply(request, name);
  });
}

/** The log groups of the instances a request's account and region holds: the fleet's, else the sandbox's one. */
function logGroupsOf(request: AwsRequest, options: ScenarioOptions): string[] {
  if (!options.instancesByRegion) return [SANDBOX_LOG_GROUP];
  return instancesOf(request, options.instancesByRegion).map((xml) => `/aws/rds/instance/${/<DBInstanceIdentifier>([^<]*)</.exec(xml)![1]}/postgresql`);
}

/** The recorded instance as another member of a fleet: its name, region, engine and tags changed. */
export function fleetInstance(id: string, region: string, engine = 'postgres', tags: Record<string, string> = {}): string {
  const recorded = /<DBInstance>[\s\S]*<\/DBInstance>/.exec(fixture('rds-describe-db-instances.xml'))![0];
  const tagXml = Object.entries(tags).map(([key, value]) => `<Tag><Key>${xmlEscape(key)}</Key><Value>${xmlEscape(value)}</Value></Tag>`).join('');
  return recorded
    .replaceAll(SANDBOX_INSTANCE, id)
    .replaceAll('us-east-1', region)
    .replace(/<Engine>[^<]*<\/Engine>/, `<Engine>${engine}</Engine>`)
    .replace('</DBInstance>', `<TagList>${tagXml}</TagList></DBInstance>`);
}

function regionalInstances(request: AwsRequest, byRegion: Record<string, string[]>, pageSize: number) {
  const id = request.input.DBInstanceIdentifier;
  const all = instancesOf(request, byRegion);
  const matching = id ? all.filter((xml) => xml.includes(`<DBInstanceIdentifier>${id}</DBInstanceIdentifier>`)) : all;
  if (id && matching.length === 0) return errorReply(request, 404, 'DBInstanceNotFound', `DBInstance ${id} not found.`);
  const { items, next } = page(matching, request.input.Marker, Math.min(pageSize, Number(request.input.MaxRecords ?? 100)));
  return queryReply('DescribeDBInstances', `<DBInstances>${items.join('')}</DBInstances>${next ? `<Marker>${next}</Marker>` : ''}`);
}

/** Organizations ListAccounts for the management account (JSON 1.1, paged by NextToken). */
function serveOrganizations(endpoint: AwsEndpoint, options: ScenarioOptions, pageSize: number): void {
  const ids = [...new Set([SANDBOX_ACCOUNT, ...Object.keys(options.instancesByRegion ?? {}).filter((key) => key.includes(':')).map((key) => key.split(':')[0]!)])];
  const accounts = options.organizationAccounts ?? ids.map((Id) => ({ Id, State: 'ACTIVE' }));
  endpoint.on('organizations.ListAccounts', (request) => {
    const caller = accountOf(request.accessKeyId);
    if (caller !== SANDBOX_ACCOUNT) return errorReply(request, 400, 'AccessDeniedException', `You don't have permissions to access this resource. (account ${caller} is not the organization's management account)`);
    const listed = accounts.map((a) => ({ ...a, Arn: `arn:aws:organizations::${SANDBOX_ACCOUNT}:account/o-sandbox/${a.Id}`, Name: `account-${a.Id}`, Email: `aws+${a.Id}@example.com`, JoinedMethod: 'CREATED', JoinedTimestamp: 1700000000 }));
    const { items, next } = page(listed, request.input.NextToken, Math.min(pageSize, request.input.MaxResults ?? 20));
    return jsonReply(request, { Accounts: items, ...(next ? { NextToken: next } : {}) });
  });
}

/** The fleet's instances in the account and region a request is signed for. */
function instancesOf(request: AwsRequest, byRegion: Record<string, string[]>): string[] {
  const region = request.region ?? SANDBOX_REGION;
  const account = accountOf(request.accessKeyId);
  return byRegion[`${account}:${region}`] ?? (account === accountOf(undefined) ? byRegion[region] : undefined) ?? [];
}

/** The XML with only the <tag> members that `keep` accepts. */
function keepMembers(xml: string, tag: string, keep: (member: string) => boolean): string {
  return xml.replace(new RegExp(`\\s*<${tag}>[\\s\\S]*?</${tag}>`, 'g'), (member) => (keep(member) ? member : ''));
}

function lookupEvents(request: AwsRequest, events: any[], pageSize: number, clock: Clock) {
  const attribute = request.input.LookupAttributes?.[0];
  // The event history keeps 90 days: anything older is gone, whatever StartTime asks for.
  const from = Math.max(request.input.StartTime ?? 0, clock().getTime() / 1000 - CLOUDTRAIL_HISTORY_DAYS * 86_400);
  const to = request.input.EndTime ?? Infinity;
  const matching = events.filter((event) => {
    if (event.EventTime < from || event.EventTime > to) return false;
    if (!attribute) return true;
    switch (attribute.AttributeKey) {
      case 'EventSource':
        return event.EventSource === attribute.AttributeValue;
      case 'EventName':
        return event.EventName === attribute.AttributeValue;
      case 'ResourceName':
        return (event.Resources ?? []).some((r: any) => r.ResourceName === attribute.AttributeValue);
      case 'Username':
        return event.Username === attribute.AttributeValue;
      default:
        return true;
    }
  });
  const { items, next } = page(matching, request.input.NextToken, Math.min(pageSize, request.input.MaxResults ?? 50));
  return jsonReply(request, { Events: items, ...(next ? { NextToken: next } : {}) });
}

/** Moves every timestamp field so that the newest lands ten minutes before `to` (epoch seconds, as on the wire). */
function retime<T>(data: T, fields: string[], to: Date | undefined): T {
  if (!to) return data;
  const nowSeconds = Math.floor(to.getTime() / 1000);
  const times: number[] = [];
  const visit = (value: any, apply?: (t: number) => number) => {
    if (Array.isArray(value)) value.forEach((v) => visit(v, apply));
    else if (value && typeof value === 'object') {
      for (const key of Object.keys(value)) {
        if (fields.includes(key) && typeof value[key] === 'number') {
          if (apply) value[key] = apply(value[key]);
          else times.push(value[key]);
        } else visit(value[key], apply);
      }
    }
  };
  visit(data);
  const shift = nowSeconds - 600 - Math.max(...times);
  visit(data, (t) => t + shift);
  return data;
}

/** Shifts every <tag> time in a recorded XML reply so that the newest lands `before` ms before `now`. */
function retimeXml(xml: string, tag: string, now: Date | undefined, before: number): string {
  if (!now) return xml;
  const pattern = new RegExp(`<${tag}>([^<]+)</${tag}>`, 'g');
  const times = [...xml.matchAll(pattern)].map((m) => Date.parse(m[1]!));
  if (times.length === 0) return xml;
  const shift = now.getTime() - before - Math.max(...times);
  return xml.replace(pattern, (_, time: string) => `<${tag}>${new Date(Date.parse(time) + shift).toISOString()}</${tag}>`);
}

function metricFixture(averages: number[] | undefined, retimeTo: Date | undefined, endSeconds: number) {
  const recorded = retime(JSON.parse(fixture('cloudwatch-get-metric-statistics.json')), ['Timestamp'], retimeTo).Datapoints as Array<{ Timestamp: number; Average: number; Maximum: number; Unit: string }>;
  if (!averages) return recorded;
  return averages.map((average, i) => ({ Timestamp: endSeconds - 300 * (averages.length - i), Average: average, Maximum: Math.min(100, average + 5), Unit: 'Percent' }));
}

function instanceWithExports(xml: string, exports: string[] | undefined): string {
  if (!exports) return xml;
  const members = exports.map((e) => `<member>${e}</member>`).join('');
  return xml.replace(/<EnabledCloudwatchLogsExports>[\s\S]*?<\/EnabledCloudwatchLogsExports>/, `<EnabledCloudwatchLogsExports>${members}</EnabledCloudwatchLogsExports>`);
}

/** Log lines → CloudWatch events: continuation lines (TAB-led) stay with their entry, the time comes from the %t prefix. */
export function logEventsOf(text: string): LogEvent[] {
  const events: LogEvent[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('\t') && events.length > 0) {
      events[events.length - 1]!.message += `\n${line}`;
      continue;
    }
    const time = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(?:\.\d+)? UTC/.exec(line);
    if (time) events.push({ timestamp: Date.parse(`${time[1]}T${time[2]}Z`), message: line });
  }
  return events;
}

/** The subset of the CloudWatch Logs filter pattern syntax dbsec sends: quoted phrases, "?" for any-of. */
export function filterPatternMatcher(pattern: string | undefined): (event: LogEvent) => boolean {
  if (!pattern) return () => true;
  const terms = [...pattern.matchAll(/(\?)?"((?:[^"\\]|\\.)*)"|(\?)?(\S+)/g)].map((m) => ({ any: Boolean(m[1] ?? m[3]), text: (m[2] ?? m[4]!).replace(/\\"/g, '"') }));
  const anyOf = terms.filter((t) => t.any).map((t) => t.text);
  const allOf = terms.filter((t) => !t.any).map((t) => t.text);
  return (event) => allOf.every((t) => event.message.includes(t)) && (anyOf.length === 0 || anyOf.some((t) => event.message.includes(t)));
}

