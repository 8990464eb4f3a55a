import { systemClock, type Clock } from './clock.js';

/** Where a command writes (the real process streams, or buffers in tests) and the one clock it reads. */
export interface Io {
  env: NodeJS.ProcessEnv;
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  now: Clock;
  /** Tests hand in an AWS retry strategy without sleeps. */
  awsRetryStrategy?: unknown;
}

export function processIo(): Io {
  return { env: process.env, stdout: process.stdout, stderr: process.stderr, now: systemClock };
}

/** Colour only on a terminal, never with NO_COLOR or --no-color; FORCE_COLOR wins over the TTY test. */
export function useColor(io: Io, flag: boolean | undefined): boolean {
  if (flag === false || io.env.NO_COLOR) return false;
  if (io.env.FORCE_COLOR && io.env.FORCE_COLOR !== '0') return true;
  return Boolean(io.stdout.isTTY);
}
