import { scanSync } from 'libpg-query';

/**
 * Secrets never reach output, and strings from the database or logs never reach a terminal raw.
 * Every string that goes into a finding passes through safeText().
 */

const MASK = '***';

/**
 * The password literals of CREATE/ALTER ROLE by pattern, for what PostgreSQL's lexer does not see: text it cannot read
 * (a statement cut mid-string, prose with a stray quote) and comments (`/* password 'x' *\/`). Applied after the lexer,
 * they find only what it left.
 */
const PASSWORD_LITERAL_PATTERNS: ReadonlyArray<[RegExp, string]> = [
  // A password literal inside another string (DO $$ … EXECUTE 'ALTER ROLE x PASSWORD ''…''' $$): its quotes doubled
  // (inside, each quote of the password is doubled twice: '''')
  [/(\bPASSWORD\s+)''(?:[^']|'''')*''/gi, `$1''${MASK}''`],
  // CREATE/ALTER ROLE … [ENCRYPTED] PASSWORD E'…' (backslash escapes) or '…' (quotes doubled inside), or dollar-quoted
  [/(\bPASSWORD\s+)E'(?!')(?:[^'\\]|\\[\s\S]|'')*'?/gi, `$1'${MASK}'`],
  [/(\bPASSWORD\s+)'(?!')(?:[^']|'')*'?/gi, `$1'${MASK}'`],
  [/(\bPASSWORD\s+)\$([A-Za-z_]*)\$[\s\S]*?(?:\$\2\$|$)/gi, `$1'${MASK}'`],
];

/** Credentials that are not SQL literals: in every text, whether or not the lexer could read it. */
const SECRET_PATTERNS: ReadonlyArray<[RegExp, string]> = [
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

/** Only text that mentions one of these can hold a secret for the lexer to find. */
const MAY_HOLD_SQL_SECRET = /password|passphrase/i;

/** How deep strings inside strings are opened (DO $$ … EXECUTE '… PASSWORD ''…''' $$ is two). */
const MAX_NESTING = 4;

export function redactSecrets(text: string): string {
  const lexed = MAY_HOLD_SQL_SECRET.test(text) ? (redactByLexer(text, 0) ?? text) : text;
  return replaceAll(replaceAll(lexed, PASSWORD_LITERAL_PATTERNS), SECRET_PATTERNS);
}

function replaceAll(text: string, patterns: ReadonlyArray<[RegExp, string]>): string {
  let out = text;
  for (const [pattern, replacement] of patterns) out = out.replace(pattern, replacement);
  return out;
}

interface Token {
  start: number;
  end: number;
  text: string;
  tokenName: string;
}

/**
 * PostgreSQL's own lexer (libpg-query's scanner) finds each string constant whatever its quoting ('…', E'…', $tag$…$),
 * masks the one that follows PASSWORD, and opens the others that mention a password (EXECUTE strings, DO bodies) to
 * do the same inside. undefined when the text does not lex, or the lexer is not loaded.
 */
function redactByLexer(text: string, depth: number): string | undefined {
  const tokens = lex(text);
  if (!tokens) return undefined;
  // The lexer counts in bytes of UTF-8.
  const bytes = Buffer.from(text, 'utf8');
  let out = '';
  let from = 0;
  tokens.forEach((token, i) => {
    if (token.tokenName !== 'SCONST') return;
    let replacement: string | undefined;
    if (followsPassword(tokens, i)) replacement = `'${MASK}'`;
    else if (depth < MAX_NESTING && MAY_HOLD_SQL_SECRET.test(token.text)) replacement = redactInsideString(token.text, depth + 1);
    if (replacement === undefined) return;
    out += bytes.subarray(from, token.start).toString('utf8') + replacement;
    from = token.end;
  });
  return out + bytes.subarray(from).toString('utf8');
}

/** A string constant with the secrets in its content masked, quoted as it was; undefined when nothing changed. */
function redactInsideString(literal: string, depth: number): string | undefined {
  const dollar = /^\$[^$]*\$/.exec(literal)?.[0];
  const escaped = /^[Ee]'/.test(literal);
  const content = dollar ? literal.slice(dollar.length, -dollar.length) : escaped ? literal.slice(2, -1).replace(/\\(.)|''/g, (_, ch: string | undefined) => ch ?? "'") : literal.slice(1, -1).replace(/''/g, "'");
  const redacted = replaceAll(redactByLexer(content, depth) ?? content, PASSWORD_LITERAL_PATTERNS);
  if (redacted === content) return undefined;
  if (dollar) return `${dollar}${redacted}${dollar}`;
  return escaped ? `E'${redacted.replace(/[\\']/g, '\\$&')}'` : `'${redacted.replace(/'/g, "''")}'`;
}

/**
 * The numbers of the parameters a statement binds to PASSWORD (ALTER ROLE x PASSWORD $1): their values in the log's
 * "DETAIL: Parameters: $1 = '…'" are the password. By pattern when the statement does not lex.
 */
export function passwordParameters(statement: string): Set<string> {
  const tokens = lex(statement);
  if (!tokens) return new Set([...statement.matchAll(/\bPASSWORD\s+\$(\d+)/gi)].map((m) => m[1]!));
  return new Set(tokens.filter((t, i) => t.tokenName === 'PARAM' && followsPassword(tokens, i)).map((t) => t.text.slice(1)));
}

/** The tokens of PostgreSQL's lexer, or undefined when the text does not lex (or the lexer is not loaded). */
function lex(text: string): Token[] | undefined {
  try {
    return scanSync(text).tokens as Token[];
  } catch {
    return undefined;
  }
}

function followsPassword(tokens: readonly Token[], index: number): boolean {
  return /^PASSWORD$/i.test(tokens[index - 1]?.text ?? '');
}

/**
 * A log message with its secrets redacted. An ERROR about a role statement can quote the password itself (a password
 * typed without quotes gives `syntax error at or near "Hunter2"`): there the quoted token is masked too.
 */
export function redactLogMessage(message: string, statement: string | undefined): string {
  const quoted = statement && /\bPASSWORD\b/i.test(statement) ? message.replace(/(at or near )"(?:[^"]|"")*"/g, `$1"${MASK}"`) : message;
  return redactSecrets(quoted);
}

/** Words naming a column or setting whose value is a credential (users.password_hash = $1). */
const CREDENTIAL_WORD = /pass(?:word|wd|phrase)?|pwd|secret|token|credential/i;

/**
 * The values of an execute's DETAIL ("$1 = 'x', $2 = NULL"): those bound to PASSWORD in a role statement masked one by
 * one; all of them when the statement otherwise touches a credential (an application's password column), since which
 * parameter goes where is not known; the rest redacted as text.
 */
export function redactParameters(statement: string, parameters: string): string {
  const secret = passwordParameters(statement);
  if (secret.size) return redactSecrets(parameters.replace(/\$(\d+) = (?:'(?:[^']|'')*'?|NULL)/g, (m, n: string) => (secret.has(n) ? `$${n} = '${MASK}'` : m)));
  return CREDENTIAL_WORD.test(statement) ? MASK : redactSecrets(parameters);
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
