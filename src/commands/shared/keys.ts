import { DbsecError } from '../../errors.js';
import type { Io } from '../../io.js';

/** The HMAC key of --sign-key-env VAR, read from that variable (never from the command line, where ps shows it). */
export function keyFromEnv(variable: string | undefined, io: Io): string | undefined {
  if (!variable) return undefined;
  const key = io.env[variable];
  if (!key) throw new DbsecError(`--sign-key-env ${variable}: that environment variable is empty or not set.`);
  return key;
}
