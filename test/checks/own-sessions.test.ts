import { beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { loadModule } from 'libpg-query';
import logSummary from '../../src/checks/monthly/log-summary.js';
import { ActivityMonitor, type ActivityEvent } from '../../src/activity/monitor.js';
import { logInputs } from '../../src/sources/logs/pipeline.js';
import { newLogStats } from '../../src/sources/logs/record.js';
import { pinClock, runCheck } from '../helpers/run-check.js';

/** fixtures/record-own-sessions.mjs (2026-11-30 17:25 UTC): two sessions of dbsec as dbsec_auditor, one app_user session named dbsec. */
const LOG = fileURLToPath(new URL('../../fixtures/logs/own-sessions-pg18.log', import.meta.url));
const AFTER_RECORDING = new Date('2026-11-30T18:00:00Z');
pinClock(AFTER_RECORDING);
beforeAll(() => loadModule());

/** dbsec is told which role it connects as by the target's database URL; the server need not answer for a log read. */
const AS_AUDITOR = 'postgres://dbsec_auditor@127.0.0.1:1/postgres';

describe("dbsec's own sessions in the log", () => {
  it('are left out of the monthly connection counts, and the summary says how many records were', async () => {
    const findings = await runCheck(logSummary, { logFiles: [LOG], databaseUrl: AS_AUDITOR }, {}, { since: 86_400_000 });
    const day = findings[0]!.evidence[0]!;
    // postgres (the sandbox's setup) and app_user's session named dbsec; not dbsec_auditor's two.
    expect(day.connections).toBe(2);
    expect(findings[0]!.summary).toMatch(/ \d+ records of dbsec's own sessions were left out\.$/);
    const unknownRole = await runCheck(logSummary, { logFiles: [LOG] }, {}, { since: 86_400_000 });
    expect(unknownRole[0]!.evidence[0]!.connections).toBe(4);
  });

  it("leave activity's counts and events, while a session that only calls itself dbsec is still watched", async () => {
    const events: ActivityEvent[] = [];
    const monitor = new ActivityMonitor({ config: {}, onEvent: (e) => events.push(e) });
    const stats = newLogStats();
    for (const input of logInputs({ files: [LOG], format: 'auto', prefix: '%t:%r:%u@%d:[%p]:', now: AFTER_RECORDING, phrases: [], ownRole: 'dbsec_auditor' })) {
      for await (const batch of input.batches(stats)) batch.forEach((record) => monitor.handle(record));
    }
    expect(stats.own).toBeGreaterThan(0);
    expect(events.filter((e) => e.user === 'dbsec_auditor')).toEqual([]);
    expect(events.filter((e) => e.application === 'dbsec').map((e) => [e.user, e.useCase, e.command])).toEqual([['app_user', 'drop-table', 'DROP TABLE']]);
    // app_user's UNION on the catalog is counted as a statement; dbsec's two are not
    expect(monitor.summary.sessions).toBe(2);
  });
});
