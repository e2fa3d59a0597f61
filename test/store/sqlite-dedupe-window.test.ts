// The embedded log's messageId dedupe (docs/architecture.md, "The messageId dedupe window is the
// retention"): the ids of everything the log keeps are deduplicated, but a connection holds only
// the newest ones in memory (at most about `recentIds`); the rest are in the log's index on disk.
// A window that kept every id in memory grows with the retention and fails the first test.
// No timing: sizes and answers after a known sequence of appends, restarts, compactions, erasures.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteIngestLog } from '../../src/store/index.ts';
import { RECENT_IDS } from '../../src/store/sqlite/log.ts';
import type { LogEntry } from '../../src/store/types.ts';

const dirs: string[] = [];
const open: SqliteIngestLog[] = [];
afterEach(() => {
  for (const log of open.splice(0)) log.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function logPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rapport-window-'));
  dirs.push(dir);
  return join(dir, 'log.sqlite');
}

function connect(path: string, options: ConstructorParameters<typeof SqliteIngestLog>[1] = {}) {
  const log = new SqliteIngestLog(path, options);
  open.push(log);
  return log;
}

function entries(round: number, count: number, from = 0): LogEntry[] {
  return Array.from({ length: count }, (_, i) => {
    const messageId = `round-${round}-message-${from + i}`;
    return {
      messageId,
      source: 'test',
      receivedAt: `2026-12-07T18:00:${String(round % 60).padStart(2, '0')}.000Z`,
      json: JSON.stringify({ type: 'track', event: 'Seen', messageId, userId: `u${i}` }),
    };
  });
}

function indexRows(path: string): number {
  const raw = new Database(path, { readonly: true });
  try {
    return (raw.prepare('SELECT count(*) AS n FROM log_message_ids').get() as { n: number }).n;
  } finally {
    raw.close();
  }
}

describe('the embedded log’s dedupe', () => {
  it('holds a bounded number of ids in memory while 30,000 distinct ids are kept, and dedupes all of them', async () => {
    const path = logPath();
    const writer = connect(path);
    const other = connect(path);
    for (let round = 0; round < 30; round++) {
      expect((await writer.append(entries(round, 1000))).appended).toBe(1000);
      // A second connection appends too (as segments does from the pipeline worker).
      expect((await other.append(entries(1000 + round, 1))).appended).toBe(1);
    }
    expect(await writer.countEntries()).toBe(30_030);
    // Nothing compacted: every id is kept, but each connection holds at most one index run in memory.
    expect(writer.loadDedupeWindow()).toBeLessThan(RECENT_IDS + 1000);
    expect(other.loadDedupeWindow()).toBeLessThan(RECENT_IDS + 1000);
    expect(indexRows(path)).toBeGreaterThanOrEqual(30_030 - RECENT_IDS - 1000);

    // Every kept id is still a duplicate: old ones (on disk), new ones (in memory), the other
    // connection's, on both connections, and after a restart.
    const again = [...entries(0, 5), ...entries(17, 5, 500), ...entries(29, 5, 995), ...entries(1003, 1)];
    expect(await writer.append(again)).toEqual({ appended: 0, duplicates: 16 });
    expect(await other.append(again)).toEqual({ appended: 0, duplicates: 16 });
    writer.close();
    open.splice(open.indexOf(writer), 1);
    const restarted = connect(path);
    expect(await restarted.append(again)).toEqual({ appended: 0, duplicates: 16 });
    expect(await restarted.append(entries(30, 3))).toEqual({ appended: 3, duplicates: 0 });
  });

  it('takes ids again once compaction or erasure removed them, and keeps its index the size of the log', async () => {
    const path = logPath();
    const log = connect(path, { recentIds: 100 });
    for (let round = 0; round < 10; round++) await log.append(entries(round, 100));
    // Keep the last 300 entries, as a retention would.
    expect(await log.compactThrough(700, '2026-12-08T18:00:00.000Z')).toBe(700);
    expect(indexRows(path) + log.loadDedupeWindow()).toBe(await log.countEntries());
    expect((await log.append(entries(0, 10))).appended).toBe(10);
    expect((await log.append(entries(8, 10))).duplicates).toBe(10);

    // Erasure: the id of an erased message is forgotten, on disk and in the erasing connection.
    const [erased] = await log.read(750, 1);
    expect(erased?.messageId).toBe('round-7-message-50');
    expect(await log.deleteEntries([erased?.seq ?? 0])).toBe(1);
    expect(indexRows(path) + log.loadDedupeWindow()).toBe(await log.countEntries());
    expect(await log.append(entries(7, 2, 50))).toEqual({ appended: 1, duplicates: 1 });
  });

  it('never drops a genuine message when ids share a hash: every hit is confirmed against the stored id', async () => {
    const path = logPath();
    const sameHash = () => 42;
    const log = connect(path, { hashMessageId: sameHash, recentIds: 7 });
    for (let round = 0; round < 6; round++)
      expect((await log.append(entries(round, 5))).appended, `round ${round}`).toBe(5);
    expect(indexRows(path)).toBeGreaterThan(20);
    expect(await log.append([...entries(0, 5), ...entries(6, 5)])).toEqual({ appended: 5, duplicates: 5 });
    const restarted = connect(path, { hashMessageId: sameHash, recentIds: 7 });
    expect(await restarted.append([...entries(3, 5), ...entries(7, 5)])).toEqual({
      appended: 5,
      duplicates: 5,
    });
    expect(await restarted.countEntries()).toBe(40);
  });

  it('indexes the ids of a log written before the index existed', async () => {
    const path = logPath();
    const log = connect(path, { recentIds: 1_000_000 });
    await log.append(entries(0, 50));
    log.close();
    open.splice(open.indexOf(log), 1);
    // As migration 4 left it: no index table, no mark.
    const raw = new Database(path);
    raw.exec(`DROP TABLE log_message_ids;
      ALTER TABLE log_compaction DROP COLUMN indexed_through;
      DELETE FROM schema_migrations WHERE version = 5;`);
    raw.close();
    const migrated = connect(path, { recentIds: 10 });
    expect(indexRows(path)).toBe(50);
    expect(migrated.loadDedupeWindow()).toBe(0);
    expect(await migrated.append(entries(0, 60))).toEqual({ appended: 10, duplicates: 50 });
  });
});
