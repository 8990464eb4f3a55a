import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkedReport } from '../../compare.js';
import { DbsecError, messageOf } from '../../errors.js';
import type { Io } from '../../io.js';
import type { Report } from '../../report.js';
import { cronLines, scheduleStatus, systemdUnits, type ScheduleOptions } from '../../schedule.js';
import { safeText } from '../../redact.js';
import { EXIT } from '../../status.js';

interface ScheduleFlags {
  cron?: boolean;
  systemd?: boolean;
  config?: string;
  state: string;
  notify?: string;
  failOn?: string;
  bin: string;
  user?: string;
  logFile?: string;
  rdsInstance?: string;
}

export async function printSchedule(flags: ScheduleFlags, io: Io): Promise<number> {
  if (flags.failOn && !['monitor', 'investigate', 'never'].includes(flags.failOn)) throw new DbsecError(`--fail-on "${flags.failOn}" must be monitor, investigate or never.`);
  const options: ScheduleOptions = {
    bin: flags.bin,
    state: flags.state,
    ...(flags.config ? { config: flags.config } : {}),
    ...(flags.notify ? { notify: flags.notify } : {}),
    ...(flags.failOn ? { failOn: flags.failOn } : {}),
    ...(flags.user ? { user: flags.user } : {}),
    activitySource: flags.logFile ? ['--log-file', flags.logFile] : flags.rdsInstance ? ['--rds-instance', flags.rdsInstance] : [],
  };
  if (!flags.systemd) {
    io.stdout.write(cronLines(options));
    return EXIT.clean;
  }
  const units = systemdUnits(options);
  io.stdout.write(units.map((unit) => `# /etc/systemd/system/${unit.name}\n${unit.text}`).join('\n'));
  io.stdout.write(`# then: systemctl daemon-reload && systemctl enable --now ${units.filter((u) => u.name.endsWith('.timer') || u.name === 'dbsec-activity.service').map((u) => u.name).join(' ')}\n`);
  return EXIT.clean;
}

export async function scheduleStatusCommand(dir: string, io: Io): Promise<number> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => name.endsWith('.json')).sort();
  } catch (err) {
    throw new DbsecError(`Cannot read the state directory ${dir} (${messageOf(err)}); pass the --state directory the scheduled runs use.`);
  }
  const reports: Report[] = [];
  const unreadable: string[] = [];
  for (const name of names) {
    const path = join(dir, name);
    try {
      reports.push(checkedReport(await readFile(path, 'utf8'), path, 'schedule status', 'it is not a report dbsec kept'));
    } catch {
      unreadable.push(name);
    }
  }
  const now = io.now();
  const statuses = scheduleStatus(reports, now);
  const lines = statuses.map(({ cadence, runs, late, due }) => {
    if (runs.length === 0) return `${cadence.padEnd(8)} never ran (no report kept in ${dir})  OVERDUE`;
    // With several sets of targets, the one reviewed longest ago is what is due first.
    const oldest = runs[runs.length - 1]!;
    return `${cadence.padEnd(8)} last ran ${oldest.finishedAt.toISOString()} (${runs.map((r) => r.targets).join('; ')}), next due by ${due!.toISOString()}  ${late ? 'OVERDUE' : 'on time'}`;
  });
  if (unreadable.length > 0) lines.push(`${unreadable.length} file(s) in ${dir} are not reports dbsec kept and were left out: ${unreadable.join(', ')}`);
  io.stdout.write(`${lines.map((line) => safeText(line)).join('\n')}\n`);
  return statuses.some((s) => s.late) ? EXIT.findings : EXIT.clean;
}
