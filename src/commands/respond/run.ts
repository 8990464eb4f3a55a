import { reportExit } from '../../compare.js';
import { counted } from '../../plural.js';
import { createInterface } from 'node:readline/promises';
import { TargetContext } from '../../context.js';
import { DbsecError, messageOf } from '../../errors.js';
import type { Io } from '../../io.js';
import { makeFinding } from '../../finding.js';
import { sortFindings, summarize, type Finding, type Report } from '../../report.js';
import { interruptedExit } from '../../status.js';
import { selectSessions, terminateSessions, type Selector } from '../../respond/containment.js';
import { collectReview, type ReviewFlags } from '../review/run.js';
import { contextDeps, singleTarget } from '../shared/targets.js';
import { emitReport, notifyIfAsked } from '../shared/emit.js';

export const ALERTS = {
  'high-connections': { checks: ['respond.connection-sources'], runbook: 'Security Alert Response §1: High Connection Count Alert' },
  'failed-auth': { checks: ['respond.failed-auth-burst'], runbook: 'Security Alert Response §2: Failed Authentication Alert' },
  'high-cpu': { checks: ['respond.runaway-queries'], runbook: 'Security Alert Response §3: High CPU Alert' },
} as const;
export type AlertName = keyof typeof ALERTS;

export interface RespondFlags extends ReviewFlags {
  clientAddr?: string;
  user?: string;
  pid?: string[];
  includeSuperusers?: boolean;
  execute?: boolean;
  yes?: boolean;
  actionLog: string;
}

/**
 * dbsec respond ALERT: the runbook's investigation for the alert, the containment it proposes as exact commands,
 * and with --execute (after confirmation) pg_terminate_backend for the selected sessions, each logged.
 */
export async function respond(alert: AlertName, flags: RespondFlags, io: Io, version: string): Promise<number> {
  const spec = ALERTS[alert];
  const selector: Selector = { clientAddr: flags.clientAddr, user: flags.user, pids: flags.pid?.map(pidOf), includeSuperusers: flags.includeSuperusers };
  const selected = Boolean(selector.clientAddr || selector.user || selector.pids?.length);
  if (flags.execute && !selected) throw new DbsecError('--execute terminates the sessions you select: add --client-addr ADDR, --user ROLE or --pid PID.');
  const { report, config } = await collectReview('respond', { ...flags, quiet: true }, io, version, { checkIds: [...spec.checks], label: `respond ${alert}` });
  if (report.interrupted) {
    // No containment, least of all --execute, on an investigation that did not finish.
    await emitReport(report, flags, io, config);
    return interruptedExit(io.interruption?.().reason);
  }
  const containment = await contain(alert, flags, selector, selected, report, io);
  const findings = sortFindings([...report.findings, containment]);
  const full: Report = { ...report, findings, summary: summarize(findings) };
  const emitted = await emitReport(full, flags, io, config);
  await notifyIfAsked(emitted, flags, io);
  return reportExit(emitted, flags);
}

async function contain(alert: AlertName, flags: RespondFlags, selector: Selector, selected: boolean, report: Report, io: Io): Promise<Finding> {
  const source = { checkId: 'respond.containment', target: report.targets[0]?.name ?? '?', remediation: 'Review the sessions before you run the command; every action dbsec takes is appended to the action log.', runbook: ALERTS[alert].runbook };
  const finding = (draft: Parameters<typeof makeFinding>[0]) => makeFinding(draft, source);
  if (!selected) {
    const proposals = proposalsFrom(alert, report);
    const blind = report.findings.filter((f) => f.status === 'error').length;
    // An investigation that could not look has found nothing only in the sense that it saw nothing.
    if (!proposals.length && blind) {
      return finding({ status: 'skipped', title: 'No containment can be proposed', summary: `${blind === 1 ? 'One step' : `${blind} steps`} of the investigation could not run (see ${blind === 1 ? 'its error' : 'their errors'}): nothing is known to contain yet.`, resource: null });
    }
    return finding({
      status: proposals.length ? 'monitor' : 'ok',
      title: proposals.length ? `Proposed containment: ${proposals.length} step${proposals.length === 1 ? '' : 's'}` : 'No containment proposed',
      summary: proposals.length ? proposals.map((p) => p.command).join('  |  ') : 'The investigation found nothing to contain.',
      resource: null,
      evidence: proposals.map((p) => ({ step: p.why, command: p.command })),
    });
  }
  const { target, config } = await singleTarget(flags, io, 'dbsec respond acts on one database: pass --database-url instead of a config with several targets.');
  const now = io.now();
  const ctx = new TargetContext(target, { from: now, to: now }, now, contextDeps(config, io));
  try {
    const pg = await ctx.pg();
    const { chosen, protectedSuperusers } = await selectSessions(pg, selector);
    const rows = chosen.map((s) => ({ pid: s.pid, user: s.user, client: s.client, application: s.application, state: s.state }));
    const note = protectedSuperusers.length ? ` ${protectedSuperusers.length} superuser session(s) left alone (--include-superusers to include them).` : '';
    if (!flags.execute) {
      return finding({ status: chosen.length ? 'monitor' : 'ok', title: `Dry run: would terminate ${chosen.length} session${chosen.length === 1 ? '' : 's'}`, summary: `Add --execute to run pg_terminate_backend on them.${note}`, resource: describeSelector(selector), evidence: rows });
    }
    if (chosen.length > 0 && !(await confirmed(chosen.length, flags, io))) {
      return finding({ status: 'monitor', title: 'Containment not confirmed: nothing was terminated', summary: 'Answer y, or pass --yes in scripts.', resource: describeSelector(selector), evidence: rows });
    }
    const results = await terminateSessions(pg, chosen, { path: flags.actionLog, command: `respond ${alert}`, clock: io.now });
    const failed = results.filter((r) => r.result.startsWith('failed'));
    return finding({
      status: failed.length ? 'error' : 'ok',
      title: `Terminated ${results.filter((r) => r.result === 'terminated').length} of ${chosen.length} selected sessions`,
      summary: `Logged to ${flags.actionLog}.${note}${failed.length ? ` ${failed.length} failed: ${failed[0]!.result} (pg_terminate_backend needs pg_signal_backend or superuser).` : ''}`,
      resource: describeSelector(selector),
      evidence: results.map((r) => ({ pid: r.pid, user: r.user, client: r.client, application: r.application, result: r.result })),
    });
  } catch (err) {
    if (err instanceof ConfirmationNeeded) throw err;
    return finding({ status: 'error', title: 'Containment could not run', summary: messageOf(err), resource: describeSelector(selector) });
  } finally {
    await ctx.close();
  }
}

/** What the runbook would do next, as exact commands, from what the investigation found. */
function proposalsFrom(alert: AlertName, report: Report): Array<{ why: string; command: string }> {
  const suspicious = report.findings.filter((f) => f.status === 'investigate' && f.resource);
  return suspicious.flatMap((f) => {
    if (alert === 'high-cpu') {
      const pid = f.resource!.replace(/^pid /, '');
      return [{ why: f.title, command: `dbsec respond high-cpu --pid ${pid} --execute` }];
    }
    const client = f.resource!.split(' ')[0]!;
    // An address the log did not show (no %r in the prefix and no connection line) cannot be contained by address.
    if (!/^[0-9a-f.:]+$/i.test(client)) return [{ why: f.title, command: `dbsec respond ${alert} --user <role> --execute    # the log shows no client address: log_connections on, or %r in log_line_prefix` }];
    const steps = [{ why: f.title, command: `dbsec respond ${alert} --client-addr ${client} --execute` }];
    steps.push({ why: 'block the address at the network', command: `aws ec2 revoke-security-group-ingress --group-id <rds-sg-id> --protocol tcp --port 5432 --cidr ${client}/32` });
    return steps;
  });
}

async function confirmed(count: number, flags: RespondFlags, io: Io): Promise<boolean> {
  if (flags.yes) return true;
  if (!process.stdin.isTTY || !io.stderr.isTTY) throw new ConfirmationNeeded(`Terminating ${counted(count, 'session')} needs confirmation: run on a terminal, or pass --yes in scripts.`);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`Terminate ${count} session${count === 1 ? '' : 's'}? [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

/** Not a failed containment but a refused one: the whole command stops (exit 2). */
class ConfirmationNeeded extends DbsecError {}

function describeSelector(selector: Selector): string {
  return [selector.clientAddr && `client ${selector.clientAddr}`, selector.user && `user ${selector.user}`, selector.pids?.length && `pid ${selector.pids.join(',')}`].filter(Boolean).join(', ');
}

function pidOf(text: string): number {
  const pid = Number(text);
  if (!Number.isInteger(pid) || pid <= 0) throw new DbsecError(`--pid "${text}" is not a process id.`);
  return pid;
}
