import { createHash, createHmac, pbkdf2, pbkdf2Sync, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

/** PostgreSQL's default scram_iterations (the only value before PostgreSQL 16). */
const ITERATIONS = 4096;

const pbkdf2Async = promisify(pbkdf2);

/** 24 random bytes from the CSPRNG: 32 characters of base64url, 192 bits, no quote or backslash to escape. */
export function randomPassword(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * The verifier PostgreSQL stores for a SCRAM-SHA-256 password (RFC 5802, RFC 7677), computed here as psql's \password
 * does, so ALTER ROLE … PASSWORD carries the verifier and the password itself never reaches the server or its log.
 * The password must be ASCII: SASLprep leaves ASCII as it is, and dbsec only hashes its own or well-known ones.
 */
export function scramVerifier(password: string, salt = randomBytes(16), iterations = ITERATIONS): string {
  return verifierOf(pbkdf2Sync(password, salt, iterations, 32, 'sha256'), salt, iterations);
}

function verifierOf(salted: Buffer, salt: Buffer, iterations: number): string {
  const storedKey = createHash('sha256').update(createHmac('sha256', salted).update('Client Key').digest()).digest('base64');
  const serverKey = createHmac('sha256', salted).update('Server Key').digest('base64');
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey}:${serverKey}`;
}

/**
 * Whether `password` is the one a stored verifier (pg_authid.rolpassword: SCRAM-SHA-256 or md5) was made from. The
 * key derivation runs on libuv's threads, so testing many candidates does not stall the other checks.
 */
export async function verifierMatches(stored: string, password: string, role: string): Promise<boolean> {
  if (stored.startsWith('md5')) return stored === `md5${createHash('md5').update(password + role).digest('hex')}`;
  const scram = /^SCRAM-SHA-256\$(\d+):([^$]+)\$/.exec(stored);
  if (!scram || !/^[\x20-\x7e]*$/.test(password)) return false;
  const salt = Buffer.from(scram[2]!, 'base64');
  const iterations = Number(scram[1]);
  return verifierOf(await pbkdf2Async(password, salt, iterations, 32, 'sha256'), salt, iterations) === stored;
}

/** A short, one-way name for a verifier: the action log can say which one was set without holding it. */
export function verifierDigest(verifier: string): string {
  return createHash('sha256').update(verifier).digest('hex').slice(0, 16);
}
