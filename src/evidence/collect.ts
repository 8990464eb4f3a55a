import { lstat, mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { whenAborted } from '../abort.js';
import type { CheckContext } from '../context.js';
import { DbsecError, messageOf, SourceMissing } from '../errors.js';
import { safeText } from '../redact.js';
import { interruptedExit } from '../status.js';
import type { EvidenceItem, EvidenceOptions } from './items.js';
import { MANIFEST } from './manifest.js';

export interface Collected {
  file: string;
  what: string;
  collected: boolean;
  /** The item cannot apply to this target (AWS items on a self-hosted server): not missing, and no failure. */
  notApplicable?: true;
  reason?: string;
}

/** Whether everything that applies to the target was collected. */
export function allCollected(results: readonly Collected[]): boolean {
  return results.every((r) => r.collected || r.notApplicable);
}

/**
 * Evidence appears whole or not at all. It is written into a fresh private directory beside `dir` (mode 0700, made by
 * mkdtemp, so nobody can plant a link in it) and renamed to `dir` only once `fill` has sealed it and `keep` agrees.
 * A failed, interrupted or empty collection removes it: nothing is left that looks like evidence.
 */
export async function stagedEvidenceDir<T>(dir: string, flag: string, fill: (staging: string) => Promise<T>, keep: (result: T) => boolean): Promise<{ result: T; kept: boolean }> {
  await refuseExisting(dir, flag);
  const parent = dirname(resolve(dir));
  const staging = await mkdir(parent, { recursive: true })
    .then(() => mkdtemp(join(parent, `.${basename(resolve(dir))}.partial-`)))
    .catch((err) => {
      throw new DbsecError(`Cannot create a directory in ${parent}: ${messageOf(err)}; check ${flag}.`);
    });
  let kept = false;
  try {
    const result = await fill(staging);
    if (keep(result)) {
      await rename(staging, dir).catch((err) => {
        throw new DbsecError(`Cannot put the sealed evidence at ${dir}: ${messageOf(err)} (did something create it meanwhile?); choose a new ${flag} directory.`);
      });
      kept = true;
    }
    return { result, kept };
  } finally {
    if (!kept) await rm(staging, { recursive: true, force: true });
  }
}

/** Evidence is never overwritten or added to: only a new path or an empty directory is accepted. */
async function refuseExisting(dir: string, flag: string): Promise<void> {
  const kind = await lstat(dir).catch(() => undefined);
  if (!kind) return;
  const entries = kind.isDirectory() ? await readdir(dir) : undefined;
  if (entries?.length === 0) return;
  const what = !entries ? 'exists and is not a directory' : entries.includes(MANIFEST) ? `already holds collected evidence (${MANIFEST})` : 'is not empty';
  throw new DbsecError(`${dir} ${what}: evidence is never overwritten or added to; choose a new ${flag} directory.`);
}

/** What Ctrl-C tells the user of a collection (Io.interruption's outcome). */
export const ON_INTERRUPT = 'no partial evidence is kept';

/** The error that ends an interrupted collection, after its staging directory was removed. */
export function interruptedCollection(signal: AbortSignal, besides = ''): DbsecError {
  return new DbsecError(`Interrupted: no evidence was kept, since a partial collection is never sealed${besides}; run it again.`, interruptedExit(signal.reason));
}

export function anyCollected(results: readonly Collected[]): boolean {
  return results.some((r) => r.collected);
}

/**
 * Writes each item as JSON; an item that fails (denied, not configured) is recorded with its reason, the rest kept.
 * Interrupted, the item being collected is abandoned and the others are not started.
 */
export async function collectItems(dir: string, items: readonly EvidenceItem[], ctx: CheckContext, options: EvidenceOptions, onItem?: (file: string) => void, signal?: AbortSignal): Promise<Collected[]> {
  const results: Collected[] = [];
  const interrupted = whenAborted(signal).then(() => {
    throw new DbsecError('interrupted');
  });
  interrupted.catch(() => undefined);
  for (const item of items) {
    if (signal?.aborted) {
      results.push({ file: item.file, what: item.what, collected: false, reason: 'interrupted before it was collected' });
      continue;
    }
    onItem?.(item.file);
    try {
      const content = await Promise.race([item.collect(ctx, options), interrupted]);
      // wx: a new file or nothing; never through a link someone left in the directory.
      await writeFile(join(dir, item.file), `${JSON.stringify(content, null, 2)}\n`, { flag: 'wx' });
      results.push({ file: item.file, what: item.what, collected: true });
    } catch (err) {
      const reason = messageOf(err).replace(/\.$/, '');
      results.push(err instanceof SourceMissing ? { file: item.file, what: item.what, collected: false, notApplicable: true, reason } : { file: item.file, what: item.what, collected: false, reason });
    }
  }
  return results;
}

/** What was collected for one target; `sealed` is false when nothing could be, and no directory was kept for it. */
export function summaryOf(dir: string, target: string, results: readonly Collected[], sealed: boolean): string {
  const lines = [sealed ? `Evidence for ${target} in ${dir} (${MANIFEST} lists the SHA-256 of each file):` : `Nothing could be collected for ${target}: no evidence was sealed or kept.`];
  for (const r of results) lines.push(r.collected ? `  collected  ${r.file}  ${r.what}` : `  ${r.notApplicable ? 'n/a      ' : 'MISSING  '}  ${r.file}  ${safeText(r.reason ?? '')}`);
  return `${lines.join('\n')}\n`;
}
