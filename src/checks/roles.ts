import { matchesAny } from '../globs.js';

/** RDS's own roles: expected on every RDS instance, never findings. */
export const RDS_ROLES = ['rdsadmin', 'rdsrepladmin', 'rds_superuser', 'rds_replication', 'rds_password', 'rds_iam', 'rds_ad', 'rdstopmgr', 'rds_extension'];

/** The bootstrap superuser, RDS's roles and the configured admins may hold any privilege. */
export function isExpectedAdmin(role: string, bootstrap: boolean, admins: readonly string[]): boolean {
  return bootstrap || RDS_ROLES.includes(role) || matchesAny(role, admins);
}
