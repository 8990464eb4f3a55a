import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { DbsecError, messageOf } from './errors.js';
import { checkedReport } from './compare.js';
import type { Report } from './report.js';

/**
 * --state DIR: the last complete report of each command over each set of targets, so that a scheduled run compares
 * itself with the one before without the caller keeping files. One file per command and targets, named for them.
 */
export function stateFile(dir: string, report: Pick<Report, 'command' | 'targets'>): string {
  const targets = report.targets.map((t) => t.name).sort().join('+');
  const readable = `${report.command}-${targets}`.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80);
  // Two target sets that read the same once cleaned (or once cut) still get their own file.
  const digest = createHash('sha256').update(`${report.command}\0${targets}`).digest('hex').slice(0, 8);
  return join(dir, `${readable}-${digest}.json`);
}

/** The previous report kept in DIR for this command and targets; undefined on the first run. */
export async function loadState(dir: string, current: Report): Promise<{ path: string; report: Report } | undefined> {
  const path = stateFile(dir, current);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new DbsecError(`Cannot read the state in ${path}: ${messageOf(err)}.`);
  }
  return { path, report: checkedReport(text, path, '--state', 'it is not one this version of dbsec wrote') };
}

/** Makes DIR (and its parents) so the first run of a schedule needs no set-up. */
export async function prepareStateDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    throw new DbsecError(`Cannot create the --state directory ${dir}: ${messageOf(err)}.`);
  }
}
