// sharedWhileRunning: callers asking the same key at once share one computation; nothing is
// kept after it settles, so a later call computes afresh (an answer is never older than its call).
import { describe, expect, it } from 'vitest';
import { sharedWhileRunning } from '../../src/attribution/shared-read.ts';

function deferred<V>() {
  let resolve!: (value: V) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<V>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('sharedWhileRunning', () => {
  it('runs one computation for callers of the same key at the same time', async () => {
    const share = sharedWhileRunning<number>();
    const work = deferred<number>();
    let started = 0;
    const start = () => {
      started += 1;
      return work.promise;
    };
    const first = share('q', start);
    const second = share('q', start);
    expect(started).toBe(1);
    work.resolve(7);
    await expect(Promise.all([first, second])).resolves.toEqual([7, 7]);
  });

  it('computes afresh once the running one settled, and for another key at once', async () => {
    const share = sharedWhileRunning<number>();
    let started = 0;
    const start = async () => ++started;
    await expect(share('q', start)).resolves.toBe(1);
    await expect(share('q', start)).resolves.toBe(2);
    const a = share('a', start);
    const b = share('b', start);
    await expect(Promise.all([a, b])).resolves.toEqual([3, 4]);
  });

  it('keeps no failure: the next call starts again', async () => {
    const share = sharedWhileRunning<number>();
    const failing = deferred<number>();
    const first = share('q', () => failing.promise);
    const joined = share('q', async () => 99);
    failing.reject(new Error('read failed'));
    await expect(first).rejects.toThrow('read failed');
    await expect(joined).rejects.toThrow('read failed');
    await expect(share('q', async () => 5)).resolves.toBe(5);
  });
});
