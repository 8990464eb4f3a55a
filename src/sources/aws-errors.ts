import { redactSecrets } from '../redact.js';
import { messageOf } from '../errors.js';

interface SdkError {
  name?: string;
  Code?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number; attempts?: number };
}

const THROTTLING = new Set(['Throttling', 'ThrottlingException', 'ThrottledException', 'RequestLimitExceeded', 'TooManyRequestsException', 'RequestThrottled', 'RequestThrottledException']);
const EXPIRED = new Set(['ExpiredToken', 'ExpiredTokenException', 'RequestExpired', 'TokenRefreshRequired']);
const DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'UnauthorizedAccess', 'AuthorizationError']);
const BAD_KEY = new Set(['UnrecognizedClientException', 'InvalidClientTokenId', 'InvalidSignatureException', 'SignatureDoesNotMatch', 'AuthFailure']);

/** The caller's policy does not allow the call. */
export function isAccessDenied(err: unknown): boolean {
  const e = err as SdkError;
  return DENIED.has(e.name ?? e.Code ?? e.code ?? '');
}

/** One sentence for an AWS failure: what happened to which call, and the fix. */
export function describeAwsError(err: unknown, call: string): string {
  const e = err as SdkError;
  const name = e.name ?? e.Code ?? e.code ?? '';
  const message = redactSecrets(messageOf(err)).split('\n')[0]!;
  if (name === 'CredentialsProviderError' || /Could not load credentials|credential/i.test(name)) {
    return `No AWS credentials for ${call}: set AWS_PROFILE or --profile, run \`aws sso login\`, or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.`;
  }
  if (EXPIRED.has(name)) return `AWS credentials have expired (${call}): refresh them, e.g. \`aws sso login\` or a new session token, and run again.`;
  if (DENIED.has(name)) return `AWS denied ${call} (${name}): allow this action in the IAM policy of the caller (see the README's minimal policy).`;
  if (BAD_KEY.has(name)) return `AWS rejected the access key for ${call} (${name}): check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the profile.`;
  if (THROTTLING.has(name)) {
    const attempts = e.$metadata?.attempts;
    return `AWS kept throttling ${call}${attempts ? ` after ${attempts} attempts` : ''}: run again later or less often.`;
  }
  if (name === 'TimeoutError' || /exceeded the configured \d+ ms requestTimeout/.test(message)) {
    const attempts = e.$metadata?.attempts;
    return `The AWS endpoint did not answer ${call} in time${attempts ? ` (${attempts} attempts)` : ''}: check the network path to it, or raise awsTimeout in the config.`;
  }
  if (/Region is missing/i.test(message)) return `No AWS region for ${call}: pass --region or set AWS_REGION.`;
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|socket hang up|ECONNRESET/.test(message) || /ECONN|ETIMEDOUT/.test(name)) {
    return `Cannot reach the AWS endpoint for ${call} (${message}): check the network, proxy and AWS_ENDPOINT_URL settings.`;
  }
  if (/Deserialization error|Unexpected token|Expected|not valid JSON|char \d+/i.test(message) || name === 'SyntaxError') {
    return `AWS returned a response to ${call} that dbsec could not read: retry, and report it if it persists (DBSEC_DEBUG=1 shows the details).`;
  }
  const status = e.$metadata?.httpStatusCode;
  return `AWS ${call} failed${name ? ` (${name}${status ? `, HTTP ${status}` : ''})` : ''}: ${message}`;
}
