import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { DbsecError } from './errors.js';

/** The hash, and with a key the HMAC, of a document's content: what baselines and integrity manifests carry. */
export interface Seal {
  contentSha256: string;
  hmacSha256?: string;
}

/** JSON with object keys sorted at every level: the bytes that are hashed and signed. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v));
}

export function seal(content: unknown, signKey?: string): Seal {
  const text = canonical(content);
  return { contentSha256: createHash('sha256').update(text).digest('hex'), ...(signKey ? { hmacSha256: hmac(signKey, text) } : {}) };
}

function hmac(key: string, text: string): string {
  return createHmac('sha256', key).update(text).digest('hex');
}

/** Refuses content that no longer matches its hash, or, with a key, its signature; `what` names the document ("a baseline"). */
export function checkSeal(document: Seal & { content: unknown }, source: string, what: string, signKey?: string): void {
  const text = canonical(document.content);
  if (createHash('sha256').update(text).digest('hex') !== document.contentSha256) {
    throw new DbsecError(`${source} was changed after it was captured: its content no longer matches its SHA-256; it cannot be trusted as ${what}.`);
  }
  if (signKey === undefined) return;
  if (!document.hmacSha256) throw new DbsecError(`${source} carries no signature, but a key was given: it was not captured with --sign-key-env, or the signature was removed.`);
  const expected = Buffer.from(hmac(signKey, text), 'hex');
  const actual = Buffer.from(document.hmacSha256, 'hex');
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) {
    throw new DbsecError(`${source} has a signature that does not match the key: it was forged or signed with another key.`);
  }
}
