import { describe, expect, it } from 'vitest';
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
