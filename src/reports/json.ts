import { fleetRows, type Report } from '../report.js';

/** The report as the schema has it; several targets also get the fleet's rows, worst first, before the findings. */
export function formatJson(report: Report): string {
  const targets = new Set(report.findings.map((f) => f.target));
  const { findings, ...head } = report;
  return `${JSON.stringify(targets.size > 1 ? { ...head, fleet: fleetRows(report), findings } : report, null, 2)}\n`;
}
