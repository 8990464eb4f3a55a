import { describe, expect, it } from 'vitest';
import { compilePrefix, parseLogTime } from '../../src/sources/logs/prefix.js';
import { authFailureOf } from '../../src/sources/logs/auth-failures.js';

const rds = compilePrefix('%t:%r:%u@%d:[%p]:');

describe('log_line_prefix parsing', () => {
  it('splits an RDS line', () => {
    const record = rds.parse('2026-11-22 21:20:38 UTC:127.0.0.1(52792):postgres@postgres:[3423]:FATAL:  password authentication failed for user "postgres"');
    expect(record).toEqual({
      time: new Date('2026-11-22T21:20:38Z'),
      client: '127.0.0.1',
      port: '52792',
      user: 'postgres',
      database: 'postgres',
      pid: 3423,
      level: 'FATAL',
      message: 'password authentication failed for user "postgres"',
    });
  });

  it('handles IPv6 clients, background processes, [local] and a leading CloudWatch timestamp', () => {
    expect(rds.parse('2026-11-22 10:00:00 UTC:2001:db8::1(5432):u@d:[7]:LOG:  x')).toMatchObject({ client: '2001:db8::1', port: '5432', user: 'u' });
    expect(rds.parse('2026-11-22 10:00:00 UTC::@:[389]:LOG:  checkpoint starting: time')).toMatchObject({ pid: 389, level: 'LOG' });
    expect(rds.parse('2026-11-22 10:00:00 UTC:[local]:u@d:[8]:LOG:  x')).toMatchObject({ client: '[local]' });
    expect(rds.parse('2026-11-22T10:00:00.000Z 2026-11-22 10:00:00 UTC:1.2.3.4(1):u@d:[9]:ERROR:  boom')).toMatchObject({ level: 'ERROR', message: 'boom' });
  });

  it('returns undefined for a line of another format and for garbage', () => {
    expect(rds.parse('not a log line')).toBeUndefined();
    expect(rds.parse('\u0000\u0001\u00ff')).toBeUndefined();
  });

  it('makes what follows %q optional, as background processes print it', () => {
    const debian = compilePrefix('%m [%p] %q%u@%d ');
    expect(debian.parse('2026-11-22 10:00:00.123 UTC [42] LOG:  checkpoint starting: time')).toMatchObject({ pid: 42, level: 'LOG' });
    expect(debian.parse('2026-11-22 10:00:00.123 UTC [43] app@shop FATAL:  x')).toMatchObject({ pid: 43, user: 'app', database: 'shop' });
  });

  it('reads Debian default prefix %m [%p] and numeric time zones', () => {
    const debian = compilePrefix('%m [%p] ');
    expect(debian.parse('2026-11-22 10:00:00.123 UTC [42] LOG:  hello')).toMatchObject({ pid: 42, message: 'hello', time: new Date('2026-11-22T10:00:00.123Z') });
    expect(parseLogTime('2026-11-22 10:00:00 +01')).toEqual(new Date('2026-11-22T09:00:00Z'));
  });
});

describe('authFailureOf', () => {
  it('reads password failures and pg_hba rejections, and nothing else', () => {
    expect(authFailureOf({ level: 'FATAL', client: '10.0.0.5', message: 'password authentication failed for user "app"' })).toMatchObject({ user: 'app', client: '10.0.0.5', reason: 'password' });
    expect(authFailureOf({ level: 'FATAL', message: 'no pg_hba.conf entry for host "203.0.113.9", user "x", database "y", no encryption' })).toMatchObject({ user: 'x', client: '203.0.113.9', reason: 'pg_hba' });
    expect(authFailureOf({ level: 'LOG', message: 'password authentication failed for user "app"' })).toBeUndefined();
    expect(authFailureOf({ level: 'FATAL', message: 'database "x" does not exist' })).toBeUndefined();
  });
});
