import Table from 'cli-table3';
import { CHECKS } from '../../checks/index.js';
import type { Io } from '../../io.js';
import type { Format } from '../../reports/formats.js';

/** dbsec checks: every check with its cadence, sources, what time it sees, runbook step and default thresholds. */
export function listChecks(flags: { format: Format }, io: Io): number {
  const rows = CHECKS.map((check) => ({
    ...check.meta,
    defaults: check.options.parse({}) as Record<string, unknown>,
  }));
  if (flags.format === 'json') {
    io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return 0;
  }
  if (flags.format === 'markdown') {
    const lines = ['| id | cadence | title | sources | sees | runbook | defaults |', '| --- | --- | --- | --- | --- | --- | --- |'];
    for (const row of rows) lines.push(`| \`${row.id}\` | ${row.cadence} | ${row.title} | ${row.sources.join(', ')} | ${row.sees} | ${row.runbook} | \`${JSON.stringify(row.defaults)}\` |`);
    io.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  }
  const table = new Table({ head: ['id', 'cadence', 'sources', 'runbook step', 'defaults'], wordWrap: true, colWidths: [30, 9, 14, 40, 40], style: { head: [], border: [] } });
  // "present": the state at run time, whatever the window; "window": what happened between --since and --until.
  for (const row of rows) table.push([row.id, row.cadence, `${row.sources.join(', ')}\n(${row.sees})`, row.runbook, formatDefaults(row.defaults)]);
  io.stdout.write(`${table.toString()}\n`);
  return 0;
}

function formatDefaults(defaults: Record<string, unknown>): string {
  return Object.entries(defaults).map(([key, value]) => `${key}=${JSON.stringify(value)}`).join('\n');
}
