import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import type AjvDraft04 from 'ajv-draft-04';
import { stringify } from 'yaml';
import { Ajv } from 'ajv';
import { main } from '../src/cli.js';
import type { Report } from '../src/report.js';
import { bufferIo } from './helpers/io.js';

/**
 * The formats other tools read, each validated against its published schema (vendored in fixtures/schemas with its
 * provenance in fixtures/README.md), on the recorded story log: fixtures/record-story.mjs, 2026-11-30 ~17:15 UTC.
 */
const STORY = fileURLToPath(new URL('../fixtures/logs/activity/story-pg18.log', import.meta.url));
const schema = (name: string) => JSON.parse(readFileSync(fileURLToPath(new URL(`../fixtures/schemas/${name}`, import.meta.url)), 'utf8'));
// SARIF's schema is draft-04, which Ajv 8 reads only through ajv-draft-04 (a CommonJS module exporting the class).
const Ajv4 = createRequire(import.meta.url)('ajv-draft-04') as typeof AjvDraft04.default;
const dir = mkdtempSync(join(tmpdir(), 'dbsec-formats-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const AT = new Date('2026-11-30T23:00:00Z');

async function dbsec(...args: string[]) {
  const io = bufferIo(AT, { ...process.env, COLUMNS: '120' });
  const code = await main(['node', 'dbsec', ...args], io);
  return { code, out: io.out(), err: io.err() };
}

const config = join(dir, 'dbsec.yaml');
const previous = join(dir, 'previous.json');
let report: Report;

beforeAll(async () => {
  writeFileSync(config, stringify({ suppress: [{ check: 'activity.user-created', reason: 'provisioning', owner: 'dba' }] }));
  // the previous run saw all but the TRUNCATE
  const full = JSON.parse((await dbsec('activity', '--log-file', STORY, '--format', 'json')).out) as Report;
  writeFileSync(previous, JSON.stringify({ ...full, findings: full.findings.filter((f) => f.checkId !== 'activity.truncate') }));
  report = JSON.parse((await dbsec('activity', '--log-file', STORY, '--format', 'json', '-c', config, '--compare', previous)).out) as Report;
});

describe('--format sarif', () => {
  const validate = new Ajv4({ strict: false, validateFormats: false }).compile(schema('sarif-schema-2.1.0.json'));

  it('has a validator that refuses what is not SARIF', () => {
    expect(validate({ version: '2.1.0', runs: [{ tool: { driver: {} } }] })).toBe(false);
  });

  it('is valid SARIF 2.1.0: one rule per check, one result per problem, fingerprints, suppressions and baseline states', async () => {
    const { code, out } = await dbsec('activity', '--log-file', STORY, '--format', 'sarif', '-c', config, '--compare', previous);
    expect(code).toBe(1);
    const sarif = JSON.parse(out);
    expect(validate(sarif), JSON.stringify(validate.errors)).toBe(true);
    const [run] = sarif.runs;
    expect(run.tool.driver.rules.map((r: { id: string }) => r.id)).toEqual([...new Set(report.findings.map((f) => f.checkId))].sort());
    const problems = report.findings.filter((f) => f.status === 'investigate' || f.status === 'monitor');
    expect(run.results).toHaveLength(problems.length);
    expect(run.results.map((r: any) => r.partialFingerprints['dbsecFingerprint/v1']).sort()).toEqual(problems.map((f) => f.fingerprint).sort());
    for (const result of run.results) expect(run.tool.driver.rules[result.ruleIndex].id).toBe(result.ruleId);
    const truncate = run.results.find((r: any) => r.ruleId === 'activity.truncate');
    expect(truncate).toMatchObject({ level: 'error', baselineState: 'new', message: { text: expect.stringMatching(/^TRUNCATE TABLE audit_log by mallory@postgres/) }, properties: { severity: 'critical', 'security-severity': '9.5' } });
    const suppressed = run.results.filter((r: any) => r.suppressions);
    expect(suppressed.map((r: any) => r.ruleId)).toEqual(['activity.user-created', 'activity.user-created']);
    expect(suppressed[0].suppressions).toEqual([{ kind: 'external', status: 'accepted', justification: 'provisioning' }]);
    const coverage = run.tool.driver.rules.find((r: any) => r.id === 'activity.coverage');
    expect(coverage).toMatchObject({ defaultConfiguration: { level: 'warning' }, help: { text: expect.any(String) } });
  });

  it("says what dbsec could not look at as the tool's notifications, not results", async () => {
    const { out } = await dbsec('daily', '--log-file', STORY, '--since', '3650d', '--format', 'sarif');
    const sarif = JSON.parse(out);
    expect(validate(sarif), JSON.stringify(validate.errors)).toBe(true);
    const [invocation] = sarif.runs[0].invocations;
    expect(invocation.toolExecutionNotifications.length).toBeGreaterThan(3);
    expect(invocation.toolExecutionNotifications.every((n: any) => n.level === 'note' && /: Skipped|no /i.test(n.message.text))).toBe(true);
    // the story has no failed login: daily.failed-auth is ok, a rule without a result
    expect(sarif.runs[0].results).toEqual([]);
    expect(sarif.runs[0].tool.driver.rules.map((r: any) => r.id)).toContain('daily.failed-auth');
  });
});

describe('--format junit', () => {
  const XSD = fileURLToPath(new URL('../fixtures/schemas/junit-10.xsd', import.meta.url));
  /** xmllint (Debian's libxml2-utils) against the schema Jenkins' xUnit plugin reads JUnit reports with. */
  function validate(xml: string): { ok: boolean; output: string } {
    const file = join(dir, `report-${Math.random().toString(16).slice(2)}.xml`);
    writeFileSync(file, xml);
    const run = spawnSync('xmllint', ['--noout', '--schema', XSD, file], { encoding: 'utf8' });
    return { ok: run.status === 0, output: run.stderr };
  }

  it('has a validator that refuses what the schema does not allow', () => {
    expect(validate('<testsuites><testsuite name="x"/></testsuites>').ok).toBe(false);
  });

  it('is valid JUnit XML: one suite per target, one testcase per check, failing at --fail-on', async () => {
    const { out } = await dbsec('activity', '--log-file', STORY, '--format', 'junit', '-c', config);
    const check = validate(out);
    expect(check.ok, check.output).toBe(true);
    const testcases = [...out.matchAll(/<testcase classname="dbsec\.activity\.story-pg18\.log" name="([^"]+)"/g)].map((m) => m[1]);
    expect(testcases).toEqual([...new Set(report.findings.map((f) => f.checkId))]);
    expect(out).toMatch(/<testsuite name="story-pg18\.log" tests="(\d+)" failures="(\d+)" errors="0" skipped="0"/);
    const [, tests, failures] = /<testsuite name="story-pg18\.log" tests="(\d+)" failures="(\d+)"/.exec(out)!;
    // every check with an investigate finding fails, except user-created, whose findings are all suppressed
    const failing = new Set(report.findings.filter((f) => f.status === 'investigate' && !f.suppressed).map((f) => f.checkId));
    expect([Number(tests), Number(failures)]).toEqual([testcases.length, failing.size]);
    expect(out).toMatch(/<testcase classname="[^"]+" name="activity\.truncate" time="0">\n {6}<failure type="investigate" message="TRUNCATE TABLE audit_log by mallory@postgres">/);
    expect(out).toMatch(/<testcase classname="[^"]+" name="activity\.user-created" time="0">\n {6}<system-out>INVESTIGATE \(\w+\) suppressed: provisioning: CREATE ROLE mallory/);
    // --fail-on monitor fails the coverage check too; never fails none
    const monitor = (await dbsec('activity', '--log-file', STORY, '--format', 'junit', '--fail-on', 'monitor')).out;
    expect(monitor).toMatch(/name="activity\.coverage" time="0">\n {6}<failure type="monitor"/);
    expect((await dbsec('activity', '--log-file', STORY, '--format', 'junit', '--fail-on', 'never')).out).not.toContain('<failure');
  });

  it('reports errors and skipped checks as such, and escapes what came from the log', async () => {
    const { out } = await dbsec('daily', '--log-file', STORY, '--since', '3650d', '--format', 'junit', '--database-url', 'postgres://nobody@127.0.0.1:1/none?connect_timeout=1');
    const check = validate(out);
    expect(check.ok, check.output).toBe(true);
    expect(out).toMatch(/name="daily\.connections" time="0">\n {6}<error type="error" message="[^"]+"/);
    expect(out).toMatch(/name="daily\.cpu" time="0">\n {6}<skipped message="Skipped: no RDS instance/);
    const hostile = join(dir, 'hostile.log');
    writeFileSync(hostile, `2026-11-30 17:00:00 UTC:10.0.0.9(5000):eve@app:[77]:LOG:  statement: DROP TABLE "<x>&\u0007y"\n`);
    const escaped = (await dbsec('activity', '--log-file', hostile, '--format', 'junit')).out;
    expect(validate(escaped).ok).toBe(true);
    expect(escaped).toContain('DROP TABLE &lt;x&gt;&amp;');
  });
});

describe('--format html', () => {
  /** The page as Debian's Chromium renders it, headless, after its script ran: the DOM it shows. */
  function render(file: string, fragment = ''): string {
    const run = spawnSync('chromium', ['--headless', '--no-sandbox', '--disable-gpu', `--user-data-dir=${join(dir, 'chromium')}`, '--dump-dom', `file://${file}${fragment}`], { encoding: 'utf8', timeout: 60_000 });
    expect(run.stdout, run.stderr).toContain('data-ready="true"');
    return run.stdout;
  }
  const counts = (dom: string) => Object.fromEntries([...dom.matchAll(/data-count="(\w+)">(\d+)/g)].map((m) => [m[1], Number(m[2])]));

  it('draws the counts, the charts by status, target and check, the incident timeline, and filters by the #fragment', async () => {
    const file = join(dir, 'story.html');
    await dbsec('activity', '--log-file', STORY, '--format', 'html', '-o', file, '-c', config, '--quiet');
    const html = readFileSync(file, 'utf8');
    // self-contained: nothing is fetched
    expect(html).not.toMatch(/\s(src|href)=/);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'"`);
    const dom = render(file);
    expect(counts(dom)).toEqual({ ...report.summary, suppressed: 2 });
    const incidents = [...dom.matchAll(/data-incident="([^"]+)" data-alerts="(\d+)"/g)].map((m) => [m[1], Number(m[2])]);
    expect(incidents).toEqual(report.findings.filter((f) => f.checkId === 'activity.incident').map((f) => [f.resource, f.evidence.length]));
    const byCheck = /<figure id="by-check">([\s\S]*?)<\/figure>/.exec(dom)![1]!;
    const truncates = report.findings.filter((f) => f.checkId === 'activity.truncate').length;
    expect(byCheck).toContain(`data-label="activity.truncate" data-value="${truncates}"`);
    expect(/data-shown="(\d+)"/.exec(dom)![1]).toBe(String(report.findings.length));
    const filtered = render(file, '#status=investigate&q=mallory');
    const mallory = report.findings.filter((f) => f.status === 'investigate' && `${f.title} ${f.summary} ${f.remediation} ${JSON.stringify(f.evidence)} ${f.resource}`.toLowerCase().includes('mallory')).length;
    expect(Number(/data-shown="(\d+)"/.exec(filtered)![1])).toBe(mallory);
    expect(mallory).toBeGreaterThan(3);
  });

  it("charts the monthly log summary's counts over days", async () => {
    const file = join(dir, 'monthly.html');
    const LOG = fileURLToPath(new URL('../fixtures/logs/rds-prefix-pg18.log', import.meta.url));
    // two recorded logs, 2026-11-22 (eight failed logins) and 2026-11-30 (the story's DDL)
    await dbsec('monthly', '--log-file', LOG, '--log-file', STORY, '--until', '2026-12-01T00:00:00Z', '--format', 'html', '-o', file, '--quiet');
    const dom = render(file);
    const series = (name: string) => {
      const figure = new RegExp(`<figure class="days" data-check="monthly\\.log-summary" data-series="${name}">([\\s\\S]*?)</figure>`).exec(dom)![1]!;
      return [...figure.matchAll(/data-day="([\d-]+)" data-value="(\d+)"/g)].map((d) => [d[1], Number(d[2])]);
    };
    expect(series('failedAuth')).toEqual([['2026-11-22', 8], ['2026-11-30', 0]]);
    expect(series('connections')).toEqual([['2026-11-22', 5], ['2026-11-30', 7]]);
    expect(dom).not.toContain('<section id="timeline"');
  });

  it('keeps a hostile statement text inert: no markup, no script from the log', async () => {
    const hostile = join(dir, 'hostile-html.log');
    writeFileSync(hostile, `2026-11-30 17:00:00 UTC:10.0.0.9(5000):eve@app:[77]:LOG:  statement: DROP TABLE "</script><script>document.body.dataset.owned=1</script><img src=x onerror=alert(1)>"\n`);
    const file = join(dir, 'hostile.html');
    await dbsec('activity', '--log-file', hostile, '--format', 'html', '-o', file, '--quiet');
    const dom = render(file);
    expect(dom).not.toContain('data-owned');
    expect(dom.match(/<script/g)).toHaveLength(2);
    expect(dom).not.toMatch(/<img/);
  });
});

describe('--format ocsf', () => {
  // compiled from OCSF v1.2.0 by scripts/ocsf-json-schema.mjs; Ajv 8 reads draft-07
  const validate = new Ajv({ strict: false, allErrors: false }).compile(schema('ocsf-1.2.0-findings.schema.json'));
  const lines = (out: string) => out.trim().split('\n').map((line) => JSON.parse(line));

  it('has a validator that refuses a misspelt attribute and a missing required one', () => {
    const base = { class_uid: 2003, category_uid: 2, activity_id: 1, type_uid: 200301, time: 1, severity_id: 1, metadata: { version: '1.2.0', product: { name: 'dbsec', vendor_name: 'dbsec' } }, finding_info: { uid: 'x', title: 'y' }, compliance: { standards: ['s'] } };
    expect(validate(base), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...base, finding_info: { uid: 'x', titel: 'y' } })).toBe(false);
    expect(validate({ ...base, compliance: undefined })).toBe(false);
  });

  it('writes one valid event per line: checks as Compliance Findings (2003), activity as Detection Findings (2004)', async () => {
    const activity = lines((await dbsec('activity', '--log-file', STORY, '--format', 'ocsf', '-c', config, '--compare', previous)).out);
    expect(activity).toHaveLength(report.findings.length);
    for (const event of activity) expect(validate(event), JSON.stringify(validate.errors)).toBe(true);
    expect(new Set(activity.map((e) => e.class_uid))).toEqual(new Set([2004]));
    expect(activity.map((e) => e.finding_info.uid)).toEqual(report.findings.map((f) => f.fingerprint));
    const truncate = activity.find((e) => e.finding_info.types[0] === 'activity.truncate');
    expect(truncate).toMatchObject({ severity_id: 5, status_id: 1, type_uid: 200401, unmapped: { change: 'new', status: 'investigate' } });
    expect(activity.filter((e) => e.status_id === 3).map((e) => e.finding_info.types[0])).toEqual(['activity.user-created', 'activity.user-created']);
    const daily = lines((await dbsec('daily', '--log-file', fileURLToPath(new URL('../fixtures/logs/rds-prefix-pg18.log', import.meta.url)), '--since', '3650d', '--format', 'ocsf')).out);
    for (const event of daily) expect(validate(event), JSON.stringify(validate.errors)).toBe(true);
    expect(daily.map((e) => [e.class_uid, e.compliance.control, e.compliance.status])).toEqual([[2003, 'daily.failed-auth', 'Warning']]);
  });
});
