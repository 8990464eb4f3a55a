/**
 * The one clock: every part of dbsec that needs the time gets it from the Clock handed in at the top (Io.now), so a
 * run can be pinned to a past instant (tests of recorded data) and nothing reads the wall clock on its own.
 */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();

/** A clock that reads `at` when made and then runs at the pace of `base`, so waits and deadlines still pass. */
export function pinnedClock(at: Date | string, base: Clock = systemClock): Clock {
  const offset = new Date(at).getTime() - base().getTime();
  return () => new Date(base().getTime() + offset);
}

/** Milliseconds since `start` by `clock`. */
export function elapsedMs(clock: Clock, start: Date): number {
  return clock().getTime() - start.getTime();
}
