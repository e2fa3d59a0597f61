// Log compaction over every storage pair: the store's primitives (compactThrough, entryTimes,
// stats, the head that survives an emptied log) and the runner (compactLog) against real
// processors and offsets. What must never happen: an entry removed before every reader has
// committed past it, or before the retention window has passed.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parsePayload } from '../../src/events/index.ts';
import {
  type CompactionReport,
  type CompactionSettings,
  compactLog,
  logReaderOffsets,
  runProfilesStep,
  runWarehouseStep,
} from '../../src/pipeline/index.ts';
import { SqliteIngestLog, sqlitePathsIn } from '../../src/store/index.ts';
import type { LogEntry } from '../../src/store/types.ts';
import { ENGINES, type OpenedStores } from './engines.ts';

const T0 = Date.parse('2024-03-01T10:00:00.000Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
const DAY = 86_400_000;

/** A normalised track message of user `u-(i % 3)`, as ingest would log it, received at minute i. */
function message(i: number, receivedMinute = i, prefix = 'm'): LogEntry {
  const receivedAt = new Date(T0 + receivedMinute * 60_000);
  const parsed = parsePayload(
    {
      batch: [
        {
          type: 'track',
          messageId: `${prefix}-${i}`,
          userId: `u-${i % 3}`,
          event: 'Viewed',
          properties: { i },
          timestamp: receivedAt.toISOString(),
        },
      ],
    },
    'batch',
    { receivedAt },
  );
  const accepted = parsed.accepted[0];
  if (!accepted) throw new Error(`message ${i} was rejected: ${JSON.stringify(parsed.rejected)}`);
  return {
    messageId: accepted.message.messageId,
    source: 'web',
    receivedAt: receivedAt.toISOString(),
    json: accepted.json,
  };
}

const messages = (from: number, to: number, prefix = 'm') =>
  Array.from({ length: to - from + 1 }, (_, k) => message(from + k, from + k, prefix));

function settings(now: Date, extra: Partial<CompactionSettings> = {}): CompactionSettings {
  return {
    retentionMs: 7 * DAY,
    chunkSize: 5000,
    vacuumPages: 2000,
    now: () => now,
    pause: async () => {},
    ...extra,
  };
}

/** Long after every entry above: the retention window no longer holds anything back. */
const LATER = new Date(T0 + 30 * DAY);

for (const engine of ENGINES) {
  describe.skipIf(engine.skipReason !== '')(`log compaction: ${engine.name}`, () => {
    let stores: OpenedStores;
    beforeEach(async () => {
      stores = await engine.open();
    });
    afterEach(async () => {
      await stores.close();
    });

    const seqs = async (after = 0) => (await stores.state.log.read(after, 1000)).map((r) => r.seq);
    const setOffset = (processor: string, seq: number) =>
      stores.state.withProcessorLock(processor, (tx) => tx.setOffset(seq));
    const compact = (extra: Partial<CompactionSettings> = {}, now = LATER): Promise<CompactionReport> =>
      compactLog(
        {
          log: stores.state.log,
          readerOffsets: () => logReaderOffsets({ state: stores.state, events: stores.events }),
        },
        settings(now, extra),
      );
    /** The real profiles and warehouse processors, until they have read everything. */
    async function runProcessors(): Promise<void> {
      while ((await runProfilesStep(stores.state)) > 0);
      while ((await runWarehouseStep(stores.state, stores.events)) > 0);
    }

    describe('the store', () => {
      it('removes every entry through a seq with the mark in one step; the head stays where it was', async () => {
        const { log } = stores.state;
        await log.append(messages(1, 10));
        expect(await log.compactThrough(4, at(100))).toBe(4);
        expect(await seqs()).toEqual([5, 6, 7, 8, 9, 10]);
        const stats = await log.stats();
        expect(stats).toMatchObject({
          entries: 6,
          oldestSeq: 5,
          oldestReceivedAt: at(5),
          headSeq: 10,
          compactedThrough: 4,
          removedTotal: 4,
          lastCompactedAt: at(100),
        });
        expect(stats.sizeBytes).toBeGreaterThan(0);

        // Everything gone: the head is still 10, and new entries come after it.
        expect(await log.compactThrough(10, at(101))).toBe(6);
        expect(await log.headSeq()).toBe(10);
        expect(await seqs()).toEqual([]);
        expect((await log.stats()).oldestSeq).toBeNull();
        await log.append(messages(11, 12));
        expect(await seqs()).toEqual([11, 12]);
        expect(await log.headSeq()).toBe(12);

        // A mark below the current one removes nothing and never moves it back.
        expect(await log.compactThrough(3, at(102))).toBe(0);
        expect(await log.stats()).toMatchObject({
          compactedThrough: 10,
          removedTotal: 10,
          lastCompactedAt: at(101),
        });
      });

      it('lists seq and receivedAt after a seq, in seq order, without the bodies', async () => {
        const { log } = stores.state;
        await log.append(messages(1, 5));
        expect(await log.entryTimes(2, 2)).toEqual([
          { seq: 3, receivedAt: at(3) },
          { seq: 4, receivedAt: at(4) },
        ]);
        expect(await log.entryTimes(5, 10)).toEqual([]);
      });

      it('dedupes a messageId while its entry is kept, and takes it again once compacted away', async () => {
        const { log } = stores.state;
        await log.append(messages(1, 4));
        await log.compactThrough(2, at(10));
        // m-3 is still in the log: a retry is a duplicate.
        expect(await log.append([message(3)])).toEqual({ appended: 0, duplicates: 1 });
        // m-1 was compacted away: the same messageId is a new entry (the dedupe window is the retention).
        expect(await log.append([message(1)])).toEqual({ appended: 1, duplicates: 0 });
        const kept = await log.read(0, 10);
        expect(kept.map((r) => r.messageId)).toEqual(['m-3', 'm-4', 'm-1']);
        expect(kept.at(-1)?.seq).toBeGreaterThan(4);
      });

      it('removes nothing when the mark cannot be written: the chunk is one transaction', async () => {
        const { log } = stores.state;
        await log.append(messages(1, 6));
        // Break the mark's table from another connection: the delete must roll back with it.
        if (stores.postgres) {
          const client = new pg.Client({ connectionString: stores.postgres.url });
          await client.connect();
          await client.query(`DROP TABLE "${stores.postgres.schema}".log_compaction`);
          await client.end();
        } else {
          const db = new Database(sqlitePathsIn(stores.sqlite!.dataDir).logPath);
          db.exec('DROP TABLE log_compaction');
          db.close();
        }
        await expect(log.compactThrough(4, at(10))).rejects.toThrow(/log_compaction/);
        expect(await seqs()).toEqual([1, 2, 3, 4, 5, 6]);
      });
    });

    describe('the runner', () => {
      it('never removes what the slowest reader has not committed; once it catches up the rest goes', async () => {
        const { log } = stores.state;
        await log.append(messages(1, 20));
        await runProcessors();
        await setOffset('segments', 20);
        // The journeys processor stopped at 8.
        await setOffset('journeys', 8);

        const first = await compact();
        expect(first).toMatchObject({
          removed: 8,
          readersAt: 8,
          heldBackBy: ['journeys'],
          removedThrough: 8,
        });
        expect(await seqs()).toEqual(Array.from({ length: 12 }, (_, k) => 9 + k));

        // The stopped processor resumes from its offset and finds every entry it had not read.
        const resumed = await log.read(await stores.state.getOffset('journeys'), 100);
        expect(resumed.map((r) => r.messageId)).toEqual(Array.from({ length: 12 }, (_, k) => `m-${9 + k}`));
        await setOffset('journeys', 20);

        // Meanwhile more arrives and the other processors go on.
        await log.append(messages(21, 25));
        await runProcessors();
        await setOffset('segments', 25);
        const second = await compact();
        expect(second).toMatchObject({ removed: 12, readersAt: 20, heldBackBy: ['journeys'] });
        expect(await seqs()).toEqual([21, 22, 23, 24, 25]);

        // Nothing was lost on the way: the warehouse holds every message once, the profiles count them all.
        expect(await stores.events.countEvents()).toBe(25);
        const ids = Array.from({ length: 25 }, (_, k) => `m-${k + 1}`);
        const counts = await stores.events.countByMessageId(ids);
        expect(ids.filter((id) => counts.get(id) !== 1)).toEqual([]);
        let profileEvents = 0;
        for (const identity of await stores.state.findIdentities(
          [0, 1, 2].map((u) => ({ kind: 'user_id', value: `u-${u}` })),
        ))
          profileEvents += (await stores.state.getProfile(identity.profileId))?.eventCount ?? 0;
        expect(profileEvents).toBe(25);
      });

      it('counts a reader that has never committed as 0: nothing goes', async () => {
        await stores.state.log.append(messages(1, 5));
        await runProcessors();
        await setOffset('segments', 5);
        // No journeys offset at all: the conductor has not run here yet.
        const report = await compact();
        expect(report).toMatchObject({
          removed: 0,
          readersAt: 0,
          heldBackBy: ['journeys'],
          removedThrough: null,
        });
        expect(await seqs()).toEqual([1, 2, 3, 4, 5]);
      });

      it('waits for any other processor keeping its offset beside the others, and a new one reads from the oldest kept', async () => {
        await stores.state.log.append(messages(1, 6));
        await runProcessors();
        await setOffset('segments', 6);
        await setOffset('journeys', 6);
        await setOffset('newcomer', 0);
        expect(await compact()).toMatchObject({ removed: 0, heldBackBy: ['newcomer'] });
        await setOffset('newcomer', 2);
        expect(await compact()).toMatchObject({ removed: 2, heldBackBy: ['newcomer'] });
        // A processor starting fresh (offset 0) after a compaction starts at the oldest entry kept.
        expect((await stores.state.log.read(0, 100)).map((r) => r.seq)).toEqual([3, 4, 5, 6]);
      });

      it('keeps what is younger than the retention window, and everything when retention is forever', async () => {
        await stores.state.log.append(messages(0, 9));
        await runProcessors();
        await setOffset('segments', 10);
        await setOffset('journeys', 10);
        const minutes = (m: number) => new Date(T0 + m * 60_000);
        // Retention 5 minutes at minute 12: received before minute 7 goes (seq 1-7 hold minutes 0-6).
        const report = await compact({ retentionMs: 5 * 60_000 }, minutes(12));
        expect(report).toMatchObject({ removed: 7, removedThrough: 7, cutoff: at(7) });
        expect(await seqs()).toEqual([8, 9, 10]);
        expect(await compact({ retentionMs: null }, minutes(600))).toMatchObject({
          removed: 0,
          cutoff: null,
        });
        expect(await compact({ retentionMs: 0 }, minutes(8))).toMatchObject({ removed: 1 });
        expect(await seqs()).toEqual([9, 10]);
      });

      it('stops at the first entry still inside the window, even if older ones follow it', async () => {
        // Entries are removed as a prefix: one received late (an outbox flush, a slow clock)
        // keeps what comes after it until it is old enough itself.
        await stores.state.log.append([message(1, 1), message(2, 50), message(3, 3), message(4, 4)]);
        await runProcessors();
        await setOffset('segments', 4);
        await setOffset('journeys', 4);
        const report = await compact({ retentionMs: 10 * 60_000 }, new Date(T0 + 20 * 60_000));
        expect(report.removed).toBe(1);
        expect(await seqs()).toEqual([2, 3, 4]);
      });

      it('deletes in chunks of at most chunkSize entries, one transaction each', async () => {
        const { log } = stores.state;
        await log.append(messages(1, 30));
        await runProcessors();
        await setOffset('segments', 30);
        await setOffset('journeys', 30);
        const removedPerChunk: number[] = [];
        const recording = {
          entryTimes: log.entryTimes.bind(log),
          reclaimSpace: log.reclaimSpace.bind(log),
          compactThrough: async (through: number, when: string) => {
            const removed = await log.compactThrough(through, when);
            removedPerChunk.push(removed);
            return removed;
          },
        };
        const pauses: number[] = [];
        const report = await compactLog(
          {
            log: recording,
            readerOffsets: () => logReaderOffsets({ state: stores.state, events: stores.events }),
          },
          settings(LATER, { chunkSize: 7, pause: async (held) => void pauses.push(held) }),
        );
        expect(removedPerChunk).toEqual([7, 7, 7, 7, 2]);
        expect(report).toMatchObject({ removed: 30, chunks: 5, removedThrough: 30 });
        // The lock is let go between chunks.
        expect(pauses.length).toBeGreaterThanOrEqual(4);
        expect(await log.stats()).toMatchObject({ entries: 0, compactedThrough: 30, removedTotal: 30 });
      });
    });

    describe.skipIf(engine.kind !== 'embedded')('SQLite disk space', () => {
      it('creates the log with incremental auto_vacuum and gives freed pages back to the file system', async () => {
        const { log } = stores.state;
        const big = (i: number): LogEntry => ({
          ...message(i),
          json: JSON.stringify({ pad: 'x'.repeat(4000), i }),
        });
        for (let part = 0; part < 4; part++)
          await log.append(Array.from({ length: 500 }, (_, k) => big(part * 500 + k)));
        const before = await log.stats();
        expect(before.autoVacuum).toBe('incremental');
        expect(before.sizeBytes).toBeGreaterThan(8_000_000);
        expect(await log.compactThrough(1900, at(0))).toBe(1900);
        expect((await log.stats()).freeBytes).toBeGreaterThan(7_000_000);
        let given = 0;
        for (let bytes = await log.reclaimSpace(500); bytes > 0; bytes = await log.reclaimSpace(500))
          given += bytes;
        const after = await log.stats();
        expect(after.freeBytes).toBe(0);
        expect(given).toBe(before.sizeBytes - after.sizeBytes);
        expect(after.sizeBytes).toBeLessThan(before.sizeBytes / 5);
        // On disk too, once the WAL is checkpointed into the file.
        const logPath = sqlitePathsIn(stores.sqlite!.dataDir).logPath;
        const raw = new Database(logPath);
        raw.pragma('wal_checkpoint(TRUNCATE)');
        raw.close();
        expect(statSync(logPath).size).toBeLessThan(before.sizeBytes / 5);
      });
    });
  });
}

describe('a log.sqlite created before compaction', () => {
  it('keeps auto_vacuum none and reuses freed pages; vacuum() converts it and shrinks the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rapport-old-log-'));
    try {
      const path = join(dir, 'log.sqlite');
      // How older versions opened it: WAL first, so auto_vacuum stayed at none.
      const old = new Database(path);
      old.pragma('journal_mode = WAL');
      old.exec(
        `CREATE TABLE ingest_log (seq INTEGER PRIMARY KEY AUTOINCREMENT, message_id TEXT NOT NULL UNIQUE,
           source TEXT NOT NULL, received_at TEXT NOT NULL, body TEXT NOT NULL);
         CREATE TABLE dead_letters (id INTEGER PRIMARY KEY AUTOINCREMENT, received_at TEXT NOT NULL,
           source TEXT NOT NULL, code TEXT NOT NULL, field TEXT NOT NULL, reason TEXT NOT NULL, body TEXT NOT NULL);
         CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL);
         INSERT INTO schema_migrations VALUES (1, '2024-01-01T00:00:00.000Z');`,
      );
      old.close();
      const log = new SqliteIngestLog(path);
      const big = (i: number): LogEntry => ({
        ...message(i),
        json: JSON.stringify({ pad: 'x'.repeat(4000), i }),
      });
      await log.append(Array.from({ length: 1000 }, (_, k) => big(k)));
      const full = await log.stats();
      expect(full.autoVacuum).toBe('none');
      await log.compactThrough(900, at(0));
      expect(await log.reclaimSpace(1000)).toBe(0);
      const compacted = await log.stats();
      expect(compacted.sizeBytes).toBe(full.sizeBytes);
      expect(compacted.freeBytes).toBeGreaterThan(3_000_000);
      // New entries land in the freed pages: the file does not grow.
      await log.append(Array.from({ length: 500 }, (_, k) => big(2000 + k)));
      expect((await log.stats()).sizeBytes).toBe(full.sizeBytes);

      const saved = log.vacuum();
      const after = await log.stats();
      expect(after.autoVacuum).toBe('incremental');
      expect(saved).toBeGreaterThan(0);
      expect(after.sizeBytes).toBeLessThan(full.sizeBytes);
      expect(after.entries).toBe(600);
      log.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
