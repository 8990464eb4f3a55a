import type { Check } from './types.js';
import { baselineChecks, builtInPostgresBaseline } from './baseline-items.js';
import dailyCloudtrailRdsChanges from './daily/cloudtrail-rds-changes.js';
import dailyCloudwatchAlarms from './daily/cloudwatch-alarms.js';
import dailyConnections from './daily/connections.js';
import dailyCpu from './daily/cpu.js';
import dailyFailedAuth from './daily/failed-auth.js';
import dailyLongRunningQueries from './daily/long-running-queries.js';
import monthlyAccessControl from './monthly/access-control.js';
import monthlyAlarmCoverage from './monthly/alarm-coverage.js';
import monthlyAuroraCluster from './monthly/aurora-cluster.js';
import monthlyCatalogGrants from './monthly/catalog-grants.js';
import monthlyCompliance from './monthly/compliance.js';
import monthlyEncryption from './monthly/encryption.js';
import monthlyEventSubscriptions from './monthly/event-subscriptions.js';
import monthlyInstanceConfig from './monthly/instance-config.js';
import monthlyLifecycle from './monthly/lifecycle.js';
import monthlyLogSummary from './monthly/log-summary.js';
import monthlyLoggingConfig from './monthly/logging-config.js';
import monthlyNetwork from './monthly/network.js';
import monthlyParameterDrift from './monthly/parameter-drift.js';
import respondConnectionSources from './respond/connection-sources.js';
import respondFailedAuthBurst from './respond/failed-auth-burst.js';
import respondRunawayQueries from './respond/runaway-queries.js';
import weeklyBackups from './weekly/backups.js';
import weeklyDbUsers from './weekly/db-users.js';
import weeklyDdlStatements from './weekly/ddl-statements.js';
import weeklyQueryPatterns from './weekly/query-patterns.js';
import weeklySecurityGroups from './weekly/security-groups.js';
import weeklyTablePrivileges from './weekly/table-privileges.js';

/** The TypeScript checks, one file each. */
const CODED: ReadonlyArray<Check<any, any>> = [
  dailyCloudtrailRdsChanges,
  dailyCloudwatchAlarms,
  dailyConnections,
  dailyCpu,
  dailyFailedAuth,
  dailyLongRunningQueries,
  monthlyAccessControl,
  monthlyAlarmCoverage,
  monthlyAuroraCluster,
  monthlyCatalogGrants,
  monthlyCompliance,
  monthlyEncryption,
  monthlyEventSubscriptions,
  monthlyInstanceConfig,
  monthlyLifecycle,
  monthlyLogSummary,
  monthlyLoggingConfig,
  monthlyNetwork,
  monthlyParameterDrift,
  respondConnectionSources,
  respondFailedAuthBurst,
  respondRunawayQueries,
  weeklyBackups,
  weeklyDbUsers,
  weeklyDdlStatements,
  weeklyQueryPatterns,
  weeklySecurityGroups,
  weeklyTablePrivileges,
];

/**
 * Every check, sorted by id: the TypeScript checks and the items of the built-in PostgreSQL baseline
 * (baselines/postgresql.yaml, cadence config). A test walks this list (id = file name or baseline item, a test
 * exists, defaults validate).
 */
export const CHECKS: ReadonlyArray<Check<any, any>> = [...CODED, ...baselineChecks(builtInPostgresBaseline(), 'baselines/postgresql.yaml')].sort((a, b) => a.meta.id.localeCompare(b.meta.id));

export function checksFor(cadence: Check['meta']['cadence']): Array<Check<any, any>> {
  return CHECKS.filter((check) => check.meta.cadence === cadence);
}
