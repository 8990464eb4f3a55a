import type { Finding } from '../report.js';
import { worstStatus, type Status } from '../status.js';
import { groupBy } from '../collections.js';

export type ControlResult = 'compliant' | 'non-compliant' | 'not assessed';

/** One check seen as a compliance control: compliant when every finding is ok. */
export interface Control {
  checkId: string;
  runbook: string;
  result: ControlResult;
  worst: Status;
  remediation: string;
  findings: Finding[];
}

export function controlsOf(findings: readonly Finding[]): Control[] {
  return [...groupBy(findings, (f) => f.checkId)]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([checkId, list]) => {
      const worst = worstStatus(list);
      const result: ControlResult = worst === 'skipped' || worst === 'error' ? 'not assessed' : worst === 'ok' ? 'compliant' : 'non-compliant';
      return { checkId, runbook: list[0]!.runbook, result, worst, remediation: list[0]!.remediation, findings: list };
    });
}
