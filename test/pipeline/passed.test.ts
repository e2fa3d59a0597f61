// Erasure's barrier: the person is gone only once the profiles processor, every processor the
// state store tracks and the warehouse have all read past the erasure's place in the log.
import { describe, expect, it } from 'vitest';
import { everyProcessorPassed } from '../../src/pipeline/index.ts';

function offsets(profiles: number, tracked: Record<string, number>, warehouse: number) {
  return everyProcessorPassed(
    {
      getOffset: async (processor) => (processor === 'profiles' ? profiles : 0),
      listProcessorOffsets: async () => tracked,
    },
    { getOffset: async (processor) => (processor === 'warehouse' ? warehouse : 0) },
  );
}

describe('everyProcessorPassed', () => {
  it('holds only when the profiles processor, each tracked processor and the warehouse are past the sequence', async () => {
    expect(await offsets(10, { realtime: 10, journeys: 12 }, 10)(10)).toBe(true);
    expect(await offsets(9, { realtime: 10 }, 10)(10)).toBe(false);
    expect(await offsets(10, { realtime: 10, journeys: 9 }, 10)(10)).toBe(false);
    expect(await offsets(10, { realtime: 10 }, 9)(10)).toBe(false);
  });
});
