import { afterEach, beforeEach } from 'vitest';
import { AWS_RECORDED_AT, SANDBOX_INSTANCE, fixture, sandboxAwsEnv, sandboxEndpoint, type ScenarioOptions } from '../../src/sandbox/aws-scenario.js';
import type { AwsEndpoint } from '../../src/sandbox/aws-endpoint.js';

const AWS_VARS = ['AWS_ENDPOINT_URL', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_REGION', 'AWS_PROFILE', 'AWS_SHARED_CREDENTIALS_FILE', 'AWS_CONFIG_FILE'];

/**
 * Starts the local AWS endpoint for one test and points the real SDK clients at it through the standard variables.
 * The fixtures are served as recorded (pin the file's clock to AWS_RECORDED_AT) unless `now` re-times them.
 */
export async function useEndpoint(options: ScenarioOptions = {}): Promise<AwsEndpoint> {
  const endpoint = sandboxEndpoint(options);
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

/** The recorded instance with some elements changed, e.g. { PubliclyAccessible: 'true' }. */
export function instanceWith(changes: Record<string, string>): string {
  let xml = fixture('rds-describe-db-instances.xml');
  for (const [tag, value] of Object.entries(changes)) xml = xml.replace(new RegExp(`<${tag}>[^<]*</${tag}>`), `<${tag}>${value}</${tag}>`);
  return xml;
}

/** A CloudTrail LookupEvents event with its record, an hour before the recording unless `at` says when. */
export function trailEvent(id: string, name: string, user: string, source = 'rds.amazonaws.com', resource = SANDBOX_INSTANCE, readOnly = false, at = new Date(AWS_RECORDED_AT.getTime() - 3600_000), sourceIp = '198.51.100.1') {
  const record = { eventName: name, eventSource: source, readOnly, eventTime: at.toISOString().replace(/\.\d{3}Z$/, 'Z'), sourceIPAddress: sourceIp, userIdentity: { arn: `arn:aws:iam::123456789012:user/${user}`, userName: user }, requestParameters: { dBInstanceIdentifier: resource } };
  return { EventId: id, EventName: name, EventSource: source, Username: user, ReadOnly: String(readOnly), EventTime: Math.floor(at.getTime() / 1000), Resources: [{ ResourceName: resource }], CloudTrailEvent: JSON.stringify(record) };
}
