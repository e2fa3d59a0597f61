// The log written per request: the messages of one request (same source, same receivedAt)
// share one stored batch and are addressed by (batch, index). Whatever the shape, readers see
// one record per message with contiguous seqs, a read may stop inside a batch, erasure and
// compaction take single messages out of a batch (their bytes leave the file), and a
// messageId is stored once, also when two connections append (a second process, the
// pipeline's own appends).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migratePostgres } from '../../src/store/postgres/connection.ts';
import { PostgresStateStore } from '../../src/store/postgres/index.ts';
import { LOG_MIGRATIONS, STATE_MIGRATIONS } from '../../src/store/postgres/migrations.ts';
import { quoteIdent, tablesIn } from '../../src/store/postgres/sql.ts';
import type { LogEntry } from '../../src/store/types.ts';
import { ENGINES, type OpenedStores } from './engines.ts';

const RECEIVED = '2024-03-01T10:00:00.000Z';

/** One request's messages: a shared source and receivedAt, as ingest logs them. */
function request(ids: string[], receivedAt = RECEIVED, source = 'web'): LogEntry[] {
  return ids.map((messageId, i) => ({
    messageId,
    source,
    receivedAt,
    json: JSON.stringify({ type: 'track', messageId, userId: `person-of-${messageId}`, properties: { i } }),
  }));
}

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i + 1}`);

for (const engine of ENGINES) {
  describe.skipIf(engine.skipReason !== '')(`the log per request: ${engine.name}`, () => {
    let stores: OpenedStores;
    beforeEach(async () => {
      stores = await engine.open();
    });
    afterEach(async () => {
      await stores.close();
    });

    it('gives the messages of a request contiguous seqs, in order, and a read may stop inside it', async () => {
      const { log } = stores.state;
      expect(await log.append(request(ids('a', 5)))).toEqual({ appended: 5, duplicates: 0 });
      expect(await log.append(request(ids('b', 3), '2024-03-01T10:00:01.000Z', 'app'))).toEqual({
        appended: 3,
        duplicates: 0,
      });
      const all = await log.read(0, 100);
      expect(all.map((r) => [r.seq, r.messageId, r.source])).toEqual([
        [1, 'a-1', 'web'],
        [2, 'a-2', 'web'],
        [3, 'a-3', 'web'],
        [4, 'a-4', 'web'],
        [5, 'a-5', 'web'],
        [6, 'b-1', 'app'],
        [7, 'b-2', 'app'],
        [8, 'b-3', 'app'],
      ]);
      expect(JSON.parse(all[3]?.json ?? '')).toMatchObject({ messageId: 'a-4', properties: { i: 3 } });
      expect((await log.read(2, 2)).map((r) => r.seq)).toEqual([3, 4]);
      expect((await log.read(4, 3)).map((r) => r.seq)).toEqual([5, 6, 7]);
      expect(await log.headSeq()).toBe(8);
      expect(await log.countEntries()).toBe(8);
      const sparse = await log.readContaining(1, 10, '"a-3"');
      expect(sparse.map((r) => [r.seq, r.json === null])).toEqual([
        [2, true],
        [3, false],
        [4, true],
        [5, true],
        [6, true],
        [7, true],
        [8, true],
      ]);
      expect((await log.entryTimes(6, 10)).map((r) => r.seq)).toEqual([7, 8]);
    });

    it('reads back every message byte for byte: non-ASCII in some lines of a request, a lone message holding a newline', async () => {
      const { log } = stores.state;
      // The embedded log decodes each line of a request on its own (bodyLines): the split must
      // fall between messages whatever multi-byte characters the lines around it hold.
      const texts = [
        'plain',
        'Sale — 20% off',
        'naïve café',
        '日本語のページ',
        'emoji 🛒 cart',
        'plain again',
      ];
      const entries = texts.map((title, i) => ({
        messageId: `u-${i}`,
        source: 'web',
        receivedAt: RECEIVED,
        json: JSON.stringify({ type: 'page', messageId: `u-${i}`, name: title, properties: { title } }),
      }));
      const lone = {
        messageId: 'nl',
        source: 'web',
        receivedAt: RECEIVED,
        json: '{"type":"track",\n"name":"x — y"}',
      };
      await log.append([...entries, lone]);
      const read = await log.read(0, 100);
      expect(read.map((r) => r.json)).toEqual([...entries, lone].map((e) => e.json));
      expect((await log.read(2, 2)).map((r) => r.json)).toEqual([entries[2]?.json, entries[3]?.json]);
    });

    it('readContaining hands back exactly the messages whose JSON holds the needle, whatever the bytes around it', async () => {
      const { log } = stores.state;
      // Both engines find the needle without decoding the whole request (the embedded log in
      // its bytes, PostgreSQL line by line): the answer must be what includes() on each
      // message says, for needles of one or several bytes a character, at a line's edges,
      // across a line break, and in a lone message holding a newline.
      const titles = ['plain', 'Sale — 20% off', 'naïve café', '日本語のページ', 'emoji 🛒 cart', 'end —'];
      const entries = titles.map((title, i) => ({
        messageId: `n-${i}`,
        source: 'web',
        receivedAt: RECEIVED,
        json: JSON.stringify({ type: i % 2 ? 'track' : 'page', messageId: `n-${i}`, name: title }),
      }));
      const lone = {
        messageId: 'nl',
        source: 'web',
        receivedAt: '2024-03-01T10:00:01.000Z',
        json: '{"type":"track",\n"name":"x — y"}',
      };
      const later = request(['m-1', 'm-2'], '2024-03-01T10:00:02.000Z');
      await log.append([...entries, lone, ...later]);
      const all = await log.read(0, 100);
      expect(all).toHaveLength(9);
      const needles = [
        '"type":"track"',
        '—',
        'café',
        '🛒',
        '{"type"',
        '—"}',
        '"}\n{"',
        ',\n"',
        'absent',
        'ページ"}',
      ];
      for (const needle of needles) {
        const sparse = await log.readContaining(0, 100, needle);
        expect(
          sparse.map((r) => r.json),
          needle,
        ).toEqual(all.map((r) => (r.json.includes(needle) ? r.json : null)));
        expect(sparse.map((r) => [r.seq, r.messageId, r.source, r.receivedAt])).toEqual(
          all.map((r) => [r.seq, r.messageId, r.source, r.receivedAt]),
        );
      }
      // A read that starts and stops inside a request.
      expect((await log.readContaining(2, 3, '—')).map((r) => [r.seq, r.json !== null])).toEqual([
        [3, false],
        [4, false],
        [5, false],
      ]);
      expect((await log.readContaining(1, 2, '—')).map((r) => [r.seq, r.json])).toEqual([
        [2, entries[1]?.json],
        [3, null],
      ]);
      // A message erased from the middle of a request is gone from the sparse read as from read.
      await log.deleteEntries([2]);
      expect((await log.readContaining(0, 3, '—')).map((r) => [r.seq, r.json])).toEqual([
        [1, null],
        [3, null],
        [4, null],
      ]);
    });

    it('stores a messageId once: repeated inside a request, across requests, and across connections', async () => {
      const { log } = stores.state;
      expect(await log.append(request(['d-1', 'd-2', 'd-1', 'd-3']))).toEqual({ appended: 3, duplicates: 1 });
      expect(await log.append(request(['d-3', 'd-4'], '2024-03-01T10:00:02.000Z'))).toEqual({
        appended: 1,
        duplicates: 1,
      });
      // The peer is closed by the engine's close, as another process's store would be.
      const peer = await stores.openPeerState();
      expect(await peer.log.append(request(['d-2', 'd-5'], '2024-03-01T10:00:03.000Z'))).toEqual({
        appended: 1,
        duplicates: 1,
      });
      // The first connection sees what the peer stored since its own last append.
      expect(await log.append(request(['d-5', 'd-6'], '2024-03-01T10:00:04.000Z'))).toEqual({
        appended: 1,
        duplicates: 1,
      });
      // A refused duplicate takes no seq, on either engine.
      const read = await log.read(0, 100);
      expect(read.map((r) => r.messageId)).toEqual(['d-1', 'd-2', 'd-3', 'd-4', 'd-5', 'd-6']);
      expect(read.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    });

    it('erases single messages out of a request: the others keep their seqs, the head stays', async () => {
      const { log } = stores.state;
      await log.append(request(ids('e', 6)));
      expect(await log.deleteEntries([2, 5])).toBe(2);
      expect((await log.read(0, 100)).map((r) => [r.seq, r.messageId])).toEqual([
        [1, 'e-1'],
        [3, 'e-3'],
        [4, 'e-4'],
        [6, 'e-6'],
      ]);
      expect((await log.read(1, 1)).map((r) => r.seq)).toEqual([3]);
      expect(await log.countEntries()).toBe(4);
      expect(await log.deleteEntries([1, 3, 4, 6])).toBe(4);
      expect(await log.read(0, 100)).toEqual([]);
      expect(await log.headSeq()).toBe(6);
      await log.append(request(['e-7'], '2024-03-01T10:00:05.000Z'));
      expect((await log.read(0, 100)).map((r) => r.seq)).toEqual([7]);
    });

    it('forgets the id of an erased message and still refuses the others, also in another connection', async () => {
      const { log } = stores.state;
      await log.append(request(ids('f', 4)));
      expect(await log.deleteEntries([2])).toBe(1);
      // Sent again, the erased message is a new message; the ones kept are still duplicates.
      expect(await log.append(request(['f-1', 'f-2', 'f-4'], '2024-03-01T10:00:09.000Z'))).toEqual({
        appended: 1,
        duplicates: 2,
      });
      // A connection opened now (a restart, another process) refuses them all.
      const peer = await stores.openPeerState();
      expect(await peer.log.append(request(['f-2', 'f-3', 'f-1'], '2024-03-01T10:00:10.000Z'))).toEqual({
        appended: 0,
        duplicates: 3,
      });
      expect((await log.read(0, 100)).map((r) => [r.seq, r.messageId])).toEqual([
        [1, 'f-1'],
        [3, 'f-3'],
        [4, 'f-4'],
        [5, 'f-2'],
      ]);
    });

    it('compacts through the middle of a request: its later messages stay', async () => {
      const { log } = stores.state;
      await log.append(request(ids('c', 4)));
      await log.append(request(ids('k', 4), '2024-03-01T10:00:06.000Z'));
      expect(await log.compactThrough(6, '2024-03-09T00:00:00.000Z')).toBe(6);
      expect((await log.read(0, 100)).map((r) => [r.seq, r.messageId])).toEqual([
        [7, 'k-3'],
        [8, 'k-4'],
      ]);
      expect(await log.stats()).toMatchObject({ entries: 2, oldestSeq: 7, headSeq: 8, compactedThrough: 6 });
      // Compaction ends the dedupe window of what it removed, and only of that.
      expect(await log.append(request(['k-1', 'k-4'], '2024-03-09T00:00:01.000Z'))).toEqual({
        appended: 1,
        duplicates: 1,
      });
    });

    describe.skipIf(engine.kind !== 'embedded')('in SQLite', () => {
      it('writes one row per request, and an erased message leaves no byte in the file', async () => {
        const { log } = stores.state;
        await log.append([...request(ids('r', 50)), ...request(ids('s', 50), '2024-03-01T10:00:07.000Z')]);
        const dataDir = stores.sqlite?.dataDir ?? '';
        const file = join(dataDir, 'log.sqlite');
        const raw = new Database(file, { readonly: true });
        try {
          expect(raw.prepare('SELECT count(*) AS n FROM log_batches').get()).toEqual({ n: 2 });
        } finally {
          raw.close();
        }
        await log.deleteEntries([17]);
        await (log as unknown as { truncateWal(): Promise<void> }).truncateWal();
        const bytes = readFileSync(file);
        expect(bytes.includes('person-of-r-17')).toBe(false);
        expect(bytes.includes('person-of-r-16')).toBe(true);
      });
    });

    describe.skipIf(engine.kind !== 'postgres')('in PostgreSQL', () => {
      const log = () => stores.state.log;
      const raw = async <T>(work: (client: pg.Client, tables: ReturnType<typeof tablesIn>) => Promise<T>) => {
        const where = stores.postgres as { url: string; schema: string };
        const client = new pg.Client({ connectionString: where.url });
        await client.connect();
        try {
          return await work(client, tablesIn(where.schema));
        } finally {
          await client.end();
        }
      };

      it('writes one row per request, and an erased message leaves its row and the dedupe table', async () => {
        const { log } = stores.state;
        await log.append([...request(ids('r', 50)), ...request(ids('s', 50), '2024-03-01T10:00:07.000Z')]);
        expect(
          await raw(
            async (c, t) => (await c.query(`SELECT count(*)::int AS n FROM ${t.logBatches}`)).rows[0],
          ),
        ).toEqual({
          n: 2,
        });
        // The request's messages are compressed together with lz4 (log migration 4).
        const compression = await raw(
          async (c, t) =>
            (
              await c.query(
                "SELECT attcompression AS c FROM pg_attribute WHERE attrelid = $1::regclass AND attname = 'body'",
                [t.logBatches],
              )
            ).rows[0]?.c,
        );
        expect(compression).toBe('l');
        expect(await log.deleteEntries([17])).toBe(1);
        const left = await raw(async (c, t) => ({
          body: (await c.query(`SELECT string_agg(body, '') AS b FROM ${t.logBatches}`)).rows[0].b as string,
          ids: (await c.query(`SELECT message_id FROM ${t.logMessageIds} ORDER BY message_id`)).rows.map(
            (row) => row.message_id as string,
          ),
        }));
        expect(left.body.includes('person-of-r-17')).toBe(false);
        expect(left.body.includes('person-of-r-16')).toBe(true);
        expect(left.ids).toHaveLength(99);
        expect(left.ids).not.toContain('r-17');
      });

      it('takes as a duplicate an id another writer committed while the append waited on it', async () => {
        // A writer outside the append lock holds 'late' uncommitted: the append's dedupe read
        // cannot see it, its insert waits on it, and once it commits the append starts again.
        const raced = await raw(async (client, tables) => {
          await client.query('BEGIN');
          await client.query(`INSERT INTO ${tables.logMessageIds} (message_id) VALUES ('late')`);
          const append = log().append(request(['early', 'late', 'after']));
          const watcher = new pg.Client({ connectionString: stores.postgres?.url });
          await watcher.connect();
          try {
            while (
              (await watcher.query("SELECT 1 FROM pg_locks WHERE locktype = 'transactionid' AND NOT granted"))
                .rows.length === 0
            )
              await new Promise((resolve) => setTimeout(resolve, 5));
          } finally {
            await watcher.end();
          }
          await client.query('COMMIT');
          return append;
        });
        expect(raced).toEqual({ appended: 2, duplicates: 1 });
        expect((await log().read(0, 10)).map((r) => [r.seq, r.messageId])).toEqual([
          [1, 'early'],
          [2, 'after'],
        ]);
      });
      it('moves a log of one row per message into batches, keeping seqs, dedupe and head', async () => {
        const where = stores.postgres as { url: string; schema: string };
        const schema = `${where.schema}_old`;
        const pool = new pg.Pool({ connectionString: where.url, max: 2 });
        try {
          // The log as it was before log migration 3.
          await migratePostgres(pool, schema, { component: 'state', migrations: STATE_MIGRATIONS });
          await migratePostgres(pool, schema, { component: 'log', migrations: LOG_MIGRATIONS.slice(0, 2) });
          await pool.query(
            `INSERT INTO ${quoteIdent(schema)}.ingest_log (message_id, source, received_at, body)
             SELECT 'old-' || n, 'web', '2024-03-01T10:00:00Z', '{"n":' || n || '}' FROM generate_series(1, 5) n`,
          );
          // An append that rolled back took seq 6: it is never given again.
          await pool.query(`SELECT nextval('${quoteIdent(schema)}.ingest_log_seq_seq')`);
          await pool.query(`DELETE FROM ${quoteIdent(schema)}.ingest_log WHERE message_id = 'old-2'`);
          const store = await PostgresStateStore.open(where.url, { schema, pool });
          try {
            expect((await store.log.read(0, 10)).map((r) => [r.seq, r.messageId, r.json])).toEqual([
              [1, 'old-1', '{"n":1}'],
              [3, 'old-3', '{"n":3}'],
              [4, 'old-4', '{"n":4}'],
              [5, 'old-5', '{"n":5}'],
            ]);
            expect(await store.log.headSeq()).toBe(6);
            expect(await store.log.append(request(['old-3', 'new-1']))).toEqual({
              appended: 1,
              duplicates: 1,
            });
            expect((await store.log.read(5, 10)).map((r) => [r.seq, r.messageId])).toEqual([[7, 'new-1']]);
            const left = await pool.query(`SELECT to_regclass($1) AS t`, [
              `${quoteIdent(schema)}.ingest_log`,
            ]);
            expect(left.rows[0].t).toBeNull();
          } finally {
            await store.close();
          }
        } finally {
          await pool.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
          await pool.end();
        }
      });
    });
  });
}
