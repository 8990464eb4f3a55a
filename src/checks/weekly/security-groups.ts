import { z } from 'zod';
import { defineCheck, type FindingDraft } from '../types.js';
import { instanceSecurityGroups } from '../../sources/security-groups.js';
import type { Level } from '../../status.js';

interface Rule {
  group: string;
  protocol: string;
  fromPort?: number;
  toPort?: number;
  sources: Array<{ kind: 'cidr' | 'group' | 'prefix-list'; value: string }>;
}

const OPEN_WORLD = ['0.0.0.0/0', '::/0'];

export default defineCheck({
  meta: {
    id: 'weekly.security-groups',
    title: 'Security group rules of the instance',
    area: 'network',
    cadence: 'weekly',
    sources: ['rds', 'ec2'],
    sees: 'present',
    runbook: 'Weekly Security Review §2: Review Security Group Configuration',
    remediation:
      'Allow only the database port, only from the application security group: aws ec2 revoke-security-group-ingress --group-id SG --ip-permissions … for each rule found; keep temporary access in a separate, dated group.',
  },
  options: z.object({
    /** Security groups that may send traffic to the instance (besides none); empty: any group reference is accepted. */
    allowedSourceGroups: z.array(z.string()).default([]),
    /** CIDR blocks accepted as sources (the runbook wants none). */
    allowedCidrs: z.array(z.string()).default([]),
  }),
  async collect(ctx): Promise<{ port: number; rules: Rule[] }> {
    const { port, groups } = await instanceSecurityGroups(ctx);
    const rules = groups.flatMap((group) =>
      (group.IpPermissions ?? []).map((permission) => ({
        group: group.GroupId ?? '?',
        protocol: permission.IpProtocol ?? '?',
        fromPort: permission.FromPort,
        toPort: permission.ToPort,
        sources: [
          ...(permission.IpRanges ?? []).map((r) => ({ kind: 'cidr' as const, value: r.CidrIp ?? '?' })),
          ...(permission.Ipv6Ranges ?? []).map((r) => ({ kind: 'cidr' as const, value: r.CidrIpv6 ?? '?' })),
          ...(permission.UserIdGroupPairs ?? []).map((p) => ({ kind: 'group' as const, value: p.GroupId ?? '?' })),
          ...(permission.PrefixListIds ?? []).map((p) => ({ kind: 'prefix-list' as const, value: p.PrefixListId ?? '?' })),
        ],
      })),
    );
    return { port, rules };
  },
  evaluate({ port, rules }, options): FindingDraft[] {
    const findings: FindingDraft[] = [];
    for (const rule of rules) {
      const ports = rule.protocol === '-1' ? 'all traffic' : rule.fromPort === rule.toPort ? `port ${rule.fromPort}` : `ports ${rule.fromPort}-${rule.toPort}`;
      const onlyDbPort = rule.protocol === 'tcp' && rule.fromPort === port && rule.toPort === port;
      for (const source of rule.sources) {
        const problems: Array<[Level, string]> = [];
        if (source.kind === 'cidr' && OPEN_WORLD.includes(source.value)) problems.push(['investigate', `open to the internet (${source.value})`]);
        else if (source.kind === 'cidr' && !options.allowedCidrs.includes(source.value)) problems.push(['monitor', `a CIDR source (${source.value}) instead of a security group`]);
        else if (source.kind === 'group' && options.allowedSourceGroups.length > 0 && !options.allowedSourceGroups.includes(source.value)) {
          problems.push(['monitor', `a security group not in allowedSourceGroups (${source.value})`]);
        }
        if (!onlyDbPort) problems.push([rule.protocol === '-1' ? 'investigate' : 'monitor', `${ports} rather than only ${port}`]);
        if (problems.length === 0) continue;
        findings.push({
          status: problems.some(([level]) => level === 'investigate') ? 'investigate' : 'monitor',
          resource: `${rule.group} ${ports} from ${source.value}`,
          title: `${rule.group} allows ${ports} from ${source.value}`,
          summary: `The rule is ${problems.map(([, text]) => text).join(' and ')}.`,
          value: source.value,
          expected: `only port ${port}, only from the application's security group`,
          evidence: [{ group: rule.group, protocol: rule.protocol, ports, source: source.value, kind: source.kind }],
        });
      }
    }
    if (findings.length > 0) return findings;
    return [
      {
        status: 'ok',
        resource: [...new Set(rules.map((r) => r.group))].join(', ') || 'no security group',
        title: `${rules.length} ingress rules, all to port ${port} from security groups`,
        summary: 'No CIDR source and no other port.',
        value: 0,
        evidence: rules.flatMap((rule) => rule.sources.map((source) => ({ group: rule.group, protocol: rule.protocol, from: rule.fromPort ?? null, to: rule.toPort ?? null, source: source.value }))),
      },
    ];
  },
});
