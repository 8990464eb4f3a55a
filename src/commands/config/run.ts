import { reportExit } from '../../compare.js';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { baselineChecks, itemDraft } from '../../checks/baseline-items.js';
import { pinnedClock } from '../../clock.js';
import { DbsecError } from '../../errors.js';
import type { Io } from '../../io.js';
import { makeFinding } from '../../finding.js';
import { makeReport, namedTarget, type Report } from '../../report.js';
import { runChecks } from '../../runner.js';
import { builtInBaselinePath, loadReviewBaseline, type ReviewBaseline } from '../../config-review/baseline-file.js';
import { readConfigFiles } from '../../config-review/readers.js';
import { contextDeps, singleTarget } from '../shared/targets.js';
import { emitReport } from '../shared/emit.js';
import type { ReportFlags, TargetFlags, TerminalFlags } from '../shared/flags.js';

export interface ConfigReviewFlags extends TargetFlags, ReportFlags, TerminalFlags {
  engine: 'postgresql' | 'tdengine';
  baseline?: string;
  file?: string[];
  printBaseline?: boolean;
}

/**
 * dbsec config: a server's configuration against a security baseline. The expected values are data (a YAML
 * baseline, built in or --baseline); PostgreSQL's items are checks run by the one runner, TDengine's files are read
 * directly, and both are judged by the same item rule.
 */
export async function configReview(flags: ConfigReviewFlags, io: Io, version: string): Promise<number> {
  const path = flags.baseline ?? builtInBaselinePath(flags.engine);
  if (flags.printBaseline) {
    io.stdout.write(await readFile(path, 'utf8'));
    return 0;
  }
  const baseline = await loadReviewBaseline(path);
  if (baseline.engine !== flags.engine) throw new DbsecError(`The baseline ${path} is for ${baseline.engine}, not ${flags.engine}: pass --engine ${baseline.engine} or another --baseline.`);
  const command = `config (${baseline.engine}, ${basename(path)})`;
  const report = flags.engine === 'tdengine' ? await reviewFiles(baseline, flags, command, io, version) : await reviewServer(baseline, flags, command, io, version);
  return reportExit(await emitReport(report, flags, io), flags);
}

async function reviewServer(baseline: ReviewBaseline, flags: ConfigReviewFlags, command: string, io: Io, version: string): Promise<Report> {
  const { target, config } = await singleTarget(flags, io, 'dbsec config reviews one server: pass --database-url (or PG* variables) instead of a config with several targets.');
  const now = io.now();
  const checks = baselineChecks(baseline, flags.baseline ? basename(flags.baseline) : 'baselines/postgresql.yaml');
  return runChecks({
    command,
    version,
    checks,
    options: new Map(checks.map((check) => [check.meta.id, { enabled: true, options: {} }])),
    targets: [target],
    window: { from: now, to: now },
    clock: pinnedClock(now, io.now),
    concurrency: 4,
    deps: contextDeps(config, io),
  });
}

async function reviewFiles(baseline: ReviewBaseline, flags: ConfigReviewFlags, command: string, io: Io, version: string): Promise<Report> {
  if (!flags.file?.length) throw new DbsecError('Pass the TDengine files to review: --file /etc/taos/taos.cfg [--file /etc/taos/taosadapter.toml] [--file /etc/taos/taoskeeper.toml].');
  const now = io.now();
  const targetName = flags.file.join(', ');
  const readings = await readConfigFiles(flags.file, baseline.items);
  const findings = baseline.items.map((item) => {
    const reading = readings.get(item.id)!;
    const source = { checkId: `config.${item.id}`, target: targetName, remediation: item.fix, runbook: `${baseline.engine} baseline, ${item.section}` };
    if ('skipped' in reading) return makeFinding({ status: 'skipped', title: `${item.title}: not reviewed`, summary: `Skipped: ${reading.skipped}.`, resource: item.id }, source);
    return makeFinding(itemDraft(item, reading), source);
  });
  return makeReport({ version, command, startedAt: now, finishedAt: io.now(), window: { from: now, to: now }, targets: [namedTarget(targetName)] }, findings);
}
