/*
 * libpq's keyword=value connection strings ("host=db user=auditor dbname=app"), parsed as libpq's conninfo_parse does.
 *
 * Vendored from https://github.com/charmander/libpq-connection-string (index.mjs: parseKeyValue, store,
 * unescapeValue; internal/options.mjs: the keyword list) at commit 31cb516fc4fe987b3b7f7c60a565dac19baa1e40, ported to
 * TypeScript; the package is not published on npm. Only the keyword=value half is taken: URIs go through
 * pg-connection-string, as node-postgres reads them. The upstream tests compare it with libpq itself.
 *
 * Copyright (c) 2020 Charmander <~@charmander.me>
 *
 * Permission to use, copy, modify, and/or distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES WITH
 * REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF MERCHANTABILITY AND
 * FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR ANY SPECIAL, DIRECT,
 * INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES WHATSOEVER RESULTING FROM
 * LOSS OF USE, DATA OR PROFITS, WHETHER IN AN ACTION OF CONTRACT, NEGLIGENCE OR
 * OTHER TORTIOUS ACTION, ARISING OUT OF OR IN CONNECTION WITH THE USE OR
 * PERFORMANCE OF THIS SOFTWARE.
 */

// src/interfaces/libpq/fe-connect.c:191: PQconninfoOptions
const KEYWORDS = new Set([
  'service', 'user', 'password', 'passfile', 'channel_binding', 'connect_timeout', 'dbname', 'host', 'hostaddr', 'port',
  'client_encoding', 'options', 'application_name', 'fallback_application_name', 'keepalives', 'keepalives_idle',
  'keepalives_interval', 'keepalives_count', 'tcp_user_timeout', 'sslmode', 'sslcompression', 'sslcert', 'sslkey',
  'sslpassword', 'sslrootcert', 'sslcrl', 'sslcrldir', 'sslsni', 'requirepeer', 'ssl_min_protocol_version',
  'ssl_max_protocol_version', 'gssencmode', 'krbsrvname', 'gsslib', 'replication', 'target_session_attrs',
]);

export class ConnInfoError extends Error {}

// src/interfaces/libpq/fe-connect.c:6614: conninfo_storeval
function store(key: string, value: string, result: Map<string, string>): void {
  if (key === 'requiressl') {
    key = 'sslmode';
    value = value.startsWith('1') ? 'require' : 'prefer';
  }
  if (!KEYWORDS.has(key)) throw new ConnInfoError(`unknown connection parameter "${key}"`);
  result.set(key, value);
}

const unescapeValue = (escaped: string) => escaped.replace(/\\(.?)/g, '$1');

/** The keywords given, with their values; throws ConnInfoError where libpq would refuse the string. */
export function parseKeywordValue(connectionString: string): Map<string, string> {
  const result = new Map<string, string>();
  const pair = /[ \f\n\r\t\v]*(?:(?:([^= \f\n\r\t\v]+)[ \f\n\r\t\v]*)?=[ \f\n\r\t\v]*((?!')(?:[^ \f\n\r\t\v\\]|\\[^]?)+|'(?:[^'\\]|\\[^])*('?)|)|([^ \f\n\r\t\v]+))/y;
  for (let match: RegExpExecArray | null; (match = pair.exec(connectionString)) !== null; ) {
    // Unlike upstream, the word itself is not repeated: it may be a password typed without its keyword.
    if (match[4] !== undefined) throw new ConnInfoError('a word without "=" (each setting is keyword=value)');
    let escaped = match[2]!;
    if (match[3] !== undefined) {
      if (match[3] === '') throw new ConnInfoError('a quoted value without its closing quote');
      escaped = escaped.slice(1, -1);
    }
    store(match[1] ?? '', unescapeValue(escaped), result);
  }
  return result;
}
