// The SQLite stores written on the HTTP thread (tasks and channel settings, segments) must not
// sleep on the state file's write lock. SQLite's busy handler sleeps the calling thread, so
// when the lock belongs to another connection of the same thread (the conductor's, inside a
// transaction that awaits) the wait can never end: it failed after 5 s with "database is
// locked", and every request stood still meanwhile. Here the lock is held by a connection of
// this thread and released 50 ms later from a timer, which can only fire if the write waits
// without blocking the thread.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteSegmentStore, sqlitePathsIn } from '../../src/store/index.ts';
import { SqliteChannelStore } from '../../src/store/sqlite/channels.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Holds the write lock from another connection of this thread until a timer releases it. */
function holdWriteLock(statePath: string, ms: number): Promise<void> {
  const other = new Database(statePath);
  other.exec('BEGIN IMMEDIATE');
  return new Promise((resolve) =>
    setTimeout(() => {
      other.exec('COMMIT');
      other.close();
      resolve();
    }, ms),
  );
}

function statePath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rapport-async-writes-'));
  dirs.push(dir);
  return sqlitePathsIn(dir).statePath;
}

describe('writes on the HTTP thread wait for the write lock without blocking it', () => {
  it('creates a task and saves a setting while another connection of this thread holds the lock', async () => {
    const path = statePath();
    const store = new SqliteChannelStore(path);
    const released = holdWriteLock(path, 50);
    const task = store.createTask({
      id: 't1',
      idempotencyKey: 'k1',
      profileId: 'p1',
      queue: 'call-centre',
      title: 'Call Ada',
      note: '',
      journeyId: null,
      stepId: null,
      createdAt: '2026-03-08T10:05:00.000Z',
      dueAt: null,
    });
    const setting = store.putSetting('smtp', '{}');
    await released;
    expect((await task).title).toBe('Call Ada');
    await setting;
    expect(await store.getSetting('smtp')).toBe('{}');
    await store.close();
  });

  it('saves and deletes a segment while another connection of this thread holds the lock', async () => {
    const path = statePath();
    const store = new SqliteSegmentStore(path);
    const released = holdWriteLock(path, 50);
    const saved = store.saveSegment({
      id: 's1',
      name: 'Buyers',
      rule: {},
      text: 'performed "Order Completed"',
      version: 1,
      status: 'live',
      createdAt: '2026-03-08T10:05:00.000Z',
      updatedAt: '2026-03-08T10:05:00.000Z',
    });
    await released;
    await saved;
    expect((await store.getSegment('s1'))?.name).toBe('Buyers');
    const again = holdWriteLock(path, 50);
    const deleted = store.deleteSegment('s1');
    await again;
    expect(await deleted).toBe(true);
    await store.close();
  });
});
