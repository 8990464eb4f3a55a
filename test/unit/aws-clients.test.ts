import { describe, expect, it } from 'vitest';
import { AwsClients, AwsPool } from '../../src/sources/aws.js';
import { ProgressCounter } from '../../src/progress.js';
import { fastRetries } from '../helpers/run-check.js';

describe('the AWS clients', () => {
  it("use the SDK's adaptive retry mode, which also slows the sending rate on throttling", async () => {
    const clients = new AwsClients({ region: 'us-east-1' });
    const { client } = await clients.cloudtrail();
    expect(((await client.config.retryStrategy()) as { mode: string }).mode).toBe('adaptive');
    clients.destroy();
  });

  it("take standard mode from the config (awsRetryMode), for fleets where throttling is not the account's limit", async () => {
    const clients = new AwsClients({ region: 'us-east-1', retryMode: 'standard' });
    const { client } = await clients.cloudtrail();
    expect(((await client.config.retryStrategy()) as { mode: string }).mode).toBe('standard');
    clients.destroy();
  });

  it('are pooled per account and region: the same settings get the same clients and shared answers', async () => {
    const pool = new AwsPool();
    const role = { roleArn: 'arn:aws:iam::111111111111:role/dbsec-audit' };
    const east = pool.clientsFor({ region: 'us-east-1', assumeRole: role });
    expect(pool.clientsFor({ region: 'us-east-1', assumeRole: { ...role } })).toBe(east);
    expect(pool.clientsFor({ region: 'eu-west-1', assumeRole: role })).not.toBe(east);
    expect(pool.clientsFor({ region: 'us-east-1' })).not.toBe(east);
    let asked = 0;
    const answer = () => Promise.resolve(++asked);
    expect([await east.shared('alarms', answer), await east.shared('alarms', answer), await east.shared('events', answer)]).toEqual([1, 1, 2]);
    pool.destroy();
  });

  it('keep a retry strategy handed in (the tests retry without sleeping)', async () => {
    const clients = new AwsClients({ region: 'us-east-1', retryStrategy: fastRetries });
    const { client } = await clients.cloudtrail();
    expect(await client.config.retryStrategy()).toBe(fastRetries);
    clients.destroy();
  });
});

describe('the progress line', () => {
  it('counts checks, and for a fleet the targets whose checks are all done', () => {
    const counter = new ProgressCounter('dbsec daily');
    expect(counter.start(6, 3)).toBe('dbsec daily: 0 of 3 targets, 0/6 checks');
    counter.done('daily.cpu', 'a');
    counter.done('daily.cpu', 'b');
    expect(counter.done('daily.connections', 'a')).toBe('dbsec daily: 1 of 3 targets, 3/6 checks (last: daily.connections)');
    const single = new ProgressCounter('dbsec weekly');
    single.start(2, 1);
    expect(single.done('weekly.db-users', 'db')).toBe('dbsec weekly: 1/2 checks (last: weekly.db-users)');
  });
});
