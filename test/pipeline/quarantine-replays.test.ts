// The quarantine's replays by processor name (src/pipeline/quarantine-replays.ts): a runtime's own
// replay answers for its name, the pipeline worker answers every other name (an unknown one too,
// as it always did), and one name cannot be taken twice. Pure: no store, no server.
import { describe, expect, it } from 'vitest';
import { QuarantineReplays, type ReplayResult } from '../../src/pipeline/index.ts';

const gone: ReplayResult = { outcome: 'gone' };

describe('QuarantineReplays', () => {
  it('sends a replay to the runtime registered under the processor name, and every other to the worker', async () => {
    const asked: string[] = [];
    const replays = new QuarantineReplays(async (processor, id) => {
      asked.push(`worker ${processor} ${id}`);
      return { outcome: 'busy', reason: `no ${processor} processor runs in this process` };
    });
    replays.register('journeys', async (id) => {
      asked.push(`journeys ${id}`);
      return gone;
    });
    expect(await replays.replay('journeys', 7)).toEqual(gone);
    expect(await replays.replay('profiles', 8)).toEqual({
      outcome: 'busy',
      reason: 'no profiles processor runs in this process',
    });
    expect(await replays.replay('nobody', 9)).toEqual({
      outcome: 'busy',
      reason: 'no nobody processor runs in this process',
    });
    expect(asked).toEqual(['journeys 7', 'worker profiles 8', 'worker nobody 9']);
  });

  it('refuses a second runtime under a name already registered', () => {
    const replays = new QuarantineReplays(async () => gone);
    replays.register('loyalty', async () => gone);
    expect(() => replays.register('loyalty', async () => gone)).toThrow(/loyalty/);
  });
});
