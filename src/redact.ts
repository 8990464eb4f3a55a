/**
 * Secrets never reach output, and strings from the database or logs never reach a terminal raw.
 * Every string that goes into a finding passes through safeText().
 */

const MASK = '***';

const SECRET_PATTERNS: ReadonlyArray<[RegExp, string]> = [
  // A password literal inside another string (DO $$ … EXECUTE 'ALTER ROLE x PASSWORD ''…''' $$): its quotes doubled
  // (inside, each quote of the password is doubled twice: '''')
  [/(\bPASSWORD\s+)''(?:[^']|'''')*''/gi, `$1''${MASK}''`],
  // CREATE/ALTER ROLE … [ENCRYPTED] PASSWORD E'…' (backslash escapes) or '…' (quotes doubled inside), or dollar-quoted
  [/(\bPASSWORD\s+)E'(?!')(?:[^'\\]|\\[\s\S]|'')*'?/gi, `$1'${MASK}'`],
  [/(\bPASSWORD\s+)'(?!')(?:[^']|'')*'?/gi, `$1'${MASK}'`],
  [/(\bPASSWORD\s+)\$([A-Za-z_]*)\$[\s\S]*?(?:\$\2\$|$)/gi, `$1'${MASK}'`],
  // password hashes as stored in pg_authid or shown by pg_dumpall
  [/\bmd5[0-9a-f]{32}\b/gi, `md5${MASK}`],
  [/\bSCRAM-SHA-256\$[^\s'",)]+/g, `SCRAM-SHA-256$${MASK}`],
  // postgres://user:secret@host and key=value connection strings
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)[^@\s]*@/gi, `$1${MASK}@`],
  [/(\b(?:PG|\w+_)?(?:password|passwd|pwd|secret|token)\s*=\s*)('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[^\s&;]+)/gi, `$1${MASK}`],
  // curl -u user:secret, wget --password … inside COPY … PROGRAM or a notification
  [/(\s-u\s*['"]?[^\s:'"]+:)[^\s'"]+/g, `$1${MASK}`],
  // ssl_passphrase_command and the like run a program that prints a key's passphrase: its arguments may hold it
  [/(\b\w*_passphrase_command\s*(?:=|\bTO\b)?\s*)('(?:[^']|'')*'|"[^"]*"|\S+)/gi, `$1'${MASK}'`],
  // AWS secret keys that slipped into a message
  [/(aws_secret_access_key\s*[:=]\s*)\S+/gi, `$1${MASK}`],
];

export function redactSecrets(text: string): string {
  let out = text;
  for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

const NAMED_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** C0/C1 controls, DEL and the bidi overrides that can hide text on a terminal become visible escapes. */
export function escapeControl(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (ch) => {
    const named = NAMED_ESCAPES[ch];
    if (named) return named;
    const code = ch.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Redacted, terminal-safe and, when max is given, cut to that many characters. */
export function safeText(text: string, max?: number): string {
  const safe = escapeControl(redactSecrets(text));
  return max === undefined ? safe : truncate(safe, max);
}

/** Applies safeText to every string in a row of evidence. */
export function safeRow(row: Record<string, unknown>): Record<string, string | number | boolean | null> {
  const out: Record<string, string | number | boolean | null> = {};
  for (const [key, value] of Object.entries(row)) {
    if (value === null || value === undefined) out[key] = null;
    else if (typeof value === 'number' || typeof value === 'boolean') out[key] = value;
    else if (value instanceof Date) out[key] = value.toISOString();
    else out[key] = safeText(String(value));
  }
  return out;
}
