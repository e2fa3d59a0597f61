// The processors' loop (src/pipeline/loop.ts): a step that filled its batch is followed at
// once; one that did not lets the log gather for gatherMs, whoever wakes the loop meanwhile;
// stop and a replay's exclusive work never wait for a gathering; a wake during a step is kept.
// The periods are an hour, so what "does not happen" cannot happen within a test.
import { describe, expect, it } from 'vitest';
import { startLoop } from '../../src/pipeline/loop.ts';

const HOUR = 3_600_000;
const turns = async (count = 20) => {
  for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve));
};

/** A step that returns the given counts in turn, then 0, recording each call. */
function scripted(counts: number[]) {
  const calls: number[] = [];
  return {
    calls,
    step: async () => {
      const applied = counts[calls.length] ?? 0;
      calls.push(applied);
      return applied;
    },
  };
}

describe('the processors loop', () => {
  it('steps again at once while steps fill their batch, then gathers after one that does not', async () => {
    const { calls, step } = scripted([2000, 2000, 700, 5]);
    const loop = startLoop(step, { pollMs: HOUR, gatherMs: HOUR, gatherEntries: 2000, onError: () => {} });
    await turns();
    expect(calls).toEqual([2000, 2000, 700]);
    // Woken during the gathering (a commit): still nothing until it ends.
    loop.wake();
    await turns();
    expect(calls).toEqual([2000, 2000, 700]);
    await loop.stop();
  });

  it('without gathering steps again after any progress and sleeps after an empty step until woken', async () => {
    const { calls, step } = scripted([3, 1, 0, 4]);
    const loop = startLoop(step, { pollMs: HOUR, onError: () => {} });
    await turns();
    expect(calls).toEqual([3, 1, 0]);
    loop.wake();
    await turns();
    expect(calls).toEqual([3, 1, 0, 4, 0]);
    await loop.stop();
  });

  it('keeps a wake that arrives during a step for the end of the step', async () => {
    const calls: number[] = [];
    let loop: ReturnType<typeof startLoop> | undefined;
    const step = async () => {
      calls.push(0);
      // A commit lands while the step reads: what it appended is after what the step saw.
      if (calls.length === 1) loop?.wake();
      return 0;
    };
    loop = startLoop(step, { pollMs: HOUR, onError: () => {} });
    await turns();
    expect(calls.length).toBe(2);
    await loop.stop();
  });

  it('ends a gathering for stop and for exclusive work', async () => {
    const { calls, step } = scripted([5, 5]);
    const loop = startLoop(step, { pollMs: HOUR, gatherMs: HOUR, gatherEntries: 2000, onError: () => {} });
    await turns();
    expect(calls).toEqual([5]);
    // A replay runs between two steps: not an hour later.
    expect(await loop.exclusive(async () => 'replayed')).toBe('replayed');
    await turns();
    expect(calls).toEqual([5, 5]);
    await loop.stop();
    expect(calls).toEqual([5, 5]);
  });
});
