import { beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import queryPatterns from '../../src/checks/weekly/query-patterns.js';
import accessControl from '../../src/checks/monthly/access-control.js';
import { createRoles, ROLES } from '../../src/sandbox/pg-scenario.js';
import { runCheck, statuses } from '../helpers/run-check.js';
import { servers, sql } from '../helpers/servers.js';
import type { SandboxPostgres } from '../../src/sandbox/postgres.js';

const DB = 'qp_review';

async function inDb(server: SandboxPostgres, text: string, user = 'postgres', password?: string): Promise<void> {
  const client = new pg.Client(password ? server.url({ user, password, database: DB }) : server.url({ database: DB }));
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** Real statements through pg_stat_statements (loaded by the test servers), read as the pg_monitor auditor. */
describe.each(servers().map((server) => [server.flavor, server] as const))('weekly.query-patterns on %s', (_flavor, server) => {
  const auditor = () => ({ databaseUrl: server.url({ user: ROLES.auditor.name, password: ROLES.auditor.password, database: DB }) });
  const app = (text: string) => inDb(server, text, ROLES.app.name, ROLES.app.password);

  beforeAll(async () => {
    await createRoles(server);
    await sql(server, `DROP DATABASE IF EXISTS ${DB}`);
    await sql(server, `CREATE DATABASE ${DB}`);
    await inDb(server, `CREATE TABLE orders (id int, total numeric); CREATE TABLE customers (id int, email text); GRANT SELECT ON orders, customers TO ${ROLES.app.name}`);
  });

  it('is skipped with the exact steps when the extension is not created in the database', async () => {
    const findings = await runCheck(queryPatterns, auditor());
    expect(findings[0]!.status).toBe('skipped');
    expect(findings[0]!.summary).toContain('CREATE EXTENSION pg_stat_statements');
  });

  it('is ok for ordinary queries, with the top statements by calls and by mean time', async () => {
    await inDb(server, 'CREATE EXTENSION pg_stat_statements');
    await inDb(server, 'SELECT pg_stat_statements_reset()');
    for (let i = 0; i < 3; i++) await app(`SELECT total FROM orders WHERE id = ${i}`);
    const findings = await runCheck(queryPatterns, auditor());
    expect(statuses(findings)).toEqual(['ok']);
    const top = findings[0]!.evidence.find((row) => String(row.query).includes('FROM orders WHERE id'))!;
    expect(top).toMatchObject({ user: ROLES.app.name, calls: 3, rank: expect.stringMatching(/^calls #/) });
  });

  it('lists readers of sensitive tables as monitor', async () => {
    await app('SELECT email FROM customers WHERE id = 7');
    const findings = await runCheck(queryPatterns, auditor(), { sensitiveTables: ['customers'] });
    expect(findings[0]).toMatchObject({ status: 'monitor', title: '1 statement touches sensitive tables' });
    expect(findings[0]!.summary).toContain(ROLES.app.name);
  });

  it('finds a tautology, a UNION on the catalog and a time delay as investigate', async () => {
    await app("SELECT total FROM orders WHERE id = 1 OR 1=1");
    await app("SELECT id::text FROM orders UNION SELECT rolname::text FROM pg_catalog.pg_roles");
    await app('SELECT pg_sleep(0.01)');
    const findings = await runCheck(queryPatterns, auditor());
    const signs = findings.filter((f) => f.status === 'investigate').map((f) => f.value).sort();
    expect(signs).toEqual(['UNION SELECT on the catalog', 'tautology', 'time delay']);
  });

  it("never reports dbsec's own statements, while the same text from another role is still found", async () => {
    await inDb(server, 'SELECT pg_stat_statements_reset()');
    // monthly.access-control's catalog query has a UNION ALL over pg_catalog: dbsec runs it as the auditor.
    await runCheck(accessControl, auditor());
    await app("SELECT id::text FROM orders UNION SELECT rolname::text FROM pg_catalog.pg_roles");
    const findings = await runCheck(queryPatterns, auditor());
    const texts = findings.flatMap((f) => [f.summary, ...f.evidence.map((row) => String(row.query))]);
    expect(texts.filter((text) => text.includes('/* dbsec */'))).toEqual([]);
    expect(findings.filter((f) => f.status === 'investigate').map((f) => f.summary)).toEqual(['SELECT id::text FROM orders UNION SELECT rolname::text FROM pg_catalog.pg_roles']);
    // the mark alone hides nothing: another role's statement that carries it is reported
    await app('SELECT total FROM orders WHERE id = 1 OR 1=1 /* dbsec */');
    expect((await runCheck(queryPatterns, auditor())).some((f) => f.value === 'tautology')).toBe(true);
  });

  it('is an error, never ok, when dbsec\'s role cannot see other roles\' statements', async () => {
    const findings = await runCheck(queryPatterns, { databaseUrl: server.url({ user: ROLES.reporting.name, password: ROLES.reporting.password, database: DB }) });
    expect(statuses(findings)).toEqual(['error']);
    expect(findings[0]!.summary).toBe(`The role ${ROLES.reporting.name} sees only its own statements in pg_stat_statements, so injected ones by other roles would be missed: GRANT pg_monitor TO ${ROLES.reporting.name}.`);
  });

  it('is an error when the database is unreachable', async () => {
    const findings = await runCheck(queryPatterns, { databaseUrl: 'postgres://a:b@127.0.0.1:1/x' });
    expect(findings[0]!.status).toBe('error');
  });
});
