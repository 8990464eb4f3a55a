import { systemClock, type Clock } from './clock.js';
import { interruptedExit } from './status.js';

/** Where a command writes (the real process streams, or buffers in tests) and the one clock it reads. */
export interface Io {
  env: NodeJS.ProcessEnv;
  stdout: { write(text: string): unknown; isTTY?: boolean; columns?: number };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  now: Clock;
  /** Tests hand in an AWS retry strategy without sleeps. */
  awsRetryStrategy?: unknown;
  /** Set when a report could not reach where it was asked to go (-o): the exit code then says so. */
  outputLost?: boolean;
  /**
   * Ctrl-C and SIGTERM as an AbortSignal, for a command that ends with the report so far rather than dying. Only a
   * command that asks gets this; the others still stop at once. A second Ctrl-C quits at once. `outcome` tells the user
   * what follows (by default, the report so far).
   */
  interruption?(outcome?: string): AbortSignal;
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
  let interruption: AbortController | undefined;
  return {
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
    now: systemClock,
    interruption(outcome = 'the report so far follows') {
      if (interruption) return interruption.signal;
      const controller = (interruption = new AbortController());
      const onSignal = (signal: NodeJS.Signals) => {
        if (controller.signal.aborted) process.exit(interruptedExit(signal));
        process.stderr.write(`\ndbsec: ${signal === 'SIGINT' ? 'interrupted' : 'terminated'}: stopping its queries; ${outcome} (Ctrl-C again quits at once).\n`);
        controller.abort(signal);
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      return controller.signal;
    },
    flush: () => new Promise((resolve) => process.stdout.write('', (err) => resolve(err ?? failure))),
  };
}

/** Colour only on a terminal, never with NO_COLOR or --no-color; FORCE_COLOR wins over the TTY test. */
export function useColor(io: Io, flag: boolean | undefined): boolean {
  if (flag === false || io.env.NO_COLOR) return false;
  if (io.env.FORCE_COLOR && io.env.FORCE_COLOR !== '0') return true;
  return Boolean(io.stdout.isTTY);
}
