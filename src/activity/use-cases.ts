/** The use cases of seed 000; the vocabulary is part of the output contract. */
export const USE_CASES = [
  'function-execution',
  'function-tampering',
  'obfuscated-code',
  'view-delete',
  'alter-table',
  'drop-table',
  'truncate',
  'privileged-operation',
  'user-created',
  'table-created',
  'user-dropped',
  'data-exfiltration',
  'failed-login',
  'long-running',
  'statement-cancelled',
  'session-terminated',
  'permission-denied',
  'unexpected-client',
  'server-restart',
  'unparsed',
] as const;
export type UseCase = (typeof USE_CASES)[number];

/** The seed's name for each use case and what to do about an alert, for reports. */
export const USE_CASE_INFO: Record<UseCase, { seedName: string; remediation: string }> = {
  'function-execution': { seedName: 'Stored Procedure and Function Execution', remediation: 'Confirm the caller is meant to run this function; revoke EXECUTE from roles that are not.' },
  'function-tampering': { seedName: 'PL/SQL Code Tampering', remediation: 'Compare the function with the version in source control (dbsec baseline diff when built); restore it and find who changed it if the change was not deployed.' },
  'obfuscated-code': { seedName: 'Attempt to Create Wrapped Object', remediation: 'Decode the body and read what it runs; drop the object and treat its author as an incident if it was not expected. Remove untrusted languages (DROP EXTENSION plpython3u).' },
  'view-delete': { seedName: 'SQL Delete View', remediation: 'Check the rows deleted through the view against a change ticket; restore from backup if they were not meant to go.' },
  'alter-table': { seedName: 'SQL Command – Alter Table', remediation: 'Match the change to a migration; a disabled row-level security, trigger or constraint, or a change of owner, is reverted unless it was planned.' },
  'drop-table': { seedName: 'SQL Command – Drop Table', remediation: 'Match the DROP to a change ticket; otherwise restore the table from a snapshot (point-in-time recovery) and investigate the session.' },
  // Not one of the seed's eleven: TRUNCATE destroys a table's rows as DROP destroys the table, and logs differently.
  truncate: { seedName: 'SQL Command – Drop Table (TRUNCATE empties the table the same way)', remediation: 'Match the TRUNCATE to a change ticket; otherwise restore the rows from a snapshot (point-in-time recovery) and investigate the session; a truncated audit or log table is an attempt to hide something.' },
  'privileged-operation': { seedName: 'Privileged Operation', remediation: 'Confirm the operation was authorised; revoke what was granted, reset what was set (ALTER SYSTEM RESET), and review who holds the role that did it.' },
  'user-created': { seedName: 'User Create', remediation: 'Confirm the new role was requested; otherwise ALTER ROLE … NOLOGIN and investigate who created it.' },
  'table-created': { seedName: 'Table Created', remediation: 'Recorded for oversight; an unexpected table (especially UNLOGGED or from SELECT INTO) can be a staging area for exfiltration.' },
  'user-dropped': { seedName: 'User Deleted', remediation: 'Confirm the removal was requested; a dropped role can hide who did something earlier.' },
  'data-exfiltration': { seedName: 'Attempted Data Exfiltration', remediation: 'Find what was read and where it went (COPY target, file, pg_dump client); revoke the access and treat it as an incident if it was not authorised.' },
  // Not one of the seed's eleven: the runbook's daily review of failed connection attempts, as they happen.
  'failed-login': { seedName: 'Failed logins (runbook: Daily Security Checks §2)', remediation: 'Look for a pattern: one user from many addresses (password spraying), many users or unknown roles from one address (brute force, guessing role names). Block the address in the security group or pg_hba.conf, rotate the targeted credentials, and run `dbsec respond failed-auth`.' },
  // Not among the seed's eleven either: how statements and sessions ended (the runbook's daily §3 and alert response).
  'long-running': { seedName: 'Long-running statements (runbook: Daily Security Checks §3)', remediation: 'Find what the statement did and for whom (a bulk read, a lock held); run `dbsec respond high-cpu` while it is still running.' },
  'statement-cancelled': { seedName: 'Cancelled statements (runbook: Daily Security Checks §3)', remediation: 'A statement_timeout or lock_timeout that fires often points to a query or a lock to fix; a cancel by another session is someone acting on this one.' },
  'session-terminated': { seedName: 'Terminated sessions (runbook: Security Alert Response)', remediation: 'Find who terminated the session (pg_terminate_backend in the log, or an operator) and why; outside incident response or a deployment it can be someone removing a DBA or a monitor from the server.' },
  'permission-denied': { seedName: 'Refused statements (runbook: Weekly Security Review §4, suspicious activity in the logs)', remediation: 'A role trying what it may not (another owner’s table, a read it has no grant for, a superuser attribute) is probing or misconfigured: ask its owner, and treat repeated attempts as an incident.' },
  // Seed 003's review of TDengine's (and PostgreSQL's) logs: connections from unexpected addresses, and restarts.
  'unexpected-client': { seedName: 'Connections from unexpected addresses (seed 003: suspicious activity in the logs)', remediation: 'Find whose machine the address is; if nobody should connect from it, block it (security group, pg_hba.conf, TDengine IP white list) and rotate the credentials the login used. Expected addresses go into activity.allowedClients.' },
  'server-restart': { seedName: 'Server restarts (seed 003: suspicious activity in the logs)', remediation: 'Match the restart to maintenance; an unplanned one can load a changed binary, library or configuration: run dbsec integrity verify and review the configuration.' },
  unparsed: { seedName: 'Statements PostgreSQL’s grammar could not read', remediation: 'Read the raw statement: it failed to parse (a typo, a newer syntax) or was cut in the log.' },
};
