import { describe, expect, it } from 'vitest';
import { actsOf } from '../../src/sources/cloudtrail-acts.js';

/**
 * What each CloudTrail event did, from requestParameters as CloudTrail records them for the RDS and EC2 APIs (the
 * fields and shapes of the API references, in CloudTrail's camelCase; EC2's lists wrapped in {items: […]}).
 */
const context = { port: 5432, account: '123456789012' };
const read = (name: string, request: unknown) => actsOf(name, request, context).map((a) => [a.effect, a.done, a.severity]);

describe('the acts of a CloudTrail event', () => {
  it.each([
    ['ModifyDBInstance', { dBInstanceIdentifier: 'prod', masterUserPassword: '****', applyImmediately: true }, [['weakens', 'master user password of prod reset', 'high']]],
    ['ModifyDBInstance', { dBInstanceIdentifier: 'prod', publiclyAccessible: true }, [['weakens', 'prod: made publicly accessible', 'critical']]],
    ['ModifyDBInstance', { dBInstanceIdentifier: 'prod', publiclyAccessible: false }, [['restores', 'prod: made private', 'low']]],
    ['ModifyDBInstance', { dBInstanceIdentifier: 'prod', deletionProtection: false, backupRetentionPeriod: 0 }, [['weakens', 'prod: deletion protection turned off', 'medium'], ['weakens', 'prod: automated backups turned off (retention 0 days)', 'high']]],
    ['ModifyDBInstance', { dBInstanceIdentifier: 'prod', enableIAMDatabaseAuthentication: false }, [['weakens', 'prod: IAM database authentication turned off', 'medium']]],
    ['ModifyDBInstance', { dBInstanceIdentifier: 'prod', cloudwatchLogsExportConfiguration: { disableLogTypes: ['postgresql'] } }, [['weakens', 'prod: export of the postgresql log to CloudWatch stopped', 'high']]],
    ['ModifyDBInstance', { dBInstanceIdentifier: 'prod', backupRetentionPeriod: 7 }, []],
    ['ModifyDBParameterGroup', { dBParameterGroupName: 'pg15', parameters: [{ parameterName: 'rds.force_ssl', parameterValue: '0', applyMethod: 'immediate' }] }, [['weakens', 'SSL enforcement (rds.force_ssl) turned off in pg15 (rds.force_ssl = 0)', 'high']]],
    ['ModifyDBClusterParameterGroup', { dBClusterParameterGroupName: 'aurora', parameters: [{ parameterName: 'log_connections', parameterValue: '1' }, { parameterName: 'work_mem', parameterValue: '64MB' }] }, [['restores', 'connection logging (log_connections) turned on in aurora (log_connections = 1)', 'low']]],
    ['ResetDBParameterGroup', { dBParameterGroupName: 'pg15', resetAllParameters: true }, [['weakens', 'every parameter of pg15 reset to the engine default (SSL enforcement and logging included)', 'high']]],
    ['ModifyDBSnapshotAttribute', { dBSnapshotIdentifier: 'copy', attributeName: 'restore', valuesToAdd: ['all', '444455556666'] }, [['weakens', 'snapshot copy made public (restore = all)', 'critical'], ['weakens', 'snapshot copy shared with account 444455556666', 'high']]],
    ['ModifyDBClusterSnapshotAttribute', { dBClusterSnapshotIdentifier: 'c1', attributeName: 'restore', valuesToRemove: ['all'] }, [['restores', 'snapshot c1 made private', 'low']]],
    ['CopyDBSnapshot', { sourceDBSnapshotIdentifier: 'nightly', targetDBSnapshotIdentifier: 'out', kmsKeyId: 'arn:aws:kms:us-east-1:444455556666:key/1234' }, [['weakens', 'snapshot nightly copied under KMS key arn:aws:kms:us-east-1:444455556666:key/1234 of another account (444455556666)', 'critical']]],
    ['CopyDBSnapshot', { sourceDBSnapshotIdentifier: 'nightly', kmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/5678' }, [['changes', 'snapshot nightly copied under KMS key arn:aws:kms:us-east-1:123456789012:key/5678', 'medium']]],
    ['RestoreDBInstanceFromDBSnapshot', { dBInstanceIdentifier: 'restored', dBSnapshotIdentifier: 'nightly', publiclyAccessible: true }, [['weakens', 'restored restored from nightly, publicly accessible', 'critical']]],
    ['DeleteDBInstance', { dBInstanceIdentifier: 'prod', skipFinalSnapshot: true, deleteAutomatedBackups: true }, [['weakens', 'prod deleted without a final snapshot and with its automated backups', 'critical']]],
    ['AuthorizeSecurityGroupIngress', { groupId: 'sg-1', ipPermissions: { items: [{ ipProtocol: 'tcp', fromPort: 5400, toPort: 5500, ipv6Ranges: { items: [{ cidrIpv6: '::/0' }] } }] } }, [['weakens', 'port 5432 of sg-1 opened to the internet (::/0)', 'critical']]],
    ['AuthorizeSecurityGroupIngress', { groupId: 'sg-1', ipPermissions: { items: [{ ipProtocol: 'tcp', fromPort: 22, toPort: 22, ipRanges: { items: [{ cidrIp: '0.0.0.0/0' }] } }] } }, [['changes', 'ingress rules of sg-1 added', 'medium']]],
    ['RevokeSecurityGroupIngress', { groupId: 'sg-1', ipPermissions: { items: [{ ipProtocol: '-1', ipRanges: { items: [{ cidrIp: '0.0.0.0/0' }] } }] } }, [['restores', 'internet access (0.0.0.0/0) to port 5432 of sg-1 removed', 'low']]],
    ['RebootDBInstance', { dBInstanceIdentifier: 'prod' }, []],
  ])('%s %j', (name, request, expected) => {
    expect(read(name, request)).toEqual(expected);
  });

  it('reads nothing from a record without requestParameters', () => {
    expect(actsOf('ModifyDBInstance', null, context)).toEqual([]);
  });
});
