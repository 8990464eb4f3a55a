import type { Format } from '../../reports/index.js';
import type { LogFormat } from '../../sources/logs/record.js';
import type { FailOn } from '../../status.js';
import type { MinStatus } from '../../reports/visibility.js';

/** The flags of each option group in options.ts, as commander hands them to a command. */
export interface ConnectionFlags {
  config?: string;
  databaseUrl?: string;
  rdsInstance?: string;
  region?: string;
  profile?: string;
}

export interface LogFlags {
  logGroup?: string;
  logFile?: string[];
  logFormat?: LogFormat | 'auto';
  logLinePrefix?: string;
}

/** --all-instances and its filters. */
export interface DiscoveryFlags {
  allInstances?: boolean;
  regions?: string;
  tag?: string[];
  name?: string[];
}

/** What names the target(s) of a command. */
export type TargetFlags = ConnectionFlags & LogFlags;

export interface WindowFlags {
  since?: string;
  until?: string;
}

export interface ReportFlags {
  format: Format;
  output?: string;
  failOn: FailOn;
  verbose?: boolean;
  compare?: string;
  /** A directory keeping the last report of each command and targets, compared with like --compare. */
  state?: string;
  failOnNew?: boolean;
  minStatus?: MinStatus;
  /** Send the findings to AWS Security Hub (BatchImportFindings). */
  securityHub?: boolean;
}

export interface NotifyFlags {
  notify?: string;
  notifyOn?: 'monitor' | 'investigate';
}

export interface TerminalFlags {
  quiet?: boolean;
  color?: boolean;
}
