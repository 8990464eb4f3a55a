type CloudWatchSdk = typeof import('@aws-sdk/client-cloudwatch');
type LogsSdk = typeof import('@aws-sdk/client-cloudwatch-logs');
type CloudTrailSdk = typeof import('@aws-sdk/client-cloudtrail');
type RdsSdk = typeof import('@aws-sdk/client-rds');
type Ec2Sdk = typeof import('@aws-sdk/client-ec2');
type KmsSdk = typeof import('@aws-sdk/client-kms');
type ConfigSdk = typeof import('@aws-sdk/client-config-service');
type SecretsSdk = typeof import('@aws-sdk/client-secrets-manager');

/** A client with its SDK module, so callers build commands without importing the SDK at start-up. */
export interface Service<Sdk, Client> {
  sdk: Sdk;
  client: Client;
}
import { DbsecError } from '../errors.js';
import { describeAwsError } from './aws-errors.js';

export interface AwsSettings {
  region?: string;
  profile?: string;
  /** Tests hand in a retry strategy without sleeps; users get the SDK's default (3 attempts, jittered backoff). */
  retryStrategy?: unknown;
}

type ClientConfig = { region: string; profile?: string; retryStrategy?: any };

/**
 * Creates each AWS client the first time a check asks for it, so a command that needs no AWS loads no SDK.
 * Endpoints come from the SDK's own AWS_ENDPOINT_URL* handling.
 */
export class AwsClients {
  private readonly clients = new Map<string, Promise<unknown>>();

  constructor(private readonly settings: AwsSettings) {}

  get region(): string | undefined {
    return this.settings.region;
  }

  cloudwatch(): Promise<Service<CloudWatchSdk, InstanceType<CloudWatchSdk['CloudWatchClient']>>> {
    return this.lazy('cloudwatch', async (config) => {
      const sdk = await import('@aws-sdk/client-cloudwatch');
      return { sdk, client: new sdk.CloudWatchClient(config) };
    });
  }
  logs(): Promise<Service<LogsSdk, InstanceType<LogsSdk['CloudWatchLogsClient']>>> {
    return this.lazy('logs', async (config) => {
      const sdk = await import('@aws-sdk/client-cloudwatch-logs');
      return { sdk, client: new sdk.CloudWatchLogsClient(config) };
    });
  }
  cloudtrail(): Promise<Service<CloudTrailSdk, InstanceType<CloudTrailSdk['CloudTrailClient']>>> {
    return this.lazy('cloudtrail', async (config) => {
      const sdk = await import('@aws-sdk/client-cloudtrail');
      return { sdk, client: new sdk.CloudTrailClient(config) };
    });
  }
  rds(): Promise<Service<RdsSdk, InstanceType<RdsSdk['RDSClient']>>> {
    return this.lazy('rds', async (config) => {
      const sdk = await import('@aws-sdk/client-rds');
      return { sdk, client: new sdk.RDSClient(config) };
    });
  }
  ec2(): Promise<Service<Ec2Sdk, InstanceType<Ec2Sdk['EC2Client']>>> {
    return this.lazy('ec2', async (config) => {
      const sdk = await import('@aws-sdk/client-ec2');
      return { sdk, client: new sdk.EC2Client(config) };
    });
  }

  kms(): Promise<Service<KmsSdk, InstanceType<KmsSdk['KMSClient']>>> {
    return this.lazy('kms', async (config) => {
      const sdk = await import('@aws-sdk/client-kms');
      return { sdk, client: new sdk.KMSClient(config) };
    });
  }
  config(): Promise<Service<ConfigSdk, InstanceType<ConfigSdk['ConfigServiceClient']>>> {
    return this.lazy('config', async (config) => {
      const sdk = await import('@aws-sdk/client-config-service');
      return { sdk, client: new sdk.ConfigServiceClient(config) };
    });
  }

  secretsManager(): Promise<Service<SecretsSdk, InstanceType<SecretsSdk['SecretsManagerClient']>>> {
    return this.lazy('secretsmanager', async (config) => {
      const sdk = await import('@aws-sdk/client-secrets-manager');
      return { sdk, client: new sdk.SecretsManagerClient(config) };
    });
  }

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
      client = make({
        region,
        ...(this.settings.profile ? { profile: this.settings.profile } : {}),
        ...(this.settings.retryStrategy ? { retryStrategy: this.settings.retryStrategy } : {}),
      });
      this.clients.set(name, client);
    }
    return client;
  }
}

/** Runs one AWS call; any failure becomes a DbsecError with one sentence. */
export async function awsCall<T>(call: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof DbsecError) throw err;
    throw new DbsecError(describeAwsError(err, call));
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
