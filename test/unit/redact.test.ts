import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { escapeControl, redactLogMessage, redactParameters, redactSecrets, safeText } from '../../src/redact.js';

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

describe('redaction by PostgreSQL\'s lexer', () => {
  it.each([
    // positions are UTF-8 bytes in the lexer: text before the password must not shift the mask
    ["SELECT 'é数据'; ALTER ROLE x PASSWORD 'Hunter2' LOGIN", "SELECT 'é数据'; ALTER ROLE x PASSWORD '***' LOGIN"],
    // an E'' DO body, whose EXECUTE string holds the statement with backslash-escaped quotes
    ["DO E'BEGIN EXECUTE \\'ALTER ROLE x PASSWORD \\'\\'Hunter2\\'\\'\\'; END'", "DO E'BEGIN EXECUTE \\'ALTER ROLE x PASSWORD \\'\\'***\\'\\'\\'; END'"],
    // three levels: a function body that runs a DO block that runs EXECUTE
    ["CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $f$BEGIN EXECUTE $x$DO $d$BEGIN EXECUTE 'CREATE ROLE y PASSWORD ''Hunter2'''; END$d$$x$; END$f$",
      "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $f$BEGIN EXECUTE $x$DO $d$BEGIN EXECUTE 'CREATE ROLE y PASSWORD ''***'''; END$d$$x$; END$f$"],
    // the lexer skips comments; the patterns that follow it do not
    ["SELECT pg_sleep(1) /* export, password 'Hunter2' */", "SELECT pg_sleep(1) /* export, password '***' */"],
    // strings that merely mention passwords are left as they were
    ["SELECT 'password reset' AS note, 'it''s' AS x", "SELECT 'password reset' AS note, 'it''s' AS x"],
  ])('%s', (input, expected) => {
    expect(redactSecrets(input)).toBe(expected);
  });

  it('falls back to the patterns for text the lexer cannot read (a statement cut mid-string)', () => {
    expect(redactSecrets("statement: ALTER ROLE x PASSWORD 'Hunter2 and the rest was cut")).toBe("statement: ALTER ROLE x PASSWORD '***'");
  });

  it('masks the execute parameters bound to PASSWORD, and keeps the others', () => {
    expect(redactParameters('ALTER ROLE x PASSWORD $1 VALID UNTIL $2', "$1 = 'Hunter2', $2 = '2030-01-01'")).toBe("$1 = '***', $2 = '2030-01-01'");
    expect(redactParameters('CREATE ROLE x LOGIN ENCRYPTED PASSWORD $2 CONNECTION LIMIT $1', "$1 = '5', $2 = 'it''s Hunter2'")).toBe("$1 = '5', $2 = '***'");
  });

  it('masks every parameter of a statement that touches a credential column, and none of a plain one', () => {
    expect(redactParameters('SELECT id FROM users WHERE login = $1 AND password_hash = crypt($2, password_hash)', "$1 = 'ann', $2 = 'Hunter2'")).toBe('***');
    expect(redactParameters('SELECT * FROM orders WHERE id = $1', "$1 = '42'")).toBe("$1 = '42'");
  });

  it('masks a password quoted back by a syntax error of a role statement', () => {
    expect(redactLogMessage('syntax error at or near "Hunter2"', 'ALTER ROLE x WITH PASSWORD Hunter2')).toBe('syntax error at or near "***"');
    expect(redactLogMessage('syntax error at or near "FORM"', 'SELECT 1 FORM t')).toBe('syntax error at or near "FORM"');
  });

  it('prepared role statements: the bound password never survives (property-based)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 30 }), fc.integer({ min: 1, max: 9 }), (password, n) => {
        const others = Array.from({ length: 9 }, (_, i) => i + 1).filter((i) => i !== n).map((i) => `$${i} = 'v${i}'`);
        const detail = [`$${n} = '${password.replace(/'/g, "''")}'`, ...others].join(', ');
        const out = redactParameters(`ALTER ROLE app PASSWORD $${n} VALID UNTIL $${n === 1 ? 2 : 1}`, detail);
        // exactly the other values, and the mask where the password was
        expect(out).toBe([`$${n} = '***'`, ...others].join(', '));
      }),
      { numRuns: 300 },
    );
  });
});
