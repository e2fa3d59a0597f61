// The conductor's SQLite connection runs on the HTTP thread. When another connection (the
// pipeline worker's) holds the state file's write lock, a conductor transaction must wait for
// it without stopping the thread: timers keep firing while it waits, and it then commits.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConductorStore, StateStore } from '../../src/store/index.ts';
import { openConductorStore, openStateStore, sqlitePathsIn } from '../../src/store/index.ts';
import { openSqlite, type SqliteDatabase } from '../../src/store/sqlite/connection.ts';

describe('conductor transactions on a locked state file', () => {
  let dataDir: string;
  let state: StateStore;
  let store: ConductorStore;
  let other: SqliteDatabase;
  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'rapport-write-lock-'));
    state = await openStateStore({ dataDir });
    store = await openConductorStore({ dataDir });
    other = openSqlite(sqlitePathsIn(dataDir).statePath, { synchronous: 'NORMAL' });
  });
  afterEach(async () => {
    if (other.inTransaction) other.exec('ROLLBACK');
    other.close();
    await store.close();
    await state.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('waits for the lock asynchronously, then commits', async () => {
    other.exec('BEGIN IMMEDIATE');
    let ticks = 0;
    const ticker = setInterval(() => {
      ticks += 1;
    }, 5);
    let settled = false;
    const move = store.moveScheduleMark('weekly', undefined, '2026-03-02').finally(() => {
      settled = true;
    });
    // Hold the lock for a while: the thread must stay free (the ticker runs) meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const ticksWhileLocked = ticks;
    expect(settled).toBe(false);
    other.exec('COMMIT');
    expect(await move).toBe(true);
    clearInterval(ticker);
    // A blocked thread would have run no timer callback at all in those 300 ms.
    expect(ticksWhileLocked).toBeGreaterThan(5);
    expect(await store.getScheduleMark('weekly')).toBe('2026-03-02');
  });
});
