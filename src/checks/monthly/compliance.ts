import { z } from 'zod';
import { defineCheck, type FindingDraft } from '../types.js';
import { DbsecError } from '../../errors.js';
import { allPages, awsCall } from '../../sources/aws.js';
import { controlsOf, type Control } from '../../reports/controls.js';
import type { CheckContext } from '../../context.js';
import type { Finding } from '../../report.js';

interface ConfigRuleResult {
  rule: string;
  compliance: string;
  annotation?: string;
}

interface AwsConfigResults {
  /** Why there are no rule results: no RDS instance, no recorder, or the call failed. */
  unavailable?: string;
  rules: ConfigRuleResult[];
}

export default defineCheck({
  meta: {
    id: 'monthly.compliance',
    title: 'Compliance roll-up of every control',
    area: 'compliance',
    cadence: 'monthly',
    sources: ['config'],
    sees: 'present',
    runbook: 'Monthly Security Audit §6: Compliance Check',
    remediation: 'Work through the non-compliant controls in the order listed; each row names the remediation of its check. AWS Config rule results are fixed where the rule points.',
    rollup: true,
  },
  options: z.object({}),
  async collect(ctx): Promise<{ prior: readonly Finding[]; awsConfig: AwsConfigResults }> {
    return { prior: ctx.priorFindings, awsConfig: await awsConfigResults(ctx) };
  },
  evaluate({ prior, awsConfig }): FindingDraft[] {
    const controls = controlsOf(prior.filter((f) => f.checkId !== 'monthly.compliance'));
    const assessed = controls.filter((c) => c.result !== 'not assessed');
    const failing = controls.filter((c) => c.result === 'non-compliant');
    const unassessed = controls.length - assessed.length;
    if (assessed.length === 0) {
      throw new DbsecError(`None of the ${controls.length} controls could be assessed (their checks were skipped or failed): compliance cannot be stated; fix the sources those findings name.`);
    }
    // A control that could not be assessed leaves compliance unknown: never "ok", at least something to follow up.
    const worst = failing.some((c) => c.worst === 'investigate') ? 'investigate' : failing.length > 0 || unassessed > 0 ? 'monitor' : 'ok';
    const configNote = awsConfig.unavailable ? ` AWS Config: ${awsConfig.unavailable}.` : ` AWS Config: ${awsConfig.rules.length} rule results for the instance.`;
    const findings: FindingDraft[] = [
      {
        status: worst,
        resource: 'compliance',
        title: `${assessed.length - failing.length} of ${assessed.length} controls compliant${unassessed ? `, ${unassessed} not assessed` : ''}`,
        summary: `${failing.length ? `Non-compliant: ${failing.map((c) => c.checkId).join(', ')}.` : 'Every assessed control is compliant.'} ${unassessed} not assessed${unassessed ? ': compliance cannot be stated until they are' : ''}.${configNote}`,
        value: failing.length,
        expected: '0 non-compliant controls',
        evidence: controls.map(controlRow),
      },
    ];
    for (const rule of awsConfig.rules.filter((r) => r.compliance === 'NON_COMPLIANT')) {
      findings.push({ status: 'monitor', resource: `config rule ${rule.rule}`, title: `AWS Config rule ${rule.rule} is NON_COMPLIANT`, summary: rule.annotation ?? 'See the rule in the AWS Config console for the reason.', value: rule.compliance, expected: 'COMPLIANT' });
    }
    return findings;
  },
});

function controlRow(control: Control) {
  return { control: control.checkId, runbook: control.runbook, result: control.result, worst: control.worst, remediation: control.result === 'non-compliant' ? control.remediation : '' };
}

/** AWS Config is optional: its absence or a denied call is noted, never an error of the roll-up. */
async function awsConfigResults(ctx: CheckContext): Promise<AwsConfigResults> {
  if (!ctx.target.rdsInstance) return { unavailable: 'no RDS instance, not consulted', rules: [] };
  try {
    const instance = await ctx.rdsInstance();
    const { sdk, client } = await ctx.aws().config();
    const recorders = await awsCall('config:DescribeConfigurationRecorders', () => client.send(new sdk.DescribeConfigurationRecordersCommand({})));
    if (!recorders.ConfigurationRecorders?.length) return { unavailable: 'not set up in this account and region, skipped', rules: [] };
    const pages = await allPages(
      'config:GetComplianceDetailsByResource',
      sdk.paginateGetComplianceDetailsByResource({ client }, { ResourceType: 'AWS::RDS::DBInstance', ResourceId: instance.DbiResourceId }),
    );
    const rules = pages
      .flatMap((p) => p.EvaluationResults ?? [])
      .map((r) => ({ rule: r.EvaluationResultIdentifier?.EvaluationResultQualifier?.ConfigRuleName ?? '?', compliance: r.ComplianceType ?? '?', annotation: r.Annotation }));
    return { rules };
  } catch (err) {
    if (err instanceof DbsecError) return { unavailable: err.message.replace(/\.$/, ''), rules: [] };
    throw err;
  }
}
