import { quote } from 'shell-quote';
import type { Report } from './report.js';

/**
 * Seed 003: "schedule regular configuration reviews and log analysis". The runbook's cadences as cron lines or
 * systemd service and timer units, and how late each review is by the reports --state keeps.
 */

const CADENCES = ['daily', 'weekly', 'monthly'] as const;
export type ScheduledCadence = (typeof CADENCES)[number];

/** When each review runs (the server's local time), as cron fields and as systemd's OnCalendar. */
const WHEN: Record<ScheduledCadence, { cron: string; calendar: string; everyMs: number }> = {
  daily: { cron: '15 6 * * *', calendar: '*-*-* 06:15:00', everyMs: 86_400_000 },
  weekly: { cron: '30 6 * * 1', calendar: 'Mon *-*-* 06:30:00', everyMs: 7 * 86_400_000 },
  monthly: { cron: '45 6 1 * *', calendar: '*-*-01 06:45:00', everyMs: 31 * 86_400_000 },
};

/** A review counts as late this long after its period has passed (a slow run, a reboot at the wrong time). */
const GRACE_MS = 6 * 3_600_000;

export interface ScheduleOptions {
  /** The dbsec executable as the scheduler should call it. */
  bin: string;
  config?: string;
  /** Where each run keeps its last report (compared with the next; read by `schedule status`). */
  state: string;
  notify?: string;
  failOn?: string;
  /** The log activity --follow reads as a service: --log-file PATH or --rds-instance ID. */
  activitySource?: string[];
  /** systemd: the account the services run as. */
  user?: string;
}

function reviewArgs(cadence: ScheduledCadence | 'activity', options: ScheduleOptions): string[] {
  return [
    options.bin,
    cadence,
    ...(cadence === 'activity' ? [...(options.activitySource ?? []), '--follow', '--format', 'jsonl'] : []),
    ...(options.config ? ['-c', options.config] : []),
    ...(cadence === 'activity' ? [] : ['--state', options.state, '--quiet']),
    ...(options.notify ? ['--notify', options.notify] : []),
    ...(options.failOn && cadence !== 'activity' ? ['--fail-on', options.failOn] : []),
  ];
}

/** Crontab lines: quoted for sh, with cron's own "%" escaped (cron turns a bare one into a newline). */
export function cronLines(options: ScheduleOptions): string {
  const lines = CADENCES.map((cadence) => `${WHEN[cadence].cron}  ${quote(reviewArgs(cadence, options)).replace(/%/g, '\\%')}`);
  return [
    "# dbsec: the security runbook's reviews (crontab -e; cron's times are the server's local time).",
    '# A run with a finding or an error exits 1 to 3: cron mails its one line (--quiet) to MAILTO.',
    ...lines,
    '# dbsec activity --follow is a service, not a cron job: dbsec schedule --systemd writes its unit.',
    '',
  ].join('\n');
}

/**
 * One argument as systemd's ExecStart reads it (systemd.service, "Command lines"): quoted when it holds a space or a
 * quote, with "%" (specifiers) and "$" (variables) doubled so they stay literal.
 */
function systemdArg(arg: string): string {
  const literal = arg.replace(/%/g, '%%').replace(/\$/g, '$$$$');
  return /[\s"'\\;]/.test(literal) || literal === '' ? `"${literal.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : literal;
}

function execStart(args: string[]): string {
  return args.map(systemdArg).join(' ');
}

/** The units, each as a file name and its text, to go in /etc/systemd/system. */
export function systemdUnits(options: ScheduleOptions): Array<{ name: string; text: string }> {
  const user = options.user ? [`User=${options.user}`] : [];
  const units = CADENCES.flatMap((cadence) => [
    {
      name: `dbsec-${cadence}.service`,
      text: ['[Unit]', `Description=dbsec ${cadence} security review`, 'Wants=network-online.target', 'After=network-online.target', '', '[Service]', 'Type=oneshot', ...user, `ExecStart=${execStart(reviewArgs(cadence, options))}`, '# Exit 1 (findings) is a result, not a failure of the unit.', 'SuccessExitStatus=1', ''].join('\n'),
    },
    {
      name: `dbsec-${cadence}.timer`,
      text: ['[Unit]', `Description=Run the dbsec ${cadence} security review`, '', '[Timer]', `OnCalendar=${WHEN[cadence].calendar}`, '# A review missed while the machine was off runs when it is back.', 'Persistent=true', '', '[Install]', 'WantedBy=timers.target', ''].join('\n'),
    },
  ]);
  if (options.activitySource?.length) {
    units.push({
      name: 'dbsec-activity.service',
      text: ['[Unit]', 'Description=dbsec activity monitoring (--follow)', 'Wants=network-online.target', 'After=network-online.target', '', '[Service]', ...user, `ExecStart=${execStart(reviewArgs('activity', options))}`, 'Restart=on-failure', 'RestartSec=30', '', '[Install]', 'WantedBy=multi-user.target', ''].join('\n'),
    });
  }
  return units;
}

export interface CadenceStatus {
  cadence: ScheduledCadence;
  /** The reports kept for it, one per set of targets: the newest first. */
  runs: Array<{ targets: string; finishedAt: Date }>;
  /** When the newest run is later than its period allows (or there is none). */
  late: boolean;
  due: Date | undefined;
}

/** Each cadence's newest kept report and whether the next one is overdue at `now`. */
export function scheduleStatus(reports: ReadonlyArray<Pick<Report, 'command' | 'finishedAt' | 'targets'>>, now: Date): CadenceStatus[] {
  return CADENCES.map((cadence) => {
    const runs = reports
      .filter((r) => r.command === cadence)
      .map((r) => ({ targets: r.targets.map((t) => t.name).join(', '), finishedAt: new Date(r.finishedAt) }))
      .sort((a, b) => b.finishedAt.getTime() - a.finishedAt.getTime());
    // Each kept report is the newest of its set of targets; the oldest of them decides, as every set is due.
    const due = runs.length > 0 ? new Date(Math.min(...runs.map((r) => r.finishedAt.getTime())) + WHEN[cadence].everyMs + GRACE_MS) : undefined;
    return { cadence, runs, late: !due || due < now, due };
  });
}
