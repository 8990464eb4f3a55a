import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { withTargetContext } from '../../context.js';
import { DbsecError } from '../../errors.js';
import { allCollected, anyCollected, collectItems, interruptedCollection, ON_INTERRUPT, stagedEvidenceDir, summaryOf, type Collected } from '../../evidence/collect.js';
import { EVIDENCE_ITEMS } from '../../evidence/items.js';
import { verdictOf, verifyManifest, writeManifest } from '../../evidence/manifest.js';
import type { Io } from '../../io.js';
import { spinner } from '../../progress.js';
import { safeText } from '../../redact.js';
import { EXIT } from '../../status.js';
import { describeTarget, type Target } from '../../target.js';
import { reviewWindow, type TimeWindow } from '../../time.js';
import { configOf, contextDeps, targetsOf } from '../shared/targets.js';
import type { TargetFlags, TerminalFlags, WindowFlags } from '../shared/flags.js';

export interface EvidenceFlags extends TargetFlags, WindowFlags, TerminalFlags {
  output: string;
  /** Start of the CloudTrail history kept (the runbook: 90 days back from --until). */
  trailSince?: string;
  maxItems: string;
}

/**
 * dbsec evidence collect: the runbook's audit evidence as files plus MANIFEST.sha256. What cannot be collected
 * (a denied API, a source not configured) is listed in collection.json and on the terminal; the rest is kept.
 */
export async function collectEvidence(flags: EvidenceFlags, io: Io, version: string): Promise<number> {
  const config = await configOf(flags);
  const targets = targetsOf(flags, config, io.env);
  const now = io.now();
  const logWindow = reviewWindow(flags, '30d', now);
  const trailWindow = reviewWindow({ since: flags.trailSince, until: flags.until }, '90d', now);
  const options = { now, logWindow, trailWindow, maxItems: positive(flags.maxItems, '--max-items') };
  const signal = io.interruption?.(ON_INTERRUPT);
  const subdir = (name: string) => (targets.length > 1 ? name.replace(/[^\w.-]+/g, '_') : '');
  const progress = !flags.quiet && io.stderr.isTTY ? await spinner(io.stderr as NodeJS.WriteStream, 'collecting evidence') : undefined;
  const collectTarget = async (staging: string, target: Target): Promise<Collected[]> => {
    const dir = join(staging, subdir(target.name));
    await mkdir(dir, { recursive: true });
    const results = await withTargetContext(target, logWindow, now, contextDeps(config, io), signal, (ctx) =>
      collectItems(dir, EVIDENCE_ITEMS, ctx, options, (file) => {
        if (progress) progress.text = `collecting evidence: ${target.name}: ${file}`;
      }, signal),
    );
    if (signal?.aborted) throw interruptedCollection(signal);
    const files = results.filter((r) => r.collected).map((r) => r.file);
    // A target where nothing could be collected is not sealed: an empty seal would vouch for nothing.
    if (files.length === 0) {
      await rm(dir, { recursive: true, force: true });
      return results;
    }
    const record = { tool: { name: 'dbsec', version }, collectedAt: now.toISOString(), target: describeTarget(target), options: { logWindow: isoWindow(logWindow), trailWindow: isoWindow(trailWindow), maxItems: options.maxItems }, items: results };
    await writeFile(join(dir, 'collection.json'), `${JSON.stringify(record, null, 2)}\n`, { flag: 'wx' });
    await writeManifest(dir, [...files, 'collection.json']);
    return results;
  };
  let outcome: { result: Collected[][]; kept: boolean };
  try {
    outcome = await stagedEvidenceDir(
      flags.output,
      '--output',
      async (staging) => {
        const all: Collected[][] = [];
        for (const target of targets) all.push(await collectTarget(staging, target));
        return all;
      },
      (all) => all.some(anyCollected),
    );
  } finally {
    progress?.stop();
  }
  outcome.result.forEach((results, i) => io.stdout.write(summaryOf(join(flags.output, subdir(targets[i]!.name)), targets[i]!.name, results, anyCollected(results))));
  if (!outcome.kept) return EXIT.unusable;
  return outcome.result.every(allCollected) ? EXIT.clean : EXIT.checkErrors;
}

/** dbsec evidence verify: exit 0 when every file matches its hash, 1 when any changed, is missing or was added. */
export async function verifyEvidence(dir: string, io: Io): Promise<number> {
  const { clean, lines } = verdictOf(await verifyManifest(dir), dir);
  io.stdout.write(`${lines.map((l) => safeText(l)).join('\n')}\n`);
  return clean ? EXIT.clean : EXIT.findings;
}

function positive(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new DbsecError(`${flag} "${text}" must be a whole number above 0.`);
  return value;
}

function isoWindow(window: TimeWindow) {
  return { from: window.from.toISOString(), to: window.to.toISOString() };
}
