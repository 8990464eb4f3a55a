import { describe, expect, it } from 'vitest';
import { pgClientConfig } from '../../src/sources/pg-connection.js';
import { resolveTarget } from '../../src/target.js';

describe('connection strings', () => {
  it('reads libpq keyword=value strings as libpq does: quotes, escapes, spaces around "="', () => {
    expect(pgClientConfig("host=db.example.com port=6432 user=auditor password='it\\'s a \\\\ x' dbname = app sslmode=verify-full")).toMatchObject({
      host: 'db.example.com',
      port: 6432,
      user: 'auditor',
      password: "it's a \\ x",
      database: 'app',
    });
    expect(pgClientConfig('hostaddr=10.0.0.5 dbname=app').host).toBe('10.0.0.5');
    expect(pgClientConfig('host=/var/run/postgresql dbname=app')).toMatchObject({ host: '/var/run/postgresql', database: 'app' });
  });

  it('reads URLs as node-postgres does', () => {
    expect(pgClientConfig('postgres://auditor:p%40ss@db:5433/app?sslmode=disable')).toMatchObject({ host: 'db', port: 5433, user: 'auditor', password: 'p@ss', database: 'app', ssl: false });
  });

  it('names the target after the server, whichever form', () => {
    expect(resolveTarget({ databaseUrl: 'host=db user=auditor dbname=app port=6432' }, {}).name).toBe('db:6432/app');
    expect(resolveTarget({ databaseUrl: 'postgres://auditor@db/app' }, {}).name).toBe('db/app');
  });

  it.each([
    ['host=db sslmode=bogus', /has sslmode=bogus, which is none of disable, prefer, require, verify-ca, verify-full, no-verify\.$/],
    ['postgres://u:hunter2@db:99999/app', /is not a valid URL \(is the port a number from 1 to 65535/],
    ['host=db port=0', /has the port 0, outside 1–65535\.$/],
    ['host=db port=54x', /has the port "54x", which is not a number/],
    ['host=db hunter2', /is not a valid libpq keyword=value string: a word without "="/],
    ["host=db password='hunter2", /a quoted value without its closing quote/],
    ['hots=db', /unknown connection parameter "hots"/],
    ['host=a,b', /names several hosts \(a,b\)/],
    ['host=db sslrootcert=/nonexistent/ca.pem sslmode=verify-full', /a certificate file cannot be read/],
  ])('refuses %s in one sentence that never repeats the password', (connection, message) => {
    let error: Error | undefined;
    try {
      pgClientConfig(connection);
    } catch (err) {
      error = err as Error;
    }
    expect(error?.name).toBe('DbsecError');
    expect(error?.message).toMatch(message);
    expect(error?.message).toMatch(/^The connection string \(--database-url or a target's databaseUrl\) /);
    expect(error?.message).not.toContain('hunter2');
  });
});
