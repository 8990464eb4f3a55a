import type { Finding, Report } from '../report.js';
import { atOrAbove, type FailOn } from '../status.js';
import type { FormatOptions } from './table.js';

/**
 * JUnit XML for test-report views (GitLab's junit artifact, Jenkins' junit step), valid against the schema those
 * tools' parsers follow (fixtures/schemas/junit-10.xsd): one testsuite per target, one testcase per check. A check
 * fails when one of its findings reaches --fail-on (and is not suppressed), errors when it could not look, is skipped
 * when it did not apply; the findings below --fail-on, and suppressed ones, are in its system-out.
 */
export function formatJunit(report: Report, { failOn = 'investigate' }: Partial<FormatOptions> = {}): string {
  const targets = [...new Set(report.findings.map((f) => f.target))];
  const suites = targets.map((target) => suiteOf(report, target, report.findings.filter((f) => f.target === target), failOn));
  const totals = suites.reduce((sum, suite) => ({ tests: sum.tests + suite.tests, failures: sum.failures + suite.failures, errors: sum.errors + suite.errors }), { tests: 0, failures: 0, errors: 0 });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${attr(`dbsec ${report.command}`)}" tests="${totals.tests}" failures="${totals.failures}" errors="${totals.errors}" time="${seconds(report)}">`,
    ...suites.map((suite) => suite.xml),
    '</testsuites>',
    '',
  ].join('\n');
}

function suiteOf(report: Report, target: string, findings: readonly Finding[], failOn: FailOn) {
  const checks = [...new Set(findings.map((f) => f.checkId))];
  const cases = checks.map((checkId) => caseOf(report, target, findings.filter((f) => f.checkId === checkId), failOn));
  const count = (outcome: CaseOutcome) => cases.filter((c) => c.outcome === outcome).length;
  const properties = [['command', report.command], ['window.from', report.window.from], ['window.to', report.window.to], ['dbsec.version', report.tool.version], ...(report.interrupted ? [['interrupted', 'true']] : [])];
  const xml = [
    `  <testsuite name="${attr(target)}" tests="${cases.length}" failures="${count('failure')}" errors="${count('error')}" skipped="${count('skipped')}" timestamp="${report.startedAt}" time="${seconds(report)}">`,
    '    <properties>',
    ...properties.map(([name, value]) => `      <property name="${attr(name!)}" value="${attr(value!)}"/>`),
    '    </properties>',
    ...cases.map((c) => c.xml),
    '  </testsuite>',
  ].join('\n');
  return { xml, tests: cases.length, failures: count('failure'), errors: count('error') };
}

type CaseOutcome = 'failure' | 'error' | 'skipped' | 'passed';

function caseOf(report: Report, target: string, findings: readonly Finding[], failOn: FailOn): { outcome: CaseOutcome; xml: string } {
  const [first] = findings as [Finding];
  const failing = findings.filter((f) => !f.suppressed && atOrAbove(f.status, failOn));
  const errors = findings.filter((f) => f.status === 'error');
  const outcome: CaseOutcome = failing.length > 0 ? 'failure' : errors.length > 0 ? 'error' : findings.every((f) => f.status === 'skipped') ? 'skipped' : 'passed';
  const others = findings.filter((f) => !failing.includes(f) && !errors.includes(f) && f.status !== 'skipped');
  const inner: string[] = [];
  if (outcome === 'failure') {
    const worst = failing[0]!;
    const message = failing.length === 1 ? worst.title : `${failing.length} findings, the first: ${worst.title}`;
    inner.push(`      <failure type="${worst.status}" message="${attr(message)}">${text([...failing.map(describe), `Remediation: ${first.remediation}`].join('\n\n'))}</failure>`);
  }
  if (errors.length > 0) inner.push(`      <error type="error" message="${attr(errors[0]!.summary || errors[0]!.title)}">${text(errors.map(describe).join('\n\n'))}</error>`);
  if (outcome === 'skipped') inner.push(`      <skipped message="${attr(first.summary || first.title)}"/>`);
  if (others.length > 0) inner.push(`      <system-out>${text(others.map(describe).join('\n\n'))}</system-out>`);
  const open = `    <testcase classname="${attr(`dbsec.${report.command}.${target}`)}" name="${attr(first.checkId)}" time="0"`;
  return { outcome, xml: inner.length === 0 ? `${open}/>` : [`${open}>`, ...inner, '    </testcase>'].join('\n') };
}

function describe(finding: Finding): string {
  return [
    `${finding.status.toUpperCase()}${finding.severity ? ` (${finding.severity})` : ''}${finding.suppressed ? ` suppressed: ${finding.suppressed.reason}` : ''}: ${finding.title}`,
    finding.summary && finding.summary !== finding.title ? finding.summary : '',
    finding.resource ? `Resource: ${finding.resource}` : '',
    `Fingerprint: ${finding.fingerprint}`,
  ]
    .filter(Boolean)
    .join('\n');
}

function seconds(report: Report): string {
  return Math.max(0, (Date.parse(report.finishedAt) - Date.parse(report.startedAt)) / 1000).toFixed(3);
}

/** XML 1.0 cannot carry most control characters, even escaped: they go. */
function clean(value: string): string {
  return value.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '');
}

function text(value: string): string {
  return clean(value).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function attr(value: string): string {
  return text(value).replace(/"/g, '&quot;').replace(/\n/g, '&#10;');
}
