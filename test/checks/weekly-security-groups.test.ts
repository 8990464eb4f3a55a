import { describe, expect, it } from 'vitest';
import securityGroups from '../../src/checks/weekly/security-groups.js';
import { AWS_RECORDED_AT, SANDBOX_INSTANCE, fixture } from '../../src/sandbox/aws-scenario.js';
import { pinClock, runCheck, statuses } from '../helpers/run-check.js';
import { endpointLifecycle, useEndpoint } from '../helpers/aws.js';

endpointLifecycle();
pinClock(AWS_RECORDED_AT);
const target = { rdsInstance: SANDBOX_INSTANCE };

/** The recorded group with its ingress rules replaced (EC2 query protocol XML, as the fixture). */
function groupWith(permissionsXml: string): string {
  return fixture('ec2-describe-security-groups.xml').replace(/<ipPermissions>[\s\S]*?<\/ipPermissions>/, `<ipPermissions>${permissionsXml}</ipPermissions>`);
}

const appGroupOn5432 = '<item><ipProtocol>tcp</ipProtocol><fromPort>5432</fromPort><toPort>5432</toPort><groups><item><userId>123456789012</userId><groupId>sg-0app0000000000001</groupId></item></groups><ipRanges/><ipv6Ranges/><prefixListIds/></item>';

describe('weekly.security-groups', () => {
  it('is ok when only the app security group reaches the database port', async () => {
    await useEndpoint({ securityGroupsXml: groupWith(appGroupOn5432) });
    const findings = await runCheck(securityGroups, target);
    expect(statuses(findings)).toEqual(['ok']);
    expect(findings[0]!.evidence).toEqual([{ group: 'sg-0a1b2c3d4e5f60718', protocol: 'tcp', from: 5432, to: 5432, source: 'sg-0app0000000000001' }]);
  });

  it('finds 0.0.0.0/0 as investigate and a CIDR on another port as monitor, in the recorded group', async () => {
    await useEndpoint();
    const findings = await runCheck(securityGroups, target);
    expect(findings.map((f) => [f.status, f.title])).toEqual([
      ['investigate', 'sg-0a1b2c3d4e5f60718 allows port 5432 from 0.0.0.0/0'],
      ['monitor', 'sg-0a1b2c3d4e5f60718 allows port 22 from 10.0.0.0/16'],
    ]);
  });

  it('flags ::/0 and all traffic as investigate, and an unlisted source group as monitor', async () => {
    const rules = `${appGroupOn5432}<item><ipProtocol>-1</ipProtocol><groups/><ipRanges/><ipv6Ranges><item><cidrIpv6>::/0</cidrIpv6></item></ipv6Ranges><prefixListIds/></item>`;
    await useEndpoint({ securityGroupsXml: groupWith(rules) });
    const findings = await runCheck(securityGroups, target, { allowedSourceGroups: ['sg-0other'] });
    expect(findings.map((f) => [f.status, f.resource])).toEqual([
      ['investigate', 'sg-0a1b2c3d4e5f60718 all traffic from ::/0'],
      ['monitor', 'sg-0a1b2c3d4e5f60718 port 5432 from sg-0app0000000000001'],
    ]);
  });

  it('retries EC2 throttling (RequestLimitExceeded, HTTP 503) and is an error on UnauthorizedOperation', async () => {
    const endpoint = await useEndpoint({ securityGroupsXml: groupWith(appGroupOn5432) });
    endpoint.inject('DescribeSecurityGroups', 'throttle', 2);
    expect(statuses(await runCheck(securityGroups, target))).toEqual(['ok']);
    endpoint.inject('DescribeSecurityGroups', 'access-denied', Infinity);
    const denied = await runCheck(securityGroups, target);
    expect(denied[0]!.summary).toMatch(/^AWS denied ec2:DescribeSecurityGroups \(UnauthorizedOperation\)/);
  });
});
