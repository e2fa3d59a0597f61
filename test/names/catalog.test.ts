// The name catalogue's pure parts: property rows put under their events, the lifecycle stage
// ids read from the funnels, and the cache that lets one count serve every picker for a while
// (its sources here count their calls; the SQL itself is tested on both engines in
// names-api.test.ts).
import { describe, expect, it } from 'vitest';
import {
  assembleEvents,
  cachedNameCatalog,
  lifecycleStageIds,
  type NameSources,
} from '../../src/names/index.ts';

function countingSources(): NameSources & { queries: number } {
  const sources = {
    queries: 0,
    engine: 'duckdb' as const,
    async query() {
      sources.queries++;
      return [];
    },
    segments: async () => [],
    stages: async () => [],
    purposes: () => [],
    channels: () => [],
  };
  return sources;
}

describe('the name catalogue', () => {
  it('puts each event’s properties under it and keeps events with none', () => {
    const events = assembleEvents(
      [
        { name: 'Order Completed', n: 2, last_seen: '2026-03-01T12:05:00.000Z' },
        { name: 'Signed Up', n: 1, last_seen: '2026-03-01T12:02:00.000Z' },
      ],
      [{ name: 'Order Completed', property: 'revenue', n: 2, last_seen: '2026-03-01T12:05:00.000Z' }],
    );
    expect(events).toEqual([
      {
        name: 'Order Completed',
        count: 2,
        lastSeen: '2026-03-01T12:05:00.000Z',
        properties: [{ name: 'revenue', count: 2, lastSeen: '2026-03-01T12:05:00.000Z' }],
      },
      { name: 'Signed Up', count: 1, lastSeen: '2026-03-01T12:02:00.000Z', properties: [] },
    ]);
  });

  it('reads the lifecycle funnel’s stage ids in order, and none without it', () => {
    const funnels = [
      { id: 'other', definition: { stages: [{ id: 'x' }] } },
      { id: 'lifecycle', definition: { stages: [{ id: 'awareness' }, { id: 'action' }] } },
    ];
    expect(lifecycleStageIds(funnels)).toEqual(['awareness', 'action']);
    expect(lifecycleStageIds([])).toEqual([]);
  });

  it('counts once for every caller within the fresh time, and again after it', async () => {
    const sources = countingSources();
    let now = 0;
    const catalog = cachedNameCatalog(sources, 60_000, () => now);
    await Promise.all([catalog(), catalog()]);
    expect(sources.queries).toBe(3);
    now = 59_999;
    await catalog();
    expect(sources.queries).toBe(3);
    now = 60_000;
    await catalog();
    expect(sources.queries).toBe(6);
  });

  it('does not keep a failed count', async () => {
    const sources = countingSources();
    let fail = true;
    const catalog = cachedNameCatalog(
      {
        ...sources,
        query: async () => {
          if (fail) throw new Error('warehouse away');
          return [];
        },
      },
      60_000,
      () => 0,
    );
    await expect(catalog()).rejects.toThrow('warehouse away');
    fail = false;
    await expect(catalog()).resolves.toMatchObject({ events: [], traits: [] });
  });
});
