import { describe, expect, it } from 'vitest';
import { AwsClients } from '../../src/sources/aws.js';
import { fastRetries } from '../helpers/run-check.js';

describe('the AWS clients', () => {
  it("use the SDK's adaptive retry mode, which also slows the sending rate on throttling", async () => {
    const clients = new AwsClients({ region: 'us-east-1' });
    const { client } = await clients.cloudtrail();
    expect(((await client.config.retryStrategy()) as { mode: string }).mode).toBe('adaptive');
    clients.destroy();
  });

  it('keep a retry strategy handed in (the tests retry without sleeping)', async () => {
    const clients = new AwsClients({ region: 'us-east-1', retryStrategy: fastRetries });
    const { client } = await clients.cloudtrail();
    expect(await client.config.retryStrategy()).toBe(fastRetries);
    clients.destroy();
  });
});
