// The embedded warehouse caps DuckDB's buffer memory (its default is 80% of RAM, which a
// soak reads as a leak); the cap must be what the instance actually runs with.
import { describe, expect, it } from 'vitest';
import { DuckDbEventStore } from '../../src/store/duckdb/events.ts';

describe('the DuckDB warehouse memory limit', () => {
  const limitOf = async (store: DuckDbEventStore) =>
    String((await store.query("SELECT current_setting('memory_limit') AS v"))[0]?.v);

  it('opens with a 1 GB memory_limit unless told otherwise', async () => {
    const store = await DuckDbEventStore.open(':memory:');
    try {
      // DuckDB prints 1 GB (10^9 bytes) as 953.6 MiB.
      expect(await limitOf(store)).toBe('953.6 MiB');
    } finally {
      await store.close();
    }
    const small = await DuckDbEventStore.open(':memory:', '256MB');
    try {
      expect(await limitOf(small)).toBe('244.1 MiB');
    } finally {
      await small.close();
    }
  });
});
