// The quarantine table's contract on both engines (docs/quarantine.md): rows keyed by
// (processor, seq) whose repeats add attempts instead of rows, paging and counts, the
// consecutive run, failed replays, discard; and the three transactions that write a row with a
// processor's offset (profiles, segments, journeys) commit both or neither.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import type { ConductorStore, QuarantineEntry, SegmentStore, StateStore } from '../../src/store/index.ts';
import { PostgresConductorStore } from '../../src/store/postgres/conductor.ts';
import { PostgresStateStore } from '../../src/store/postgres/index.ts';
import { PostgresSegmentStore } from '../../src/store/postgres/segments.ts';
import { quoteIdent } from '../../src/store/postgres/sql.ts';
import { emptyChanges } from '../../src/store/segment-types.ts';
import { SqliteConductorStore } from '../../src/store/sqlite/conductor.ts';
import { SqliteSegmentStore } from '../../src/store/sqlite/segments.ts';
import { SqliteStateStore, sqlitePathsIn } from '../../src/store/sqlite/state.ts';

interface Opened {
  state: StateStore;
  segments: SegmentStore;
  conductor: ConductorStore;
  close(): Promise<void>;
}

const postgresUrl = inject('postgresUrl');

const ENGINES: Array<{ name: string; skip: string; open(): Promise<Opened> }> = [
  {
    name: 'sqlite',
    skip: '',
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'rapport-quarantine-'));
      // The conductor store first: its migrations must create the table on a fresh file too.
      const conductor = new SqliteConductorStore(sqlitePathsIn(dir).statePath);
      const segments = new SqliteSegmentStore(sqlitePathsIn(dir).statePath);
      const state = new SqliteStateStore(sqlitePathsIn(dir));
      return {
        state,
        segments,
        conductor,
        async close() {
          await conductor.close();
          await segments.close();
          await state.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'postgres',
    skip: postgresUrl ? '' : inject('postgresSkipReason'),
    async open() {
      const schema = `quarantine_${randomBytes(6).toString('hex')}`;
      // The state store first, as a server opens them (its first migration creates the offsets).
      const state = await PostgresStateStore.open(postgresUrl, { schema });
      const conductor = await PostgresConductorStore.open(postgresUrl, { schema });
      const segments = await PostgresSegmentStore.open(postgresUrl, { schema });
      return {
        state,
        segments,
        conductor,
        async close() {
          await conductor.close();
          await segments.close();
          await state.close();
          const pool = new pg.Pool({ connectionString: postgresUrl });
          await pool.query(`DROP SCHEMA ${quoteIdent(schema)} CASCADE`);
          await pool.end();
        },
      };
    },
  },
];

const at = (minute: number) => new Date(Date.UTC(2026, 2, 2, 10, minute)).toISOString();

function entry(processor: string, seq: number, extra: Partial<QuarantineEntry> = {}): QuarantineEntry {
  return {
    processor,
    seq,
    messageId: `m-${processor}-${seq}`,
    source: 'web',
    receivedAt: at(0),
    body: JSON.stringify({ type: 'track', messageId: `m-${processor}-${seq}`, userId: `u${seq}` }),
    error: 'NOT NULL constraint failed: profiles.first_seen',
    stack: 'Error: NOT NULL constraint failed\n    at write',
    firstFailedAt: at(1),
    lastFailedAt: at(1),
    attempts: 3,
    consecutive: 1,
    ...extra,
  };
}

for (const engine of ENGINES)
  describe.skipIf(engine.skip !== '')(`quarantine store on ${engine.name} ${engine.skip}`, () => {
    let opened: Opened;
    beforeEach(async () => {
      opened = await engine.open();
    });
    afterEach(async () => opened.close());

    it('keeps one row per (processor, seq): a repeat adds its attempts and keeps the newest failure', async () => {
      const { quarantine } = opened.state;
      await quarantine.put(entry('profiles', 5));
      await quarantine.put(entry('warehouse', 5));
      await quarantine.put(
        entry('profiles', 5, { error: 'again', lastFailedAt: at(9), firstFailedAt: at(9), attempts: 2 }),
      );
      const rows = await quarantine.list({ limit: 10 });
      expect(rows.map((r) => [r.processor, r.seq])).toEqual([
        ['profiles', 5],
        ['warehouse', 5],
      ]);
      const profiles = rows[0];
      expect(profiles).toMatchObject({
        messageId: 'm-profiles-5',
        source: 'web',
        receivedAt: at(0),
        error: 'again',
        firstFailedAt: at(1),
        lastFailedAt: at(9),
        attempts: 5,
        consecutive: 1,
      });
      expect(JSON.parse(profiles?.body as string)).toMatchObject({ userId: 'u5' });
      expect(await quarantine.get(profiles?.id as number)).toEqual(profiles);
      expect(await quarantine.get(999_999)).toBeUndefined();
    });

    it('pages oldest first, filters by processor, and counts per processor', async () => {
      const { quarantine } = opened.state;
      for (let seq = 1; seq <= 5; seq++) await quarantine.put(entry(seq % 2 ? 'profiles' : 'segments', seq));
      const first = await quarantine.list({ limit: 2 });
      const second = await quarantine.list({ limit: 2, afterId: first[1]?.id as number });
      expect([...first, ...second].map((r) => r.seq)).toEqual([1, 2, 3, 4]);
      expect((await quarantine.list({ limit: 10, processor: 'segments' })).map((r) => r.seq)).toEqual([2, 4]);
      expect(await quarantine.counts()).toEqual({ profiles: 3, segments: 2 });
    });

    it('reads the consecutive run at a seq, records failed replays, releases and removes', async () => {
      const { quarantine } = opened.state;
      await quarantine.put(entry('profiles', 7, { consecutive: 4 }));
      expect(await quarantine.consecutiveAt('profiles', 7)).toBe(4);
      expect(await quarantine.consecutiveAt('profiles', 6)).toBe(0);
      expect(await quarantine.consecutiveAt('warehouse', 7)).toBe(0);
      const [row] = await quarantine.list({ limit: 1 });
      const id = row?.id as number;
      expect(await quarantine.recordFailure(id, { error: 'still broken', stack: null, at: at(30) })).toBe(
        true,
      );
      expect(await quarantine.get(id)).toMatchObject({
        error: 'still broken',
        stack: null,
        attempts: 4,
        lastFailedAt: at(30),
      });
      expect(await quarantine.release(id)).toBe(true);
      expect(await quarantine.release(id)).toBe(false);
      expect(await quarantine.recordFailure(id, { error: 'x', stack: null, at: at(31) })).toBe(false);
      await quarantine.put(entry('profiles', 8));
      await quarantine.put(entry('profiles', 9));
      const ids = (await quarantine.list({ limit: 10 })).map((r) => r.id);
      expect(await quarantine.remove([...ids, 424242])).toBe(2);
      expect(await quarantine.counts()).toEqual({});
    });

    it('the profiles transaction writes the row with the offset, or neither', async () => {
      const { state } = opened;
      await state.withProcessorLock('profiles', async (tx) => {
        await tx.quarantine.put(entry('profiles', 3));
        await tx.setOffset(3);
      });
      await expect(
        state.withProcessorLock('profiles', async (tx) => {
          await tx.quarantine.put(entry('profiles', 4));
          await tx.setOffset(4);
          throw new Error('crash before commit');
        }),
      ).rejects.toThrow('crash before commit');
      expect(await state.getOffset('profiles')).toBe(3);
      expect((await state.quarantine.list({ limit: 10 })).map((r) => r.seq)).toEqual([3]);
      // Inside the transaction, the row it wrote is visible to it (a replay reads and releases).
      await state.withProcessorLock('profiles', async (tx) => {
        const [row] = await state.quarantine.list({ limit: 1 });
        expect(await tx.quarantine.get(row?.id as number)).toMatchObject({ seq: 3 });
        expect(await tx.quarantine.consecutiveAt('profiles', 3)).toBe(1);
        expect(await tx.quarantine.release(row?.id as number)).toBe(true);
      });
      expect(await state.quarantine.counts()).toEqual({});
    });

    it('the journeys transaction writes the row with the offset, or neither', async () => {
      const { conductor, state } = opened;
      await conductor.withProcessor('journeys', async (tx) => {
        await tx.quarantine.put(entry('journeys', 10));
        await tx.setOffset(10);
      });
      await expect(
        conductor.withProcessor('journeys', async (tx) => {
          await tx.quarantine.put(entry('journeys', 11));
          await tx.setOffset(11);
          throw new Error('crash before commit');
        }),
      ).rejects.toThrow('crash before commit');
      expect(await conductor.getOffset('journeys')).toBe(10);
      expect((await state.quarantine.list({ limit: 10 })).map((r) => r.seq)).toEqual([10]);
    });

    it('the segments commit writes rows and releases them with its offset', async () => {
      const { segments, state } = opened;
      await segments.commit({ ...emptyChanges(), quarantine: [entry('segments', 20)] }, 20);
      expect(await segments.getOffset()).toBe(20);
      const [row] = await state.quarantine.list({ limit: 10 });
      expect(row).toMatchObject({ processor: 'segments', seq: 20 });
      await segments.commit({ ...emptyChanges(), releaseQuarantined: [row?.id as number] }, 20);
      expect(await state.quarantine.counts()).toEqual({});
    });
  });
