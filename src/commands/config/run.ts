import { readFile } from 'node:fs/promises';
import { TargetContext } from '../../context.js';
import { DbsecError, messageOf } from '../../errors.js';
import type { Io } from '../../io.js';
import { safeText } from '../../redact.js';
import { makeFinding } from '../../finding.js';
import { makeReport, namedTarget, type Finding, type Report } from '../../report.js';
import { exitCode, type FailOn } from '../../status.js';
import type { Format } from '../../reports/index.js';
import { builtInBaselinePath, describeExpectation, loadReviewBaseline, meets, type ReviewBaseline } from '../../config-review/baseline-file.js';
import { readConfigFiles, readPostgres, type Reading } from '../../config-review/readers.js';
import { contextDeps, singleTarget } from '../shared/targets.js';
import { emitReport } from '../shared/emit.js';
import type { TargetFlags } from '../shared/flags.js';

export interface ConfigReviewFlags extends TargetFlags {
  config?: string;
  engine: 'postgresql' | 'tdengine';
  baseline?: string;
  file?: string[];
  printBaseline?: boolean;
  format: Format;
  output?: string;
  failOn: FailOn;
  quiet?: boolean;
  color?: boolean;
}

/**
 * dbsec config: a server's configuration against a security baseline. The expected values are data (a YAML
 * baseline, built in or --baseline); only the readers differ between engines.
 */
export async function configReview(flags: ConfigReviewFlags, io: Io, version: string): Promise<number> {
  const path = flags.baseline ?? builtInBaselinePath(flags.engine);
  if (flags.printBaseline) {
    io.stdout.write(await readFile(path, 'utf8'));
    return 0;
  }
  const baseline = await loadReviewBaseline(path);
  if (baseline.engine !== flags.engine) throw new DbsecError(`The baseline ${path} is for ${baseline.engine}, not ${flags.engine}: pass --engine ${baseline.engine} or another --baseline.`);
  const now = io.now();
  let targetName: string;
  let readings: Map<string, Reading>;
  if (flags.engine === 'tdengine') {
    if (!flags.file?.length) throw new DbsecError('Pass the TDengine files to review: --file /etc/taos/taos.cfg [--file /etc/taos/taosadapter.toml] [--file /etc/taos/taoskeeper.toml].');
    readings = await readConfigFiles(flags.file, baseline.items);
    targetName = flags.file.join(', ');
  } else {
    const { target, config } = await singleTarget(flags, io, 'dbsec config reviews one server: pass --database-url (or PG* variables) instead of a config with several targets.');
    const ctx = new TargetContext(target, { from: now, to: now }, now, contextDeps(config, io));
    try {
      readings = await readPostgres(await ctx.pg().catch((err) => Promise.reject(new DbsecError(messageOf(err)))), baseline.items);
    } finally {
      await ctx.close();
    }
    targetName = target.name;
  }
  const report = reviewReport(baseline, readings, { path, targetName, version, now, finishedAt: io.now() });
  await emitReport(report, flags, io);
  return exitCode(report.findings, flags.failOn);
}

function reviewReport(baseline: ReviewBaseline, readings: Map<string, Reading>, meta: { path: string; targetName: string; version: string; now: Date; finishedAt: Date }): Report {
  const findings: Finding[] = baseline.items.map((item) => {
    const reading = readings.get(item.id)!;
    const expected = describeExpectation(item.expect);
    const source = { checkId: `config.${item.id}`, target: meta.targetName, remediation: item.fix, runbook: `${baseline.engine} baseline, ${item.section}` };
    if ('skipped' in reading) {
      return makeFinding({ status: 'skipped', title: `${item.title}: not reviewed`, summary: `Skipped: ${reading.skipped}.`, resource: item.id, expected }, source);
    }
    const shown = reading.value === '' ? '(none)' : Array.isArray(reading.value) ? reading.value.join(', ') : String(reading.value);
    const pass = meets(reading.value, item.expect);
    return makeFinding(
      {
        status: pass ? 'ok' : item.level,
        title: safeText(`${item.title}${pass ? '' : `: ${shown}`}`, 200),
        summary: pass ? `${shown} (expected ${expected}).` : `Expected ${expected}: ${item.why}`,
        resource: item.id,
        value: safeText(shown, 500),
        expected,
      },
      source,
    );
  });
  return makeReport(
    { version: meta.version, command: `config (${baseline.engine}, ${meta.path.split('/').pop()})`, startedAt: meta.now, finishedAt: meta.finishedAt, window: { from: meta.now, to: meta.now }, targets: [namedTarget(meta.targetName)] },
    findings,
  );
}
