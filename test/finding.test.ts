import { describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { fingerprintOf, makeFinding } from '../src/finding.js';
import { AWS_RECORDED_AT, SANDBOX_INSTANCE } from '../src/sandbox/aws-scenario.js';
import { endpointLifecycle, useEndpoint } from './helpers/aws.js';
import { bufferIo } from './helpers/io.js';

const source = { checkId: 'weekly.table-privileges', target: 'prod', remediation: 'Revoke it.', runbook: 'Weekly Security Review §1' };

describe('makeFinding, the one Finding constructor', () => {
  it('redacts and escapes every string that came from outside, evidence included', () => {
    const finding = makeFinding(
      { status: 'investigate', resource: "role\u001b[31m x", title: "ALTER ROLE x PASSWORD 'Hunter2'", summary: 'postgres://app:s3cret@db/app', value: "PASSWORD 'v'", expected: "PASSWORD 'e'", evidence: [{ sql: "CREATE ROLE y PASSWORD 'Leak1'", n: 1 }] },
      source,
    );
    expect(JSON.stringify(finding)).not.toMatch(/Hunter2|s3cret|Leak1|'v'|'e'|\u001b/);
    expect(finding.resource).toBe('role\\x1b[31m x');
    expect(finding.evidence).toEqual([{ sql: "CREATE ROLE y PASSWORD '***'", n: 1 }]);
  });

  it('fingerprints check, target, resource and identifying facts, never the wording or the status', () => {
    const a = makeFinding({ status: 'investigate', resource: 'public.orders', title: 'PUBLIC can DELETE on public.orders', summary: 'one wording', identity: ['PUBLIC', 'DELETE'] }, source);
    const reworded = makeFinding({ status: 'monitor', resource: 'public.orders', title: 'DELETE granted to PUBLIC', summary: 'another wording', identity: ['PUBLIC', 'DELETE'] }, source);
    const otherPrivilege = makeFinding({ status: 'investigate', resource: 'public.orders', title: 'x', summary: 'x', identity: ['PUBLIC', 'UPDATE'] }, source);
    const otherTarget = makeFinding({ status: 'investigate', resource: 'public.orders', title: 'x', summary: 'x', identity: ['PUBLIC', 'DELETE'] }, { ...source, target: 'staging' });
    expect(a.fingerprint).toMatch(/^[0-9a-f]{32}$/);
    expect(reworded.fingerprint).toBe(a.fingerprint);
    expect(new Set([a.fingerprint, otherPrivilege.fingerprint, otherTarget.fingerprint]).size).toBe(3);
    expect(a.fingerprint).toBe(fingerprintOf('weekly.table-privileges', 'prod', 'public.orders', ['PUBLIC', 'DELETE']));
  });
});

describe('fingerprints across runs', () => {
  endpointLifecycle();

  it('two daily runs over the same recorded data give the same fingerprints, one per finding', async () => {
    await useEndpoint();
    const run = async (at: Date) => {
      const io = bufferIo(at);
      await main(['node', 'dbsec', 'daily', '--rds-instance', SANDBOX_INSTANCE, '--format', 'json', '--until', '2026-11-22T16:00:00Z'], io);
      return JSON.parse(io.out()).findings.map((f: { fingerprint: string }) => f.fingerprint);
    };
    const first = await run(AWS_RECORDED_AT);
    const later = await run(new Date(AWS_RECORDED_AT.getTime() + 3_600_000));
    expect(first.length).toBeGreaterThan(5);
    expect(new Set(first).size).toBe(first.length);
    expect(later).toEqual(first);
  });
});
