import { access, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CheckContext } from '../context.js';
import { DbsecError, messageOf, SourceMissing } from '../errors.js';
import { safeText } from '../redact.js';
import type { EvidenceItem, EvidenceOptions } from './items.js';
import { MANIFEST } from './manifest.js';

export interface Collected {
  file: string;
  what: string;
  collected: boolean;
  reason?: string;
}

/** Evidence is never overwritten: a directory that holds a manifest is refused. */
export async function prepareEvidenceDir(dir: string, flag: string): Promise<void> {
  const sealed = await access(join(dir, MANIFEST)).then(
    () => true,
    () => false,
  );
  if (sealed) throw new DbsecError(`${dir} already holds collected evidence (${MANIFEST}); evidence is never overwritten: choose a new ${flag} directory.`);
  await mkdir(dir, { recursive: true }).catch((err) => {
    throw new DbsecError(`Cannot create ${dir}: ${messageOf(err)}; check ${flag}.`);
  });
}

/** Writes each item as JSON; an item that fails (denied, not configured) is recorded with its reason, the rest kept. */
export async function collectItems(dir: string, items: readonly EvidenceItem[], ctx: CheckContext, options: EvidenceOptions, onItem?: (file: string) => void): Promise<Collected[]> {
  const results: Collected[] = [];
  for (const item of items) {
    onItem?.(item.file);
    try {
      const content = await item.collect(ctx, options);
      // wx: a new file or nothing; never through a link someone left in the directory.
      await writeFile(join(dir, item.file), `${JSON.stringify(content, null, 2)}\n`, { flag: 'wx' });
      results.push({ file: item.file, what: item.what, collected: true });
    } catch (err) {
      const reason = err instanceof SourceMissing ? `not configured: ${messageOf(err)}` : messageOf(err);
      results.push({ file: item.file, what: item.what, collected: false, reason: reason.replace(/\.$/, '') });
    }
  }
  return results;
}

export function summaryOf(dir: string, target: string, results: readonly Collected[]): string {
  const lines = [`Evidence for ${target} in ${dir} (${MANIFEST} lists the SHA-256 of each file):`];
  for (const r of results) lines.push(r.collected ? `  collected  ${r.file}  ${r.what}` : `  MISSING    ${r.file}  ${safeText(r.reason ?? '')}`);
  return `${lines.join('\n')}\n`;
}
