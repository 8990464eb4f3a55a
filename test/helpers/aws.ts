import { afterEach, beforeEach } from 'vitest';
import { sandboxAwsEnv, sandboxEndpoint, type ScenarioOptions } from '../../src/sandbox/aws-scenario.js';
import type { AwsEndpoint } from '../../src/sandbox/aws-endpoint.js';

const AWS_VARS = ['AWS_ENDPOINT_URL', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_REGION', 'AWS_PROFILE', 'AWS_SHARED_CREDENTIALS_FILE', 'AWS_CONFIG_FILE'];

/** Starts the local AWS endpoint for one test and points the real SDK clients at it through the standard variables. */
export async function useEndpoint(options: Omit<ScenarioOptions, 'now'> & { now?: Date } = {}): Promise<AwsEndpoint> {
  const endpoint = sandboxEndpoint({ now: new Date(), ...options });
  const url = await endpoint.start();
  Object.assign(process.env, sandboxAwsEnv(url), { AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials', AWS_CONFIG_FILE: '/nonexistent/config' });
  running.push(endpoint);
  return endpoint;
}

const running: AwsEndpoint[] = [];
let saved: Record<string, string | undefined> = {};

/** Call at the top of a file that uses useEndpoint: restores the environment and stops endpoints after each test. */
export function endpointLifecycle(): void {
  beforeEach(() => {
    saved = Object.fromEntries(AWS_VARS.map((name) => [name, process.env[name]]));
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((e) => e.stop()));
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
}
