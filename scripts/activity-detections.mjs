#!/usr/bin/env node
// Detections and false positives of `dbsec activity`, per use case, on the project's own recorded scenario:
// every step of src/sandbox/activity-scenario.ts says which use case it must raise ("none" for setup), and
// fixtures/record-activity.mjs recorded the scenario from PostgreSQL 18 (stderr) and 15 (csvlog, jsonlog, pgaudit).
// An event is matched to the step whose statement holds it; a step is detected when one of its events has the use
// case it expects, or names it ("also table-created") under a riskier one, which is counted as "outranked"; an event
// of another use case on a step is a false positive. Events of no step (the sandbox's own setup, the pg_dump
// session) are listed apart. Run: npm run build && node scripts/activity-detections.mjs
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ACTIVITY_STEPS, SCENARIO_SECRET } from '../dist/sandbox/activity-scenario.js';

const BIN = fileURLToPath(new URL('../bin/dbsec', import.meta.url));
const LOGS = ['activity-stderr-pg18.log', 'activity-pg15.csv', 'activity-pg15.json', 'activity-pgaudit-pg15.log'];
const dir = mkdtempSync(join(tmpdir(), 'dbsec-detections-'));
const config = join(dir, 'dbsec.yaml');
// What the scenario's operator would configure: its sensitive table (the application's unbounded read).
writeFileSync(config, 'activity:\n  sensitiveTables: [act_customers]\n');
const squash = (text) => text.replace(/\s+/g, ' ').replace(SCENARIO_SECRET, '***').trim().replace(/;$/, '');

try {
  const rows = new Map();
  const row = (useCase) => rows.get(useCase) ?? rows.set(useCase, { expected: 0, detected: 0, outranked: 0, falsePositives: 0 }).get(useCase);
  const outside = new Map();
  for (const log of LOGS) {
    const path = fileURLToPath(new URL(`../fixtures/logs/activity/${log}`, import.meta.url));
    let out = '';
    try {
      out = execFileSync(process.execPath, [BIN, 'activity', '--log-file', path, '-c', config, '--format', 'jsonl', '--events', '--quiet'], { encoding: 'utf8', maxBuffer: 64 << 20 });
    } catch (err) {
      out = err.stdout; // exit 1: alerts were raised
    }
    const events = out.trim().split('\n').map((line) => JSON.parse(line)).filter((line) => line.type === 'event');
    const byStep = new Map();
    for (const event of events) {
      const text = squash(event.statement);
      // The step that is this statement, else the multi-statement step that holds it.
      const exact = ACTIVITY_STEPS.findIndex((s) => squash(s.sql) === text);
      const step = !text ? -1 : exact !== -1 ? exact : ACTIVITY_STEPS.findIndex((s) => squash(s.sql).includes(text));
      if (step === -1) {
        const key = `${event.useCase}: ${event.command} ${event.objects.join(', ')}`;
        outside.set(key, [...(outside.get(key) ?? []), log]);
        continue;
      }
      byStep.set(step, [...(byStep.get(step) ?? []), event]);
    }
    ACTIVITY_STEPS.forEach((step, index) => {
      const found = byStep.get(index) ?? [];
      const outranks = (event) => event.notes.includes(`also ${step.expect}`);
      if (step.expect !== 'none') {
        row(step.expect).expected++;
        if (found.some((e) => e.useCase === step.expect)) row(step.expect).detected++;
        else if (found.some(outranks)) row(step.expect).outranked++;
      }
      for (const event of found) if (event.useCase !== step.expect && !outranks(event)) row(event.useCase).falsePositives++;
    });
  }
  console.log(`Over ${LOGS.length} recordings (${LOGS.join(', ')}):\n`);
  console.log('| use case | steps | detected | outranked | missed | false positives |\n| --- | --- | --- | --- | --- | --- |');
  for (const [useCase, r] of [...rows].sort(([a], [b]) => a.localeCompare(b))) console.log(`| ${useCase} | ${r.expected} | ${r.detected} | ${r.outranked} | ${r.expected - r.detected - r.outranked} | ${r.falsePositives} |`);
  console.log('\nEvents of no scenario step (setup by the sandbox, sessions):');
  for (const [key, logs] of outside) console.log(`- ${key} (${logs.length}: ${[...new Set(logs)].join(', ')})`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
