import { afterAll, describe, expect, it } from 'vitest';
import { createServer, type Socket } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { main } from '../src/cli.js';
import { AWS_RECORDED_AT, SANDBOX_INSTANCE, sandboxAwsEnv } from '../src/sandbox/aws-scenario.js';
import { endpointLifecycle } from './helpers/aws.js';
import { bufferIo } from './helpers/io.js';

/** Every AWS request is bounded: an endpoint that takes the connection and never answers is given up on. */
endpointLifecycle();
const dir = mkdtempSync(join(tmpdir(), 'dbsec-bounds-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('an AWS endpoint that accepts and never answers', () => {
  it('ends every AWS check with an error within the configured timeout, and the run goes on', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    Object.assign(process.env, sandboxAwsEnv(`http://127.0.0.1:${port}`), { AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', AWS_CONFIG_FILE: '/nonexistent' });
    const config = join(dir, 'dbsec.yaml');
    writeFileSync(config, 'awsTimeout: 1s\n');
    const io = { ...bufferIo(AWS_RECORDED_AT), awsRetryStrategy: new ConfiguredRetryStrategy(2, () => 0) };
    const started = performance.now();
    try {
      const code = await main(['node', 'dbsec', 'daily', '--rds-instance', SANDBOX_INSTANCE, '-c', config, '--format', 'json'], io);
      const report = JSON.parse(io.out());
      const aws = report.findings.filter((f: { checkId: string }) => ['daily.cloudwatch-alarms', 'daily.cpu', 'daily.cloudtrail-rds-changes', 'daily.failed-auth'].includes(f.checkId));
      expect(aws.map((f: { status: string }) => f.status)).toEqual(['error', 'error', 'error', 'error']);
      for (const finding of aws) expect(finding.summary).toMatch(/^The AWS endpoint did not answer \S+ in time.*: check the network path to it, or raise awsTimeout in the config\.$|^AWS did not answer \S+ within \d+ s/);
      expect(code).toBe(2);
      // Two attempts of one second each, for every call: far from "forever".
      expect(performance.now() - started).toBeLessThan(15_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  }, 30_000);

  it('refuses a timeout of 0 or past what a timer can hold, naming the key', async () => {
    for (const [value, message] of [['0s', /awsTimeout: expected a duration from 1s to 10m/], ['100000h', /connectTimeout: expected a duration from 1s to 10m/]] as const) {
      const config = join(dir, `bad-${value}.yaml`);
      writeFileSync(config, message.source.startsWith('aws') ? `awsTimeout: ${value}\n` : `connectTimeout: ${value}\n`);
      const io = bufferIo(AWS_RECORDED_AT);
      expect(await main(['node', 'dbsec', 'daily', '-c', config], io)).toBe(2);
      expect(io.err()).toMatch(message);
    }
  });
});
