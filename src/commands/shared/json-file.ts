import { readFile } from 'node:fs/promises';
import { DbsecError, messageOf } from '../../errors.js';

/** A JSON document dbsec wrote earlier (a baseline, a manifest), read whole; `what` names it in the errors. */
export async function readJsonFile(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new DbsecError(`Cannot read the ${what} ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : messageOf(err)}.`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new DbsecError(`${path} is not JSON: it is not a ${what} dbsec wrote, or it was damaged.`);
  }
}
