import { describe, expect, it } from 'vitest';
import { untilAborted, whenAborted } from '../../src/abort.js';

describe('untilAborted', () => {
  it('stops at once while the source still waits for its next item', async () => {
    const controller = new AbortController();
    async function* stalls() {
      yield 1;
      await new Promise(() => undefined);
      yield 2;
    }
    const seen: number[] = [];
    const done = (async () => {
      for await (const item of untilAborted(stalls(), controller.signal)) seen.push(item);
    })();
    await new Promise((resolve) => setImmediate(resolve));
    controller.abort('SIGINT');
    await done;
    expect(seen).toEqual([1]);
  });

  it('passes every item through and closes the source when nothing aborts', async () => {
    let closed = false;
    async function* three() {
      try {
        yield* [1, 2, 3];
      } finally {
        closed = true;
      }
    }
    const seen: number[] = [];
    for await (const item of untilAborted(three(), new AbortController().signal)) {
      seen.push(item);
      if (item === 2) break;
    }
    expect(seen).toEqual([1, 2]);
    expect(closed).toBe(true);
  });

  it('passes on a failure of the source', async () => {
    async function* fails() {
      yield 1;
      throw new Error('damaged gzip');
    }
    const read = async () => {
      for await (const _ of untilAborted(fails(), new AbortController().signal));
    };
    await expect(read()).rejects.toThrow('damaged gzip');
  });
});

describe('whenAborted', () => {
  it('settles for a signal already aborted, and for one aborted later', async () => {
    await expect(whenAborted(AbortSignal.abort())).resolves.toBeUndefined();
    const controller = new AbortController();
    const later = whenAborted(controller.signal);
    controller.abort();
    await expect(later).resolves.toBeUndefined();
  });
});
