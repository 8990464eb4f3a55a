import { describe, expect, it } from 'vitest';
import backups from '../../src/checks/weekly/backups.js';
import { AWS_RECORDED_AT, SANDBOX_INSTANCE, fixture } from '../../src/sandbox/aws-scenario.js';
import { pinClock, runCheck, statuses } from '../helpers/run-check.js';
import { endpointLifecycle, useEndpoint } from '../helpers/aws.js';

endpointLifecycle();
pinClock(AWS_RECORDED_AT);
const target = { rdsInstance: SANDBOX_INSTANCE };
const week = { since: 7 * 86_400_000 };

/** The recorded snapshots, edited: one snapshot block changed by `edit`, or dropped when it returns ''. */
function snapshotsWith(edit: (block: string, index: number) => string): string {
  let index = 0;
  return fixture('rds-describe-db-snapshots.xml').replace(/<DBSnapshot>[\s\S]*?<\/DBSnapshot>/g, (block) => edit(block, index++));
}

describe('weekly.backups', () => {
  it('is ok with a private manual snapshot and daily encrypted backups', async () => {
    await useEndpoint({ snapshotShares: {} });
    const findings = await runCheck(backups, target, {}, week);
    expect(statuses(findings)).toEqual(['ok']);
    expect(findings[0]!.title).toMatch(/^\d+ automated snapshots on 7 days, retention 7 days$/);
  });

  it('finds the recorded public snapshot as investigate', async () => {
    const endpoint = await useEndpoint();
    const findings = await runCheck(backups, target, {}, week);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ status: 'investigate', resource: 'dbsec-demo-db-manual-copy', title: 'Snapshot dbsec-demo-db-manual-copy is public' });
    expect(endpoint.count('DescribeDBSnapshotAttributes')).toBe(1);
  });

  it('rates a missing day and an unencrypted or failed snapshot as investigate, a size mismatch as monitor', async () => {
    const xml = snapshotsWith((block, i) => {
      if (i === 4) return '';
      if (i === 5) return block.replace('<Encrypted>true</Encrypted>', '<Encrypted>false</Encrypted>');
      if (i === 6) return block.replace('<Status>available</Status>', '<Status>failed</Status>');
      if (i === 7) return block.replace('<AllocatedStorage>100</AllocatedStorage>', '<AllocatedStorage>20</AllocatedStorage>');
      return block;
    });
    await useEndpoint({ snapshotsXml: xml, snapshotShares: {} });
    const findings = await runCheck(backups, target, {}, week);
    expect(findings.map((f) => [f.status, f.title.replace(/rds:\S+/, 'rds:…')])).toEqual([
      ['investigate', 'Automated snapshots on 6 days, expected 7'],
      ['investigate', 'Snapshot rds:… is not encrypted'],
      ['investigate', 'Snapshot rds:… is failed'],
      ['monitor', 'Snapshot rds:… is 20 GiB, the instance 100 GiB'],
    ]);
  });

  it('still expects seven days when the run reads the clock a few seconds after its window ends', async () => {
    const xml = snapshotsWith((block, i) => (i === 4 ? '' : block));
    await useEndpoint({ snapshotsXml: xml, snapshotShares: {} });
    // The window was fixed at the start; the check reads the clock later (a busy machine: seconds, not milliseconds).
    const findings = await runCheck(backups, target, {}, { ...week, until: AWS_RECORDED_AT, now: new Date(AWS_RECORDED_AT.getTime() + 5_000) });
    expect(findings.map((f) => [f.status, f.title])).toEqual([['investigate', 'Automated snapshots on 6 days, expected 7']]);
  });

  it('rates a snapshot shared with another account as monitor, and short retention as investigate', async () => {
    await useEndpoint({ snapshotShares: { 'dbsec-demo-db-manual-copy': ['210987654321'] } });
    const findings = await runCheck(backups, target, { minRetentionDays: 14 }, week);
    expect(findings.map((f) => [f.status, f.title])).toEqual([
      ['investigate', 'Backup retention is 7 days'],
      ['monitor', 'Snapshot dbsec-demo-db-manual-copy is shared with 1 account(s)'],
    ]);
  });

  it('is an error when RDS denies DescribeDBSnapshots', async () => {
    const endpoint = await useEndpoint();
    endpoint.inject('DescribeDBSnapshots', 'access-denied', Infinity);
    const findings = await runCheck(backups, target, {}, week);
    expect(findings[0]!.summary).toMatch(/^AWS denied rds:DescribeDBSnapshots \(AccessDenied\)/);
  });
});

describe('weekly.backups over a past window (--until)', () => {
  const week = 7 * 86_400_000;

  it('counts only the automated snapshots inside the window, and the days retention still keeps', async () => {
    await useEndpoint({ snapshotShares: {} });
    // The window 2026-11-13T16:05 .. 2026-11-20T16:05 seen on 2026-11-22: six daily snapshots (11-15 to 11-20) inside it;
    // retention (7 days) guarantees the days from 11-15T16:05 on, so five are expected.
    const findings = await runCheck(backups, target, {}, { since: week, until: new Date('2026-11-20T16:05:00Z') });
    expect(findings.map((f) => [f.status, f.title])).toEqual([['ok', '6 automated snapshots on 6 days, retention 7 days']]);
  });

  it('expects no daily backup in a window that ended before the retention began, and says so', async () => {
    await useEndpoint({ snapshotShares: {} });
    const findings = await runCheck(backups, target, {}, { since: week, until: new Date('2026-11-08T00:00:00Z') });
    expect(findings.map((f) => f.status)).toEqual(['ok']);
    expect(findings[0]!.summary).toMatch(/The window ended before the 7-day retention began, so its daily backups can no longer be counted\./);
  });
});
