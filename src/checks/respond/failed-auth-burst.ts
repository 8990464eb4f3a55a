import { z } from 'zod';
import { groupBy } from '../../collections.js';
import { defineCheck, type FindingDraft } from '../types.js';
import { AUTH_FAILURE_PHRASES, authFailureOf, type AuthFailure } from '../../sources/logs/auth-failures.js';

export default defineCheck({
  meta: {
    id: 'respond.failed-auth-burst',
    title: 'Failed logins per user and address: brute force or spraying',
    area: 'alert-response',
    cadence: 'respond',
    sources: ['logs'],
    sees: 'window',
    logPhrases: AUTH_FAILURE_PHRASES,
    runbook: 'Security Alert Response §2: Failed Authentication Alert',
    remediation:
      'Block the address (security group, or a reject line in pg_hba.conf), lock a targeted account (ALTER ROLE … NOLOGIN) until its owner confirms, rotate its password, and look for a success from the same address.',
  },
  options: z.object({
    /** Failures from one address within the window that make it a brute-force attempt. */
    bruteForceAt: z.number().int().min(1).default(10),
    /** Distinct users tried from one address that make it password spraying. */
    sprayUsersAt: z.number().int().min(2).default(3),
  }),
  async collect(ctx): Promise<AuthFailure[]> {
    const scan = await ctx.scanLogs(AUTH_FAILURE_PHRASES);
    const failures: AuthFailure[] = [];
    for await (const record of scan.records) {
      const failure = authFailureOf(record);
      if (failure) failures.push(failure);
    }
    return failures;
  },
  evaluate(failures, options): FindingDraft[] {
    const byClient = groupBy(failures, (f) => f.client);
    const findings: FindingDraft[] = [];
    for (const [client, list] of [...byClient].sort((a, b) => b[1].length - a[1].length)) {
      const users = [...new Set(list.map((f) => f.user))];
      const spraying = users.length >= options.sprayUsersAt;
      if (list.length < options.bruteForceAt && !spraying) continue;
      findings.push({
        status: 'investigate',
        resource: client,
        title: `${spraying ? 'Password spraying' : 'Brute force'} from ${client}: ${list.length} failed logins for ${users.length} user${users.length === 1 ? '' : 's'}`,
        summary: `Users tried: ${users.slice(0, 10).join(', ')}. Last at ${list.at(-1)?.time?.toISOString() ?? '?'}.`,
        value: list.length,
        expected: `fewer than ${options.bruteForceAt} failures and ${options.sprayUsersAt} users per address`,
        evidence: users.map((user) => ({ client, user, failures: list.filter((f) => f.user === user).length })),
      });
    }
    if (findings.length > 0) return findings;
    return [{ status: 'ok', resource: 'failed logins', title: `${failures.length} failed logins, no brute force or spraying`, summary: `From ${byClient.size} addresses in the window.`, value: failures.length }];
  },
});
