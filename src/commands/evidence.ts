import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfigFile } from '../config.js';
import { TargetContext } from '../context.js';
import { DbsecError } from '../errors.js';
import { collectItems, prepareEvidenceDir, summaryOf, type Collected } from '../evidence/collect.js';
import { EVIDENCE_ITEMS } from '../evidence/items.js';
import { MANIFEST, verifyManifest, writeManifest } from '../evidence/manifest.js';
import type { Io } from '../io.js';
import { spinner } from '../progress.js';
import { safeText } from '../redact.js';
import { EXIT } from '../status.js';
import { describeTarget } from '../target.js';
import { reviewWindow } from '../time.js';
import { contextDeps, targetsOf, type ReviewFlags } from './review.js';

export interface EvidenceFlags extends Omit<ReviewFlags, 'format' | 'failOn' | 'since'> {
  out: string;
  trailDays: string;
  logDays: string;
  maxItems: string;
}

/**
 * dbsec evidence collect: the runbook's audit evidence as files plus MANIFEST.sha256. What cannot be collected
 * (a denied API, a source not configured) is listed in collection.json and on the terminal; the rest is kept.
 */
export async function collectEvidence(flags: EvidenceFlags, io: Io, version: string): Promise<number> {
  const config = flags.config ? await loadConfigFile(flags.config) : {};
  const targets = targetsOf(flags, config, io.env);
  const now = io.now();
  const trailDays = positive(flags.trailDays, '--trail-days');
  const until = reviewWindow({ until: flags.until, since: `${trailDays}d` }, `${trailDays}d`, now).to;
  const options = { now, until, trailDays, logDays: positive(flags.logDays, '--log-days'), maxItems: positive(flags.maxItems, '--max-items') };
  await prepareEvidenceDir(flags.out, '--out');
  const progress = !flags.quiet && io.stderr.isTTY ? await spinner(io.stderr as NodeJS.WriteStream, 'collecting evidence') : undefined;
  let collectedAny = false;
  let missingAny = false;
  try {
    for (const target of targets) {
      const dir = targets.length > 1 ? join(flags.out, target.name.replace(/[^\w.-]+/g, '_')) : flags.out;
      await prepareEvidenceDir(dir, '--out');
      const ctx = new TargetContext(target, { from: new Date(until.getTime() - options.trailDays * 86_400_000), to: until }, now, contextDeps(config, io));
      let results: Collected[];
      try {
        results = await collectItems(dir, EVIDENCE_ITEMS, ctx, options, (file) => {
          if (progress) progress.text = `collecting evidence: ${target.name}: ${file}`;
        });
      } finally {
        await ctx.close();
      }
      const record = { tool: { name: 'dbsec', version }, collectedAt: now.toISOString(), target: describeTarget(target), options: { until: until.toISOString(), trailDays: options.trailDays, logDays: options.logDays, maxItems: options.maxItems }, items: results };
      await writeFile(join(dir, 'collection.json'), `${JSON.stringify(record, null, 2)}\n`);
      const files = results.filter((r) => r.collected).map((r) => r.file);
      await writeManifest(dir, [...files, 'collection.json']);
      collectedAny ||= files.length > 0;
      missingAny ||= files.length < results.length;
      progress?.stop();
      io.stdout.write(summaryOf(dir, target.name, results));
    }
  } finally {
    progress?.stop();
  }
  if (!collectedAny) return EXIT.unusable;
  return missingAny ? EXIT.checkErrors : EXIT.clean;
}

/** dbsec evidence verify: exit 0 when every file matches its hash, 1 when any changed, is missing or was added. */
export async function verifyEvidence(dir: string, io: Io): Promise<number> {
  const check = await verifyManifest(dir);
  const lines = [
    ...check.changed.map((f) => `CHANGED  ${f}`),
    ...check.missing.map((f) => `MISSING  ${f}`),
    ...check.added.map((f) => `ADDED    ${f}`),
  ];
  const clean = lines.length === 0;
  lines.push(`${clean ? 'OK' : 'NOT OK'}: ${check.unchanged.length} files unchanged, ${check.changed.length} changed, ${check.missing.length} missing, ${check.added.length} added (${join(dir, MANIFEST)}).`);
  io.stdout.write(`${lines.map((l) => safeText(l)).join('\n')}\n`);
  return clean ? EXIT.clean : EXIT.findings;
}

function positive(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new DbsecError(`${flag} "${text}" must be a whole number above 0.`);
  return value;
}
