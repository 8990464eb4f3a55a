import pThrottle from 'p-throttle';
import { DbsecError, messageOf } from '../errors.js';
import { describeAwsError, isAccessDenied } from './aws-errors.js';

/** An AWS call the caller's policy does not allow: a caller with another way to look may take it. */
export class AwsDenied extends DbsecError {}

type CloudWatchSdk = typeof import('@aws-sdk/client-cloudwatch');
type LogsSdk = typeof import('@aws-sdk/client-cloudwatch-logs');
type CloudTrailSdk = typeof import('@aws-sdk/client-cloudtrail');
type RdsSdk = typeof import('@aws-sdk/client-rds');
type Ec2Sdk = typeof import('@aws-sdk/client-ec2');
type KmsSdk = typeof import('@aws-sdk/client-kms');
type ConfigSdk = typeof import('@aws-sdk/client-config-service');
type SecretsSdk = typeof import('@aws-sdk/client-secrets-manager');
type SecurityHubSdk = typeof import('@aws-sdk/client-securityhub');
type StsSdk = typeof import('@aws-sdk/client-sts');
type OrganizationsSdk = typeof import('@aws-sdk/client-organizations');

/** A client with its SDK module, so callers build commands without importing the SDK at start-up. */
export interface Service<Sdk, Client> {
  sdk: Sdk;
  client: Client;
}

function withClient<Sdk, Client>(sdk: Sdk, make: (sdk: Sdk) => Client): Service<Sdk, Client> {
  return { sdk, client: make(sdk) };
}

export interface AwsSettings {
  region?: string;
  profile?: string;
  /** Tests hand in a retry strategy without sleeps; users get the SDK's default (3 attempts, jittered backoff). */
  retryStrategy?: unknown;
  /** adaptive (the default) or standard: see awsRetryMode in the config. */
  retryMode?: 'adaptive' | 'standard';
  /** How long one HTTP request may take before the SDK gives up on it (and retries); awsTimeout in the config. */
  requestTimeoutMs?: number;
  /** Another account: the role to assume there (with the caller's own credentials), and its external id. */
  assumeRole?: { roleArn: string; externalId?: string };
}

/** One AWS request's bound, and how long a connection may take to open. */
export const DEFAULT_AWS_REQUEST_TIMEOUT_MS = 30_000;
const CONNECT_TIMEOUT_MS = 5_000;

type ClientConfig = { region: string; profile?: string; retryStrategy?: any; retryMode?: string; requestHandler: any; credentials?: any };

/**
 * APIs whose documented rate is low, per account and region: each request (each page, each retry) waits its turn.
 * CloudTrail LookupEvents: 2 per second.
 */
const RATE_LIMITS: Record<string, { limit: number; interval: number }> = {
  LookupEventsCommand: { limit: 2, interval: 1000 },
};

/**
 * Creates each AWS client the first time a check asks for it, so a command that needs no AWS loads no SDK.
 * Endpoints come from the SDK's own AWS_ENDPOINT_URL* handling. One instance serves one account and region: its
 * rate limits and shared answers (`shared`) are that account's and region's.
 */
export class AwsClients {
  private readonly clients = new Map<string, Promise<unknown>>();
  private readonly answers = new Map<string, Promise<unknown>>();
  private readonly limiters = new Map<string, <T>(send: () => Promise<T>) => Promise<T>>();

  /**
   * @param roleSessions assumed roles' credentials by role and external id: asked for once and shared by every client
   * of these settings, and by a pool's every region.
   */
  constructor(
    private readonly settings: AwsSettings,
    private readonly roleSessions = new Map<string, Promise<unknown>>(),
  ) {}

  get region(): string | undefined {
    return this.settings.region;
  }

  /**
   * An answer about the account and region rather than one instance (CloudTrail's RDS events of the window), asked
   * for once however many of its instances need it.
   */
  shared<T>(key: string, make: () => Promise<T>): Promise<T> {
    let answer = this.answers.get(key) as Promise<T> | undefined;
    if (!answer) this.answers.set(key, (answer = make()));
    return answer;
  }

  // One line per service: the SDK module is imported the first time a check asks for its client.
  cloudwatch = () => this.lazy('cloudwatch', async (c) => withClient(await import('@aws-sdk/client-cloudwatch'), (sdk: CloudWatchSdk) => new sdk.CloudWatchClient(c)));
  logs = () => this.lazy('logs', async (c) => withClient(await import('@aws-sdk/client-cloudwatch-logs'), (sdk: LogsSdk) => new sdk.CloudWatchLogsClient(c)));
  cloudtrail = () => this.lazy('cloudtrail', async (c) => withClient(await import('@aws-sdk/client-cloudtrail'), (sdk: CloudTrailSdk) => new sdk.CloudTrailClient(c)));
  rds = () => this.lazy('rds', async (c) => withClient(await import('@aws-sdk/client-rds'), (sdk: RdsSdk) => new sdk.RDSClient(c)));
  ec2 = () => this.lazy('ec2', async (c) => withClient(await import('@aws-sdk/client-ec2'), (sdk: Ec2Sdk) => new sdk.EC2Client(c)));
  kms = () => this.lazy('kms', async (c) => withClient(await import('@aws-sdk/client-kms'), (sdk: KmsSdk) => new sdk.KMSClient(c)));
  config = () => this.lazy('config', async (c) => withClient(await import('@aws-sdk/client-config-service'), (sdk: ConfigSdk) => new sdk.ConfigServiceClient(c)));
  secretsManager = () => this.lazy('secretsmanager', async (c) => withClient(await import('@aws-sdk/client-secrets-manager'), (sdk: SecretsSdk) => new sdk.SecretsManagerClient(c)));
  securityHub = () => this.lazy('securityhub', async (c) => withClient(await import('@aws-sdk/client-securityhub'), (sdk: SecurityHubSdk) => new sdk.SecurityHubClient(c)));
  sts = () => this.lazy('sts', async (c) => withClient(await import('@aws-sdk/client-sts'), (sdk: StsSdk) => new sdk.STSClient(c)));
  organizations = () => this.lazy('organizations', async (c) => withClient(await import('@aws-sdk/client-organizations'), (sdk: OrganizationsSdk) => new sdk.OrganizationsClient(c)));

  destroy(): void {
    for (const service of this.clients.values()) {
      service.then((s) => (s as Service<unknown, { destroy(): void }>).client.destroy(), () => undefined);
    }
  }

  private lazy<T>(name: string, make: (config: ClientConfig) => Promise<T>): Promise<T> {
    let client = this.clients.get(name) as Promise<T> | undefined;
    if (!client) {
      const region = this.settings.region;
      if (!region) return Promise.reject(new DbsecError('No AWS region: pass --region or set AWS_REGION.'));
      // The SDK warns about Node 20 on stderr; that must not reach a user's terminal or JSON.
      process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
      const requestTimeout = this.settings.requestTimeoutMs ?? DEFAULT_AWS_REQUEST_TIMEOUT_MS;
      // An endpoint that accepts the connection and never answers (or trickles) is given up on, then retried.
      client = Promise.all([import('@smithy/node-http-handler'), this.roleCredentials(region)]).then(([{ NodeHttpHandler }, credentials]) =>
        this.rateLimited(make({
          region,
          ...(this.settings.profile ? { profile: this.settings.profile } : {}),
          ...(credentials ? { credentials } : {}),
          // Adaptive: on throttling the client (one per account and region) also slows its own sending rate.
          ...(this.settings.retryStrategy ? { retryStrategy: this.settings.retryStrategy } : { retryMode: this.settings.retryMode ?? 'adaptive' }),
          requestHandler: new NodeHttpHandler({ connectionTimeout: Math.min(CONNECT_TIMEOUT_MS, requestTimeout), requestTimeout, throwOnRequestTimeout: true }),
        })),
      );
      this.clients.set(name, client);
    }
    return client;
  }

  /** The credentials these clients sign with: the assumed role's, or undefined for the SDK's default chain. */
  async credentials(): Promise<(() => Promise<unknown>) | undefined> {
    const region = this.settings.region;
    if (!region) throw new DbsecError('No AWS region: pass --region or set AWS_REGION.');
    return this.roleCredentials(region);
  }

  get profile(): string | undefined {
    return this.settings.profile;
  }

  /** Every attempt of a rate-limited command waits for this account's and region's turn (after the retry step, so retries wait too). */
  private async rateLimited<T>(made: Promise<T>): Promise<T> {
    const service = await made;
    const { middlewareStack } = (service as Service<unknown, { middlewareStack: { add(mw: unknown, options: object): void } }>).client;
    middlewareStack.add(
      (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => (args: unknown) => {
        const rate = RATE_LIMITS[context.commandName ?? ''];
        if (!rate) return next(args);
        let limiter = this.limiters.get(context.commandName!);
        if (!limiter) {
          const throttle = pThrottle({ ...rate, strict: true });
          limiter = throttle(<R>(send: () => Promise<R>) => send()) as <R>(send: () => Promise<R>) => Promise<R>;
          this.limiters.set(context.commandName!, limiter);
        }
        return limiter(() => next(args));
      },
      { step: 'finalizeRequest', priority: 'low', name: 'dbsecRateLimit' },
    );
    return service;
  }

  /**
   * With assumeRole, a credential provider that calls STS AssumeRole (session name dbsec) once and hands the same
   * temporary credentials to every client; a run is shorter than their hour.
   */
  private async roleCredentials(region: string): Promise<(() => Promise<unknown>) | undefined> {
    const role = this.settings.assumeRole;
    if (!role) return undefined;
    const { fromTemporaryCredentials } = await import('@aws-sdk/credential-providers');
    const provider = fromTemporaryCredentials({
      params: { RoleArn: role.roleArn, RoleSessionName: 'dbsec', ...(role.externalId ? { ExternalId: role.externalId } : {}) },
      clientConfig: { region, ...(this.settings.profile ? { profile: this.settings.profile } : {}), ...(this.settings.retryStrategy ? { retryStrategy: this.settings.retryStrategy as never } : {}) },
    });
    const key = `${role.roleArn} ${role.externalId ?? ''}`;
    return () => {
      let session = this.roleSessions.get(key);
      if (!session) {
        session = provider().catch((err: unknown) => {
          this.roleSessions.delete(key);
          throw new DbsecError(`Cannot assume ${role.roleArn} (sts:AssumeRole): ${messageOf(err)}; check that the role trusts this caller${role.externalId ? ' and expects this external id' : ''}.`);
        });
        this.roleSessions.set(key, session);
      }
      return session;
    };
  }
}

/** Settings that reach the same account and region the same way share one scope. */
export function awsScope(settings: Pick<AwsSettings, 'region' | 'profile' | 'assumeRole'>): string {
  return JSON.stringify([settings.region, settings.profile, settings.assumeRole?.roleArn, settings.assumeRole?.externalId]);
}

/**
 * The run's AWS clients, one set per account and region (settings), shared by every target there: one AssumeRole per
 * account, one rate limiter per account and region, and answers about an account and region asked for once.
 */
export class AwsPool {
  private readonly scopes = new Map<string, AwsClients>();
  private readonly roleSessions = new Map<string, Promise<unknown>>();

  clientsFor(settings: AwsSettings): AwsClients {
    const key = awsScope(settings);
    let clients = this.scopes.get(key);
    if (!clients) this.scopes.set(key, (clients = new AwsClients(settings, this.roleSessions)));
    return clients;
  }

  destroy(): void {
    for (const clients of this.scopes.values()) clients.destroy();
  }
}

/** A whole call, its retries and backoff included, ends by this: four request timeouts. */
let callDeadlineMs = 4 * DEFAULT_AWS_REQUEST_TIMEOUT_MS;

/** The run's AWS request timeout sets the deadline of every call (one run, one setting). */
export function setAwsTimeout(requestTimeoutMs: number): void {
  callDeadlineMs = 4 * requestTimeoutMs;
}

/** Runs one AWS call within the call deadline; any failure becomes a DbsecError with one sentence. */
export async function awsCall<T>(call: string, run: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DbsecError(`AWS did not answer ${call} within ${Math.round(callDeadlineMs / 1000)} s (retries included); check the network path to the endpoint, or raise awsTimeout in the config.`)), callDeadlineMs);
  });
  try {
    return await Promise.race([run(), deadline]);
  } catch (err) {
    if (err instanceof DbsecError) throw err;
    throw new (isAccessDenied(err) ? AwsDenied : DbsecError)(describeAwsError(err, call));
  } finally {
    clearTimeout(timer);
  }
}

/** Drains an SDK paginator, mapping failures like awsCall. */
export async function allPages<Page>(call: string, pages: AsyncIterable<Page>): Promise<Page[]> {
  return awsCall(call, async () => {
    const out: Page[] = [];
    for await (const page of pages) out.push(page);
    return out;
  });
}
