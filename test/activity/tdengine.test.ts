import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli.js';
import { bufferIo } from '../helpers/io.js';

// TDengine writes local time without a zone: these tests read it as UTC, the zone of the machine that wrote the fixtures.
process.env.TZ = 'UTC';

/**
 * dbsec activity --engine tdengine over fixtures/tdengine/logs: taosd's and taosAdapter's lines written from
 * TDengine's own format strings (fixtures/README.md says which source file each shape comes from).
 */
const LOGS = new URL('../../fixtures/tdengine/logs/', import.meta.url).pathname;
const TAOSD = join(LOGS, 'taosdlog.0');
const ADAPTER = join(LOGS, 'taosadapter_2026_11_28_00_00.log');
const at = new Date('2026-11-30T12:00:00Z');
const dir = mkdtempSync(join(tmpdir(), 'dbsec-tdengine-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Event {
  time: string;
  user: string | null;
  client: string | null;
  useCase: string;
  objects: string[];
  notes: string[];
  alert: { status: string } | null;
}

async function activity(args: string[], config?: string): Promise<{ code: number; events: Event[]; summary: Record<string, unknown>; out: string; err: string }> {
  const io = bufferIo(at);
  const configArgs = config ? ['-c', writeConfig(config)] : [];
  const code = await main(['node', 'dbsec', 'activity', '--engine', 'tdengine', '--format', 'jsonl', '--events', ...configArgs, ...args], io);
  const lines = io.out().trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
  return { code, events: lines.filter((l) => l.type === 'event'), summary: lines.find((l) => l.type === 'summary'), out: io.out(), err: io.err() };
}

function writeConfig(text: string): string {
  const path = join(dir, `config-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, text);
  return path;
}

describe('dbsec activity --engine tdengine', () => {
  it("reads taosd's failed logins under PostgreSQL's bounds: the 6th failure of root from one address is monitor", async () => {
    const { events, code, out } = await activity(['--log-file', TAOSD]);
    const failed = events.filter((e) => e.useCase === 'failed-login');
    expect(failed.map((e) => [e.user, e.client])).toEqual([
      ...Array.from({ length: 7 }, () => ['root', '203.0.113.9']),
      ['admin1', '203.0.113.9'],
      ['root', '203.0.113.10'],
    ]);
    expect(failed.map((e) => e.alert?.status ?? null)).toEqual([null, null, null, null, null, 'monitor', null, null, null]);
    expect(failed[0]).toMatchObject({ time: '2026-11-28T09:02:11.523Z', notes: ['wrong password; failure 1 for this user, 1 from 203.0.113.9'] });
    expect(failed[7]!.notes).toEqual(['User not exist; failure 1 for this user, 8 from 203.0.113.9', 'the user does not exist: guessing user names?']);
    // TDengine 3.0's head (no level word) and wording ("invalid pass", gtid) read the same way
    expect(failed[8]!.notes[0]).toBe('wrong password; failure 8 for this user, 1 from 203.0.113.10');
    // the MD5 of what each client tried ("input:…") never leaves dbsec
    expect(out).not.toMatch(/e10adc3949|25d55ad283/);
    expect(code).toBe(0); // a monitor alert is below the default --fail-on investigate
  });

  it('finds refused operations and restarts, and logins from outside activity.allowedClients', async () => {
    const { events } = await activity(['--log-file', TAOSD], 'activity:\n  allowedClients: [10.0.0.0/8, 192.0.2.1]\n');
    expect(events.find((e) => e.useCase === 'permission-denied')).toMatchObject({ objects: ['db:1.sensors'], notes: ['failed to drop since Insufficient privilege for operation'], alert: { status: 'monitor' } });
    expect(events.filter((e) => e.useCase === 'server-restart').map((e) => e.time)).toEqual(['2026-11-28T09:00:01.104Z', '2026-11-28T09:15:07.220Z']);
    const unexpected = events.filter((e) => e.useCase === 'unexpected-client');
    expect(unexpected).toHaveLength(1);
    expect(unexpected[0]).toMatchObject({ user: 'reporter', client: '198.51.100.23', alert: { status: 'monitor' } });
    // without the list, no login is unexpected
    expect((await activity(['--log-file', TAOSD])).events.some((e) => e.useCase === 'unexpected-client')).toBe(false);
  });

  it("counts taosAdapter's refused REST logins by address, with taosd's, in one run over both files", async () => {
    const { events, summary } = await activity(['--log-file', TAOSD, '--log-file', ADAPTER]);
    const adapter = events.filter((e) => e.client === '203.0.113.50');
    expect(adapter).toHaveLength(4);
    expect(adapter[0]).toMatchObject({ useCase: 'failed-login', user: 'unknown (taosAdapter)', notes: ['HTTP 401 on POST /rest/sql; failure 1 for this user, 1 from 203.0.113.50'] });
    expect(summary).toMatchObject({ input: expect.objectContaining({ format: 'tdengine', skipped: 0 }) });
  });

  it('the report says what TDengine\'s log cannot show, and the table shows the alerts', async () => {
    const io = bufferIo(at);
    const code = await main(['node', 'dbsec', 'activity', '--engine', 'tdengine', '--log-file', TAOSD, '--format', 'json'], io);
    const report = JSON.parse(io.out());
    expect(code).toBe(0);
    const coverage = report.findings.find((f: { checkId: string }) => f.checkId === 'activity.coverage');
    expect(coverage.status).toBe('monitor');
    expect(coverage.evidence[0].cannotShow).toMatch(/^statements: taosd's log holds no SQL text/);
    expect(report.findings.map((f: { checkId: string }) => f.checkId)).toEqual(expect.arrayContaining(['activity.failed-login', 'activity.permission-denied', 'activity.server-restart']));
  });

  it('refuses a database or an RDS instance with --engine tdengine, and a log that is not TDengine\'s is an error', async () => {
    const io = bufferIo(at);
    expect(await main(['node', 'dbsec', 'activity', '--engine', 'tdengine', '--rds-instance', 'prod-db'], io)).toBe(2);
    expect(io.err()).toContain("--engine tdengine reads TDengine's log files");
    const wrong = join(dir, 'postgres.log');
    writeFileSync(wrong, '2026-11-28 09:00:00 UTC [42] LOG:  database system is ready to accept connections\n');
    const other = bufferIo(at);
    // no line fits: an error, never ok, and the only finding that ran, so the design's exit code 2
    expect(await main(['node', 'dbsec', 'activity', '--engine', 'tdengine', '--log-file', wrong, '--format', 'json'], other)).toBe(2);
    expect(JSON.parse(other.out()).findings.find((f: { status: string }) => f.status === 'error').summary).toMatch(/postgres\.log/);
  });

  it('passes over routine lines unparsed (with their continuations) and finds the same events among them', async () => {
    const routine = Array.from({ length: 3000 }, (_, i) => `11/28 08:${String(10 + (i % 40)).padStart(2, '0')}:00.000${String(i % 1000).padStart(3, '0')} 00012810 VND INFO vgId:2, commit index:${i}`);
    // a routine taosAdapter request whose path a newline split: its second line goes with it, unparsed
    routine.push('11/28 08:59:59.000001 00000007 TAOS_ADAPTER info "| 204 |   1.2ms |   10.0.4.12 | POST | /influxdb/v1/write?db=demo ', '" model=web sessionID=1');
    const busy = join(dir, 'taosdlog.busy');
    writeFileSync(busy, `${routine.join('\n')}\n${readFileSync(TAOSD, 'utf8')}`);
    const quiet = await activity(['--log-file', TAOSD]);
    const { events, summary } = await activity(['--log-file', busy]);
    expect(events.map((e) => [e.useCase, e.time, e.alert?.status ?? null])).toEqual(quiet.events.map((e) => [e.useCase, e.time, e.alert?.status ?? null]));
    expect(summary).toMatchObject({ input: expect.objectContaining({ skipped: 0 }) });
    expect((summary.input as { entries: number }).entries).toBeLessThan(100);
  });

  it('dates a line from December read in January in the year before', async () => {
    const december = join(dir, 'taosdlog.1');
    writeFileSync(december, readFileSync(TAOSD, 'utf8').replace(/^11\/28/gm, '12/31'));
    const io = bufferIo(new Date('2027-01-02T00:00:00Z'));
    await main(['node', 'dbsec', 'activity', '--engine', 'tdengine', '--log-file', december, '--format', 'jsonl', '--events'], io);
    const first = JSON.parse(io.out().split('\n')[0]!);
    expect(first.time).toBe('2026-12-31T09:00:01.104Z');
  });
});
