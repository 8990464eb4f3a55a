import { systemClock, type Clock } from './clock.js';

/** Where a command writes (the real process streams, or buffers in tests) and the one clock it reads. */
export interface Io {
  env: NodeJS.ProcessEnv;
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  now: Clock;
  /** Tests hand in an AWS retry strategy without sleeps. */
  awsRetryStrategy?: unknown;
  /** Set when a report could not reach where it was asked to go (-o): the exit code then says so. */
  outputLost?: boolean;
  /** Waits until what was written to stdout has left, and says why it could not (a full disk): never a crash. */
  flush?(): Promise<Error | undefined>;
}

export function processIo(): Io {
  let failure: Error | undefined;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    // The reader went away (dbsec … | head): it wants no more, so end quietly with 0, as head users expect.
    if (err.code === 'EPIPE') process.exit(0);
    failure ??= err;
  });
  return {
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
    now: systemClock,
    flush: () => new Promise((resolve) => process.stdout.write('', (err) => resolve(err ?? failure))),
  };
}

/** Colour only on a terminal, never with NO_COLOR or --no-color; FORCE_COLOR wins over the TTY test. */
export function useColor(io: Io, flag: boolean | undefined): boolean {
  if (flag === false || io.env.NO_COLOR) return false;
  if (io.env.FORCE_COLOR && io.env.FORCE_COLOR !== '0') return true;
  return Boolean(io.stdout.isTTY);
}
