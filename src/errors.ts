import { EXIT } from './status.js';

/** An error meant for the user: one sentence naming the problem and the fix, and the exit code it maps to. */
export class DbsecError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.unusable,
  ) {
    super(message);
    this.name = 'DbsecError';
  }
}

export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** A source the target does not configure: the check is skipped, and the message names the flag to add. */
export class SourceMissing extends Error {}

/** Reads an optional source: its value, or undefined when the target does not configure it. */
export async function ifConfigured<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof SourceMissing) return undefined;
    throw err;
  }
}
