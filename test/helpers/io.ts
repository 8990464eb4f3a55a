import { pinnedClock } from '../../src/clock.js';
import type { Io } from '../../src/io.js';

/** An Io whose output is kept in strings and whose clock reads `at` (then runs on): main() run in-process. */
export function bufferIo(at: Date, env: NodeJS.ProcessEnv = process.env): Io & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    env,
    now: pinnedClock(at),
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (err += text) },
    awsRetryStrategy: undefined,
    out: () => out,
    err: () => err,
  };
}
