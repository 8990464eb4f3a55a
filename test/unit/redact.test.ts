import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { escapeControl, redactSecrets, safeText } from '../../src/redact.js';

describe('redactSecrets', () => {
  it.each([
    ["CREATE ROLE bob LOGIN PASSWORD 'hunter2'", "CREATE ROLE bob LOGIN PASSWORD '***'"],
    ["ALTER USER bob WITH ENCRYPTED PASSWORD 'it''s secret'", "ALTER USER bob WITH ENCRYPTED PASSWORD '***'"],
    ['alter role x password $pw$dollar secret$pw$ valid until 2030', "alter role x password '***' valid until 2030"],
    ["ALTER ROLE x PASSWORD 'md5a3556571e93b0d20722ba62be61e8c2d'", "ALTER ROLE x PASSWORD '***'"],
    ['rolpassword = md5a3556571e93b0d20722ba62be61e8c2d', 'rolpassword = md5***'],
    ['SCRAM-SHA-256$4096:c2FsdA==$c3RvcmVk:c2VydmVy', 'SCRAM-SHA-256$***'],
    ['postgres://auditor:s3cr%40t@db:5432/app', 'postgres://auditor:***@db:5432/app'],
    ['host=db user=x password=hunter2 sslmode=require', 'host=db user=x password=*** sslmode=require'],
    // credentials in command lines and URLs
    ["COPY t TO PROGRAM 'curl -u admin:Secret99 https://x/upload'", "COPY t TO PROGRAM 'curl -u admin:*** https://x/upload'"],
    ['PGPASSWORD=Secret99 psql -h db', 'PGPASSWORD=*** psql -h db'],
    ["ALTER SYSTEM SET ssl_passphrase_command = 'echo Secret99'", "ALTER SYSTEM SET ssl_passphrase_command = '***'"],
    ['curl https://admin:Secret99@x/upload', 'curl https://admin:***@x/upload'],
  ])('%s', (input, expected) => {
    expect(redactSecrets(input)).toBe(expected);
  });

  it('leaves ordinary SQL alone', () => {
    expect(redactSecrets('SELECT password_hint FROM users')).toBe('SELECT password_hint FROM users');
  });
});

describe('escapeControl', () => {
  it('makes terminal escapes, newlines and bidi overrides visible', () => {
    expect(escapeControl('a\x1b[31mred\nb\tc\u202Ed\x00')).toBe('a\\x1b[31mred\\nb\\tc\\u202ed\\x00');
  });

  it('keeps printable Unicode', () => {
    expect(escapeControl('Zoë — 数据库')).toBe('Zoë — 数据库');
  });

  it('safeText redacts then escapes and cuts', () => {
    expect(safeText("PASSWORD 'x'\n" + 'y'.repeat(50), 20)).toBe("PASSWORD '***'\\nyyy…");
  });
});

describe('redactSecrets on role statements with random passwords (property-based)', () => {
  // Printable passwords with the characters that break naive patterns: quotes, backslashes, dollars, spaces, semicolons.
  const password = fc.string({ unit: fc.constantFrom(...'abcXYZ019 \'"\\$;:@%_-'.split('')), minLength: 1, maxLength: 24 }).map((p) => `Pw${p}`);

  it.each([
    ['plain literal', (p: string) => `ALTER ROLE app PASSWORD '${p.replace(/'/g, "''")}' VALID UNTIL 'infinity'`, "ALTER ROLE app PASSWORD '***' VALID UNTIL 'infinity'"],
    ['E literal', (p: string) => `CREATE ROLE app LOGIN PASSWORD E'${p.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`, "CREATE ROLE app LOGIN PASSWORD '***'"],
    ['dollar-quoted', (p: string) => `ALTER USER app WITH ENCRYPTED PASSWORD $pw$${p}$pw$ CONNECTION LIMIT 5`, "ALTER USER app WITH ENCRYPTED PASSWORD '***' CONNECTION LIMIT 5"],
    ['inside DO … EXECUTE', (p: string) => `DO $$BEGIN EXECUTE 'ALTER ROLE app PASSWORD ''${p.replace(/'/g, "''''")}'''; END$$`, "DO $$BEGIN EXECUTE 'ALTER ROLE app PASSWORD ''***'''; END$$"],
  ])('%s: the password never survives', (_, statement, masked) => {
    fc.assert(
      fc.property(password, (p) => {
        // $pw$ cannot hold its own closing tag.
        fc.pre(!p.includes('$pw$') && !p.endsWith('$pw'));
        expect(redactSecrets(statement(p))).toBe(masked);
      }),
      { numRuns: 300 },
    );
  });

});
