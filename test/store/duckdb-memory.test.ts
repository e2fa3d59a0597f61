// The embedded warehouse caps DuckDB's buffer memory (its default is 80% of RAM, which a
// soak reads as a leak) and runs it on one thread (its default, a thread per core, costs the
// ingest path more CPU than it saves: docs/performance.md); both must be what the instance
// actually runs with, also after an erasure's file rewrite reopens it.
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DuckDbEventStore, warehouseThreadsFor } from '../../src/store/duckdb/events.ts';
import type { StoredEvent } from '../../src/store/types.ts';

describe('the DuckDB warehouse settings', () => {
  const settingOf = async (store: DuckDbEventStore, name: string) =>
    String((await store.query(`SELECT current_setting('${name}') AS v`))[0]?.v);

  it('opens with a 1 GB memory_limit unless told otherwise', async () => {
    const store = await DuckDbEventStore.open(':memory:');
    try {
      // DuckDB prints 1 GB (10^9 bytes) as 953.6 MiB.
      expect(await settingOf(store, 'memory_limit')).toBe('953.6 MiB');
    } finally {
      await store.close();
    }
    const small = await DuckDbEventStore.open(':memory:', { memoryLimit: '256MB' });
    try {
      expect(await settingOf(small, 'memory_limit')).toBe('244.1 MiB');
    } finally {
      await small.close();
    }
  });

  it('takes one thread up to four cores, the cores beyond three after that', () => {
    expect([1, 2, 3, 4, 5, 8, 16].map(warehouseThreadsFor)).toEqual([1, 1, 1, 1, 2, 5, 13]);
  });

  it('runs on the threads for this machine’s cores and checkpoints past 64 MB of WAL unless told otherwise, also after an erasure rewrites the file', async () => {
    const threads = String(warehouseThreadsFor(availableParallelism()));
    const dir = mkdtempSync(join(tmpdir(), 'rapport-duckdb-settings-'));
    const store = await DuckDbEventStore.open(join(dir, 'events.duckdb'));
    try {
      expect(await settingOf(store, 'threads')).toBe(threads);
      expect(await settingOf(store, 'checkpoint_threshold')).toBe('61.0 MiB');
      await store.deleteEventsOf(['nobody']);
      expect(await settingOf(store, 'threads')).toBe(threads);
      expect(await settingOf(store, 'memory_limit')).toBe('953.6 MiB');
      expect(await settingOf(store, 'checkpoint_threshold')).toBe('61.0 MiB');
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
    const two = await DuckDbEventStore.open(':memory:', { threads: 2 });
    try {
      expect(await settingOf(two, 'threads')).toBe('2');
    } finally {
      await two.close();
    }
  });

  const eventAt = (seq: number): StoredEvent => ({
    seq,
    messageId: `m-${seq}`,
    profileId: 'p-1',
    type: 'track',
    name: 'Viewed',
    userId: null,
    anonymousId: 'a-1',
    timestamp: '2026-12-07T10:00:00.000Z',
    receivedAt: '2026-12-07T10:00:01.000Z',
    properties: { n: seq },
    message: { type: 'track', event: 'Viewed', messageId: `m-${seq}`, properties: { n: seq } },
  });

  // The store keeps the offsets it read or committed instead of reading the table each time.
  it('keeps offsets exact across concurrent reads, a failed append and a reopen', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rapport-duckdb-offsets-'));
    const path = join(dir, 'events.duckdb');
    let store = await DuckDbEventStore.open(path);
    try {
      expect(await store.getOffset('warehouse')).toBe(0);
      const [before, , after] = await Promise.all([
        store.getOffset('warehouse'),
        store.appendWithOffset('warehouse', [eventAt(1), eventAt(2)], 2),
        store.getOffset('warehouse'),
      ]);
      expect([0, 2]).toContain(before);
      expect([0, 2]).toContain(after);
      expect(await store.getOffset('warehouse')).toBe(2);
      await store.appendWithOffset('warehouse', [eventAt(1), eventAt(2), eventAt(3)], 3);
      expect(await store.countEvents()).toBe(3);
      // A row DuckDB refuses rolls the whole slice back, offset included.
      const broken = { ...eventAt(4), timestamp: undefined as unknown as string };
      await expect(store.appendWithOffset('warehouse', [eventAt(4), broken], 5)).rejects.toThrow();
      expect(await store.getOffset('warehouse')).toBe(3);
      await store.appendWithOffset('warehouse', [eventAt(4)], 4);
      await store.close();
      store = await DuckDbEventStore.open(path);
      expect(await store.getOffset('warehouse')).toBe(4);
      await store.appendWithOffset('warehouse', [eventAt(4), eventAt(5)], 5);
      expect(await store.getOffset('warehouse')).toBe(5);
      expect(await store.countEvents()).toBe(5);
      expect(await store.getOffset('other')).toBe(0);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
