// The embedded warehouse caps DuckDB's buffer memory (its default is 80% of RAM, which a
// soak reads as a leak) and runs it on one thread (its default, a thread per core, costs the
// ingest path more CPU than it saves: docs/performance.md); both must be what the instance
// actually runs with, also after an erasure's file rewrite reopens it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DuckDbEventStore } from '../../src/store/duckdb/events.ts';

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

  it('runs on one thread unless told otherwise, also after an erasure rewrites the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rapport-duckdb-settings-'));
    const store = await DuckDbEventStore.open(join(dir, 'events.duckdb'));
    try {
      expect(await settingOf(store, 'threads')).toBe('1');
      await store.deleteEventsOf(['nobody']);
      expect(await settingOf(store, 'threads')).toBe('1');
      expect(await settingOf(store, 'memory_limit')).toBe('953.6 MiB');
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
});
