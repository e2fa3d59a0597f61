// The funnel report's cache: fresh answers served as they are, stale ones served while one
// recompute runs, too-old ones recomputed while the caller waits, computations shared.
import { describe, expect, it } from 'vitest';
import { ReportCache } from '../../src/segments/live/report-cache.ts';

function setup() {
  let now = 1_000;
  let computed = 0;
  const pending: Array<(value: string) => void> = [];
  const errors: unknown[] = [];
  const cache = new ReportCache<string>({
    freshMs: 10,
    maxAgeMs: 100,
    maxEntries: 2,
    now: () => now,
    onBackgroundError: (error) => errors.push(error),
  });
  // Each computation waits until the test releases it, with the value it is given then.
  const compute = () => {
    computed++;
    return new Promise<string>((resolve) => pending.push(resolve));
  };
  const release = (value: string) => pending.shift()?.(value);
  return {
    cache,
    compute,
    release,
    errors,
    advance: (ms: number) => {
      now += ms;
    },
    computed: () => computed,
  };
}

describe('report cache', () => {
  it('computes once for callers at the same time, then serves the answer while fresh', async () => {
    const t = setup();
    const first = t.cache.get('a', t.compute);
    const second = t.cache.get('a', t.compute);
    t.release('v1');
    expect(await first).toEqual({ value: 'v1', computedAtMs: 1_000 });
    expect(await second).toEqual({ value: 'v1', computedAtMs: 1_000 });
    t.advance(9);
    expect((await t.cache.get('a', t.compute)).value).toBe('v1');
    expect(t.computed()).toBe(1);
  });

  it('serves a stale answer at once and recomputes it in the background, one at a time', async () => {
    const t = setup();
    const first = t.cache.get('a', t.compute);
    t.release('v1');
    await first;
    t.advance(50);
    expect((await t.cache.get('a', t.compute)).value).toBe('v1');
    expect((await t.cache.get('a', t.compute)).value).toBe('v1');
    expect(t.computed()).toBe(2);
    t.release('v2');
    await new Promise((resolve) => setImmediate(resolve));
    expect(await t.cache.get('a', t.compute)).toEqual({ value: 'v2', computedAtMs: 1_050 });
  });

  it('makes the caller wait past the longest age, and after clear()', async () => {
    const t = setup();
    const first = t.cache.get('a', t.compute);
    t.release('v1');
    await first;
    t.advance(100);
    const late = t.cache.get('a', t.compute);
    t.release('v2');
    expect((await late).value).toBe('v2');
    t.cache.clear();
    const cleared = t.cache.get('a', t.compute);
    t.release('v3');
    expect((await cleared).value).toBe('v3');
    expect(t.computed()).toBe(3);
  });

  it('does not keep what a computation started before clear() found', async () => {
    const t = setup();
    const before = t.cache.get('a', t.compute);
    t.cache.clear();
    t.release('old');
    expect((await before).value).toBe('old');
    const after = t.cache.get('a', t.compute);
    t.release('new');
    expect((await after).value).toBe('new');
  });

  it('keeps the stale answer when a background recompute fails, and reports the failure', async () => {
    const t = setup();
    const first = t.cache.get('a', t.compute);
    t.release('v1');
    await first;
    t.advance(20);
    const failing = () => Promise.reject(new Error('database gone'));
    expect((await t.cache.get('a', failing)).value).toBe('v1');
    await new Promise((resolve) => setImmediate(resolve));
    expect(t.errors).toHaveLength(1);
    expect((await t.cache.get('a', t.compute)).value).toBe('v1');
  });

  it('keeps at most maxEntries keys, dropping the least recently computed', async () => {
    const t = setup();
    for (const key of ['a', 'b', 'c']) {
      const got = t.cache.get(key, t.compute);
      t.release(key);
      await got;
    }
    expect(t.computed()).toBe(3);
    const again = t.cache.get('a', t.compute);
    t.release('a2');
    expect((await again).value).toBe('a2');
    expect((await t.cache.get('c', t.compute)).value).toBe('c');
    expect(t.computed()).toBe(4);
  });
});
