import { setTimeout as delay } from 'node:timers/promises';
import { whenAborted } from './abort.js';
import type { DBInstance } from '@aws-sdk/client-rds';
import { DbsecError, SourceMissing, ifConfigured, messageOf } from './errors.js';
import { KNOWN_LOG_LINE_PREFIXES, RDS_LOG_LINE_PREFIX } from './sources/logs/prefix.js';
import { connectionRole, inFleet, type Target } from './target.js';
import type { TimeWindow } from './time.js';
import { AwsClients, awsScope, type AwsPool, type AwsSettings } from './sources/aws.js';
import { openPgSession, type PgLimits, type PgSession } from './sources/postgres.js';
import { describeRdsInstance, NO_RDS_INSTANCE, requireInstanceId } from './sources/rds-instance.js';
import { assertLogGroupExists, describeLogGroup } from './sources/logs/cloudwatch-reader.js';
import { assertReadable, logInputs, type LogInput } from './sources/logs/pipeline.js';
import { phrasePattern } from './sources/logs/phrases.js';
import { newLogStats, type LogRecord, type LogStats } from './sources/logs/record.js';
import type { Finding } from './report.js';

export interface LogScan {
  /** Where the lines came from, for the finding's resource. */
  origin: string;
  /** Filled as the records are read: complete once the iteration ends. */
  stats: LogStats;
  records: AsyncIterable<LogRecord>;
}

/** What a check may read, for one target; every source is opened on first use and shared by the checks. */
export interface CheckContext {
  target: Target;
  window: TimeWindow;
  now: Date;
  pg(): Promise<PgSession>;
  aws(): AwsClients;
  rdsInstance(): Promise<DBInstance>;
  /** Log records in the window (the run's unless given) whose message holds any of the phrases. */
  scanLogs(phrases: readonly string[], window?: TimeWindow): Promise<LogScan>;
  memo<T>(key: string, make: () => Promise<T>): Promise<T>;
  /** For roll-up checks: the findings of the checks that ran before on this target. */
  priorFindings: readonly Finding[];
  /**
   * This target's CloudWatch log group, after making sure its lines reach it (export enabled, group present), and the
   * groups of the run's other targets in its account and region that exist: one Logs Insights query serves them all.
   */
  cloudWatchGroups(): Promise<{ own: string; peers: string[] }>;
  /** The log_line_prefix (or candidates) to read this target's stderr lines with. */
  logLinePrefixes(): Promise<string | string[]>;
  /** Ctrl-C: long work (a Logs Insights query) stops on the service too. */
  signal?: AbortSignal;
}

export interface ContextDeps {
  limits: PgLimits;
  aws: Omit<AwsSettings, 'region' | 'profile'>;
  /**
   * The phrases the run's log checks declare (meta.logPhrases): the log of the run's window is read once for all of
   * them and each check gets the records of its own phrases.
   */
  logPhrases?: readonly string[];
  /** The run's clients per account and region, shared by its targets; without it each target has its own. */
  awsPool?: AwsPool;
  /** Every target of the run, for queries that serve the targets of one account and region at once. */
  targets?: readonly Target[];
  signal?: AbortSignal;
}

/** Records one shared read keeps for the checks; past this the read is dropped and each check reads on its own. */
const MAX_SHARED_RECORDS = 200_000;

interface SharedScan {
  origin: string;
  stats: LogStats;
  /** Undefined when the log held more matching records than MAX_SHARED_RECORDS. */
  records?: LogRecord[];
}

export class TargetContext implements CheckContext {
  private readonly cache = new Map<string, Promise<unknown>>();
  private awsClients?: AwsClients;
  readonly priorFindings: Finding[] = [];

  constructor(
    readonly target: Target,
    readonly window: TimeWindow,
    readonly now: Date,
    private readonly deps: ContextDeps,
  ) {}

  memo<T>(key: string, make: () => Promise<T>): Promise<T> {
    let value = this.cache.get(key) as Promise<T> | undefined;
    if (!value) {
      value = make();
      this.cache.set(key, value);
    }
    return value;
  }

  get signal(): AbortSignal | undefined {
    return this.deps.signal;
  }

  async cloudWatchGroups(): Promise<{ own: string; peers: string[] }> {
    const { target } = this;
    if (target.logFiles.length > 0 || !target.logGroup) throw new SourceMissing('no CloudWatch log group: pass --rds-instance ID or --log-group NAME');
    await this.memo('log-group-ready', () => this.assertLogGroupReady());
    const scope = awsScope(target);
    const nearby = (this.deps.targets ?? []).filter((t) => t !== target && t.logFiles.length === 0 && t.logGroup && awsScope(t) === scope).map((t) => t.logGroup!);
    // In a fleet the region's RDS groups are listed once; a peer whose group is missing would fail the whole query.
    const present = await Promise.all(nearby.map(async (group) => ((await describeLogGroup(this.aws(), group, inFleet(target))) ? group : undefined)));
    return { own: target.logGroup, peers: present.filter((g) => g !== undefined) };
  }

  pg(): Promise<PgSession> {
    if (!this.target.databaseUrl && !this.target.usePgEnv) {
      return Promise.reject(new SourceMissing('no database configured: pass --database-url or set PGHOST/PGDATABASE'));
    }
    return this.memo('pg', async () => openPgSession(this.target.iamAuth ? { ...this.target, pgConfig: { ...this.target.pgConfig, password: await this.iamAuthToken() } } : this.target, this.deps.limits));
  }

  /**
   * An RDS IAM auth token for the target's host, port and user (valid 15 minutes, longer than a run's session needs),
   * signed locally by @aws-sdk/rds-signer with the target's credentials (the assumed role in another account).
   */
  private async iamAuthToken(): Promise<string> {
    const { host, port, user } = this.target.pgConfig ?? {};
    if (!host || !user) throw new DbsecError(`${this.target.name}: an IAM auth token needs the database URL's host and user (discovery.databaseUrl: postgres://dbsec_auditor@{endpoint}:{port}/{db}).`);
    const aws = this.aws();
    try {
      const { Signer } = await import('@aws-sdk/rds-signer');
      const credentials = await aws.credentials();
      return await new Signer({ hostname: host, port: Number(port ?? 5432), username: user, region: aws.region, ...(aws.profile ? { profile: aws.profile } : {}), ...(credentials ? { credentials: credentials as never } : {}) }).getAuthToken();
    } catch (err) {
      throw new DbsecError(`Cannot make an IAM auth token for ${user}@${host}: ${messageOf(err)}; check the AWS credentials (and region) dbsec runs with.`);
    }
  }

  aws(): AwsClients {
    if (!this.target.rdsInstance && !this.target.logGroup) {
      throw new SourceMissing(NO_RDS_INSTANCE);
    }
    if (!this.awsClients) {
      const settings = { ...this.deps.aws, region: this.target.region, profile: this.target.profile, ...(this.target.assumeRole ? { assumeRole: this.target.assumeRole } : {}) };
      this.awsClients = this.deps.awsPool?.clientsFor(settings) ?? new AwsClients(settings);
    }
    return this.awsClients;
  }

  async rdsInstance(): Promise<DBInstance> {
    const id = requireInstanceId(this.target);
    // A discovered instance was described by the discovery itself: no second call per target.
    return this.memo('rds-instance', async () => this.target.instance ?? describeRdsInstance(this.aws(), id));
  }

  async scanLogs(phrases: readonly string[], window: TimeWindow = this.window): Promise<LogScan> {
    const shared = this.deps.logPhrases;
    if (window === this.window && shared && phrases.length > 0 && phrases.every((phrase) => shared.includes(phrase))) {
      const scan = await this.memo('shared-log-scan', () => this.sharedScan(shared));
      if (scan.records) return { origin: scan.origin, stats: { ...scan.stats }, records: withPhrases(scan.records, phrases) };
    }
    return this.readLogs(phrases, window);
  }

  /** One read of the run's window for every declared phrase, kept in memory up to MAX_SHARED_RECORDS. */
  private async sharedScan(phrases: readonly string[]): Promise<SharedScan> {
    const scan = await this.readLogs(phrases, this.window);
    const records: LogRecord[] = [];
    for await (const record of scan.records) {
      if (records.length >= MAX_SHARED_RECORDS) return { origin: scan.origin, stats: scan.stats };
      records.push(record);
    }
    return { origin: scan.origin, stats: scan.stats, records };
  }

  private async readLogs(phrases: readonly string[], window: TimeWindow): Promise<LogScan> {
    const { target } = this;
    if (target.logFiles.length === 0 && !target.logGroup) throw new SourceMissing('no log source: pass --log-file PATH, or --rds-instance ID for its CloudWatch log group');
    if (target.logFiles.length === 0) await this.memo('log-group-ready', () => this.assertLogGroupReady());
    const origin = target.logFiles.length > 0 ? target.logFiles.join(', ') : target.logGroup!;
    const inputs = logInputs({ files: target.logFiles, logGroup: target.logGroup, aws: () => this.aws(), format: target.logFormat, prefix: await this.logLinePrefixes(), window, now: this.now, phrases, ownRole: connectionRole(target) });
    const stats = newLogStats();
    return { origin, stats, records: matching(inputs, phrases, origin, stats) };
  }

  /**
   * The log_line_prefix to read stderr logs with: the one given; RDS's own for an RDS instance's CloudWatch log group
   * (RDS does not let it change); else candidates for the log's first lines to choose from, the server's own setting
   * first when a database is configured and answers.
   */
  logLinePrefixes(): Promise<string | string[]> {
    const given = this.target.logLinePrefix ?? (this.target.logFiles.length === 0 && this.target.rdsInstance ? RDS_LOG_LINE_PREFIX : undefined);
    if (given) return Promise.resolve(given);
    return this.memo('log-line-prefixes', async () => {
      const server = await ifConfigured(async () => (await (await this.pg()).query<{ prefix: string }>("SELECT current_setting('log_line_prefix') AS prefix"))[0]?.prefix).catch(() => undefined);
      return server ? [server, ...KNOWN_LOG_LINE_PREFIXES.filter((p) => p !== server)] : [...KNOWN_LOG_LINE_PREFIXES];
    });
  }

  /** A zero count means something only when the lines really reach the group. */
  private async assertLogGroupReady(): Promise<void> {
    const { target } = this;
    if (target.rdsInstance) {
      const instance = await this.rdsInstance();
      const exports = instance.EnabledCloudwatchLogsExports ?? [];
      if (!exports.includes('postgresql')) {
        throw new DbsecError(
          `RDS instance ${target.rdsInstance} does not export its postgresql log to CloudWatch Logs, so failures cannot be seen; ` +
            `enable it: aws rds modify-db-instance --db-instance-identifier ${target.rdsInstance} --cloudwatch-logs-export-configuration '{"EnableLogTypes":["postgresql"]}'.`,
        );
      }
    }
    await assertLogGroupExists(this.aws(), target.logGroup!, inFleet(target));
  }

  /** The session if a check asked for one; cancel and close never open one. */
  private openedSession(): Promise<PgSession> | undefined {
    return this.cache.get('pg') as Promise<PgSession> | undefined;
  }

  /** Ctrl-C: the server stops the query it runs for this target; close() follows. */
  async cancel(): Promise<void> {
    await this.openedSession()?.then((session) => session.cancel(), () => undefined);
  }

  async close(): Promise<void> {
    await this.openedSession()?.then((session) => session.close(), () => undefined);
    // Pooled clients belong to the run, which closes them after its last target.
    if (!this.deps.awsPool) this.awsClients?.destroy();
  }
}

/** How long an interrupted command waits for its sessions to end before it goes on anyway. */
const CLOSE_GRACE_MS = 1_000;

/** Closes every context; interrupted, a connection still being made (a silent server) is not waited for. */
export async function closeContexts(contexts: readonly TargetContext[], signal: AbortSignal | undefined): Promise<void> {
  const closing = Promise.all(contexts.map((ctx) => ctx.close()));
  await (signal?.aborted ? Promise.race([closing, delay(CLOSE_GRACE_MS, undefined, { ref: false })]) : closing);
}

/**
 * Runs `use` on a fresh context of one target that Ctrl-C cancels (its running query stopped on the server), and
 * closes it afterwards: for the commands that work on one target outside the runner.
 */
export async function withTargetContext<T>(target: Target, window: TimeWindow, now: Date, deps: ContextDeps, signal: AbortSignal | undefined, use: (ctx: TargetContext) => Promise<T>): Promise<T> {
  const ctx = new TargetContext(target, window, now, deps);
  void whenAborted(signal).then(() => ctx.cancel());
  try {
    return await use(ctx);
  } finally {
    await closeContexts([ctx], signal);
  }
}

async function* withPhrases(records: readonly LogRecord[], phrases: readonly string[]): AsyncGenerator<LogRecord> {
  const pattern = phrasePattern(phrases);
  for (const record of records) if (pattern.test(record.message)) yield record;
}

/**
 * The records holding one of the phrases, in any case (CloudWatch's filter is case-sensitive, so callers ask it for
 * the usual spellings); a log none of whose lines could be read is an error, not a quiet log.
 */
async function* matching(inputs: LogInput[], phrases: readonly string[], origin: string, stats: LogStats): AsyncGenerator<LogRecord> {
  const pattern = phrases.length > 0 ? phrasePattern(phrases) : undefined;
  for (const input of inputs) {
    for await (const batch of input.batches(stats)) {
      for (const record of batch) if (!pattern || pattern.test(record.message)) yield record;
    }
  }
  assertReadable(origin, stats);
}
