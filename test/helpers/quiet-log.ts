import { writeFileSync } from 'node:fs';

/**
 * The log of a server that did nothing worth reporting: one checkpoint line in RDS's prefix, stamped `at` (the live
 * tests' data is written at the servers' own time). An empty file is not a quiet log to dbsec but an error.
 */
export function writeQuietLog(path: string, at: Date = new Date()): string {
  const stamp = at.toISOString().replace('T', ' ').slice(0, 19);
  writeFileSync(path, `${stamp} UTC::@:[4242]:LOG:  checkpoint starting: time\n`);
  return path;
}
