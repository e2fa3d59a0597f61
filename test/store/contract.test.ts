// One contract over every storage pair (DESIGN.md: "One contract suite over every adapter").
// Where an engine legitimately answers differently the expectation is spelled out per engine.
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EVENT_INSERT_ROWS } from '../../src/store/postgres/events.ts';
import { advisoryLockParams, tablesIn } from '../../src/store/postgres/sql.ts';
import type {
  ConsentState,
  ErasureJob,
  IdentityRow,
  LogEntry,
  MergeRecord,
  ProfileChanges,
  ProfileRow,
  ProfileSearch,
  StoredEvent,
} from '../../src/store/types.ts';
import { ENGINES, type OpenedStores } from './engines.ts';

const T0 = Date.parse('2024-03-01T10:00:00.000Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

function logEntry(id: string, extra: Partial<LogEntry> = {}): LogEntry {
  return {
    messageId: id,
    source: 'web',
    receivedAt: at(0),
    json: JSON.stringify({ type: 'track', messageId: id }),
    ...extra,
  };
}

function profile(profileId: string, extra: Partial<ProfileRow> = {}): ProfileRow {
  return {
    profileId,
    createdAt: at(0),
    firstSeen: at(0),
    lastSeen: at(1),
    eventCount: 1,
    traits: {},
    groups: {},
    consent: {},
    mergedInto: null,
    ...extra,
  };
}

function identity(kind: string, value: string, profileId: string, firstSeen = at(0)): IdentityRow {
  return { kind, value, profileId, firstSeen };
}

function merge(winnerId: string, loserId: string, extra: Partial<MergeRecord> = {}): MergeRecord {
  return {
    at: at(5),
    outcome: 'merged',
    winnerId,
    loserId,
    messageId: `m-${winnerId}-${loserId}`,
    reason: 'alias',
    ...extra,
  };
}

function event(seq: number, extra: Partial<StoredEvent> = {}): StoredEvent {
  const messageId = extra.messageId ?? `e-${seq}`;
  return {
    seq,
    messageId,
    profileId: 'p1',
    type: 'track',
    name: 'Viewed',
    userId: 'u1',
    anonymousId: null,
    timestamp: at(seq),
    receivedAt: at(seq),
    properties: { seq },
    message: { type: 'track', messageId, event: 'Viewed' },
    ...extra,
  };
}

const seqsOf = (rows: { seq: number }[]) => rows.map((row) => row.seq);

for (const engine of ENGINES) {
  const title = engine.skipReason ? `${engine.name} (${engine.skipReason})` : engine.name;
  const isPostgres = engine.kind === 'postgres';

  describe.skipIf(engine.skipReason !== '')(title, () => {
    let stores: OpenedStores;
    beforeEach(async () => {
      stores = await engine.open();
    });
    afterEach(async () => {
      await stores.close();
    });

    describe('ingest log', () => {
      it('starts empty', async () => {
        const { log } = stores.state;
        expect(await log.headSeq()).toBe(0);
        expect(await log.countEntries()).toBe(0);
        expect(await log.read(0, 10)).toEqual([]);
        expect(await log.countDeadLetters()).toBe(0);
      });

      it('appends in order and reads back every field', async () => {
        const { log } = stores.state;
        const entries = ['a', 'b', 'c'].map((id, i) =>
          logEntry(id, { receivedAt: at(i), source: `src-${i}`, json: JSON.stringify({ id, ü: '🎉' }) }),
        );
        expect(await log.append(entries)).toEqual({ appended: 3, duplicates: 0 });
        const rows = await log.read(0, 10);
        expect(rows).toEqual(entries.map((entry, i) => ({ ...entry, seq: i + 1 })));
        expect(await log.read(1, 1)).toEqual([{ ...entries[1], seq: 2 }]);
        expect(await log.read(3, 10)).toEqual([]);
      });

      it('reads every entry but sends the JSON only of those containing the needle', async () => {
        const { log } = stores.state;
        const bodies = [
          { type: 'track', event: 'Bought', ü: '🎉' },
          { type: 'page', name: 'Home' },
          { type: 'identify', traits: { note: 'type:track' } },
          { type: 'track', event: 'Viewed' },
        ];
        const entries = bodies.map((body, i) =>
          logEntry(`e${i}`, { receivedAt: at(i), json: JSON.stringify(body) }),
        );
        await log.append(entries);
        const rows = await log.readContaining(0, 10, '"type":"track"');
        expect(rows).toEqual(
          entries.map((entry, i) => ({ ...entry, seq: i + 1, json: i === 0 || i === 3 ? entry.json : null })),
        );
        expect((await log.readContaining(1, 2, '"type":"track"')).map((r) => [r.seq, r.json])).toEqual([
          [2, null],
          [3, null],
        ]);
      });

      it('drops a messageId repeated within one call and across calls', async () => {
        const { log } = stores.state;
        const first = await log.append([logEntry('a'), logEntry('b'), logEntry('a', { source: 'other' })]);
        expect(first).toEqual({ appended: 2, duplicates: 1 });
        const second = await log.append([logEntry('b'), logEntry('c')]);
        expect(second).toEqual({ appended: 1, duplicates: 1 });
        const rows = await log.read(0, 10);
        expect(rows.map((row) => row.messageId)).toEqual(['a', 'b', 'c']);
        expect(rows[0]?.source).toBe('web');
        // seq only has to increase: both engines may leave holes where duplicates were dropped.
        expect(isIncreasing(seqsOf(rows))).toBe(true);
        expect(await log.headSeq()).toBe(rows[2]?.seq);
        expect(await log.countEntries()).toBe(3);
      });

      it('stores dead letters in the same call, newest first, paged by id', async () => {
        const { log } = stores.state;
        const dead = [1, 2, 3].map((i) => ({
          receivedAt: at(i),
          source: 'web',
          code: 'RAPPORT_INGEST_INVALID',
          field: `batch[${i}].type`,
          reason: 'unknown type',
          body: JSON.stringify({ i, text: 'naïve ✓' }),
        }));
        expect(await log.append([logEntry('ok')], dead)).toEqual({ appended: 1, duplicates: 0 });
        expect(await log.countDeadLetters()).toBe(3);
        const listed = await log.listDeadLetters({ limit: 2 });
        expect(listed.map(({ id, ...rest }) => rest)).toEqual([dead[2], dead[1]]);
        const ids = listed.map((row) => row.id);
        expect(ids[0]).toBeGreaterThan(ids[1] ?? Number.POSITIVE_INFINITY);
        const next = await log.listDeadLetters({ limit: 2, beforeId: ids[1] });
        expect(next.map(({ id, ...rest }) => rest)).toEqual([dead[0]]);
      });

      it('counts dead letters per UTC day within a range, end excluded', async () => {
        const { log } = stores.state;
        const dead = (receivedAt: string) => ({
          receivedAt,
          source: 'web',
          code: 'X',
          field: 'f',
          reason: 'r',
          body: '{}',
        });
        await log.append(
          [],
          [
            dead('2026-03-01T23:59:59.999Z'),
            dead('2026-03-02T00:00:00.000Z'),
            dead('2026-03-02T17:30:00.000Z'),
            dead('2026-03-04T08:00:00.000Z'),
          ],
        );
        expect(
          await log.countDeadLettersByDay('2026-03-02T00:00:00.000Z', '2026-03-04T00:00:00.000Z'),
        ).toEqual({
          '2026-03-02': 2,
        });
        expect(
          await log.countDeadLettersByDay('2026-03-01T00:00:00.000Z', '2026-03-05T00:00:00.000Z'),
        ).toEqual({
          '2026-03-01': 1,
          '2026-03-02': 2,
          '2026-03-04': 1,
        });
        expect(
          await log.countDeadLettersByDay('2020-01-01T00:00:00.000Z', '2020-01-02T00:00:00.000Z'),
        ).toEqual({});
      });

      it('keeps dead letters when every entry is a duplicate, and accepts dead letters alone', async () => {
        const { log } = stores.state;
        await log.append([logEntry('a')]);
        const dead = { receivedAt: at(0), source: 'web', code: 'X', field: 'f', reason: 'r', body: '{}' };
        expect(await log.append([logEntry('a')], [dead])).toEqual({ appended: 0, duplicates: 1 });
        expect(await log.append([], [dead])).toEqual({ appended: 0, duplicates: 0 });
        expect(await log.countDeadLetters()).toBe(2);
        expect(await log.countEntries()).toBe(1);
      });

      it('keeps the serialised body byte for byte, escapes included', async () => {
        const { log } = stores.state;
        const json = JSON.stringify({ nul: 'a\u0000b', quote: '"\\', emoji: '👍🏽', cjk: '顧客' });
        await log.append([logEntry('a', { json })]);
        expect((await log.read(0, 1))[0]?.json).toBe(json);
      });

      it('normalises receivedAt to ISO UTC on PostgreSQL and keeps the text on SQLite', async () => {
        const { log } = stores.state;
        await log.append([logEntry('a', { receivedAt: '2024-03-01T12:00:00+02:00' })]);
        const [row] = await log.read(0, 1);
        expect(row?.receivedAt).toBe(isPostgres ? '2024-03-01T10:00:00.000Z' : '2024-03-01T12:00:00+02:00');
      });

      it('appends a batch larger than one INSERT in order', async () => {
        const { log } = stores.state;
        const entries = Array.from({ length: 4500 }, (_, i) => logEntry(`bulk-${i}`));
        expect(await log.append(entries)).toEqual({ appended: 4500, duplicates: 0 });
        const rows = await log.read(0, 10_000);
        expect(rows.map((row) => row.messageId)).toEqual(entries.map((entry) => entry.messageId));
        expect(seqsOf(rows)).toEqual(entries.map((_, i) => i + 1));
      });

      it('never lets a reader skip an entry while two writers append concurrently', async () => {
        const peer = await stores.openPeerState();
        const writers = [stores.state.log, peer.log];
        let writing = true;
        const appends = Promise.all(
          Array.from({ length: 60 }, (_, batch) =>
            writers[batch % 2]!.append(Array.from({ length: 20 }, (_, i) => logEntry(`w${batch}-${i}`))),
          ),
        ).finally(() => {
          writing = false;
        });
        const seen = await follow(stores.state.log, () => writing);
        const results = await appends;
        expect(results.every((result) => result.appended === 20)).toBe(true);
        const all = await stores.state.log.read(0, 10_000);
        expect(all).toHaveLength(1200);
        // Everything the follower passed over must have been visible when it passed: a row that
        // committed later below its offset would be in `all` but missing from `seen`.
        expect(seen).toEqual(seqsOf(all));
        expect(new Set(all.map((row) => row.messageId)).size).toBe(1200);
      });

      it.runIf(isPostgres)('makes a later appender wait for an earlier uncommitted one', async () => {
        // Deterministic form of the race the append lock prevents: appender A has drawn its seq
        // but not committed (it waits on a row a raw transaction holds); appender B starts
        // after. A reader polling now must not be able to move past A's seq.
        const where = stores.postgres!;
        const table = tablesIn(where.schema).logMessageIds;
        const raw = new pg.Client({ connectionString: where.url });
        const watcher = new pg.Client({ connectionString: where.url });
        await raw.connect();
        await watcher.connect();
        try {
          await raw.query('BEGIN');
          const { rows } = await raw.query<{ xid: string }>('SELECT txid_current()::text AS xid');
          await raw.query(`INSERT INTO ${table} (message_id) VALUES ('blocker')`);
          const peer = await stores.openPeerState();
          const appendA = stores.state.log.append([logEntry('a'), logEntry('blocker')]);
          await waitUntil(() => waitsOnTransaction(watcher, rows[0]!.xid));
          let bDone = false;
          const appendB = peer.log.append([logEntry('b')]).finally(() => {
            bDone = true;
          });
          await waitUntil(async () => bDone || (await waitsOnAppendLock(watcher, where.schema)));
          const midway = await stores.state.log.read(0, 100);
          const offset = midway.at(-1)?.seq ?? 0;
          await raw.query('ROLLBACK');
          expect(await appendA).toEqual({ appended: 2, duplicates: 0 });
          expect(await appendB).toEqual({ appended: 1, duplicates: 0 });
          const final = await stores.state.log.read(0, 100);
          expect(final.map((row) => row.messageId)).toEqual(['a', 'blocker', 'b']);
          // Everything at or below the reader's offset was already visible when it read.
          expect(final.filter((row) => row.seq <= offset)).toEqual(midway);
        } finally {
          await raw.end();
          await watcher.end();
        }
      });
    });

    describe('processor lock', () => {
      it('starts at offset 0 and commits the offset with the writes', async () => {
        const { state } = stores;
        expect(await state.getOffset('profiles')).toBe(0);
        const result = await state.withProcessorLock('profiles', async (tx, offset) => {
          expect(offset).toBe(0);
          await tx.write({
            profiles: [profile('p1')],
            identities: [identity('user_id', 'u1', 'p1')],
            merges: [],
          });
          // The transaction reads its own writes.
          expect(await tx.loadProfiles(['p1'])).toEqual([profile('p1')]);
          await tx.setOffset(7);
          return 'done';
        });
        expect(result).toBe('done');
        expect(await state.getOffset('profiles')).toBe(7);
        expect(await state.getOffset('other')).toBe(0);
        expect(await state.getProfile('p1')).toEqual(profile('p1'));
        expect(await state.withProcessorLock('profiles', async (_tx, offset) => offset)).toBe(7);
      });

      it('rolls back the offset and the writes when the work throws', async () => {
        const { state } = stores;
        await state.withProcessorLock('profiles', async (tx) => tx.setOffset(3));
        const failing = state.withProcessorLock('profiles', async (tx) => {
          await tx.write({
            profiles: [profile('p1')],
            identities: [identity('user_id', 'u1', 'p1')],
            merges: [],
          });
          await tx.setOffset(9);
          throw new Error('processor crashed');
        });
        await expect(failing).rejects.toThrow('processor crashed');
        expect(await state.getOffset('profiles')).toBe(3);
        expect(await state.getProfile('p1')).toBeUndefined();
        expect(await state.findIdentities([{ kind: 'user_id', value: 'u1' }])).toEqual([]);
        // And the store is still usable.
        expect(await state.withProcessorLock('profiles', async (_tx, offset) => offset)).toBe(3);
      });

      it('refuses a second lock on the same store while the first is held', async () => {
        const { state } = stores;
        const gate = deferred();
        const inside = deferred();
        const first = state.withProcessorLock('profiles', async (tx) => {
          inside.resolve();
          await gate.promise;
          await tx.setOffset(5);
          return 'first';
        });
        await inside.promise;
        let ran = false;
        const second = state.withProcessorLock('profiles', async () => {
          ran = true;
          return 'second';
        });
        // SQLite has one connection per store and refuses to nest; PostgreSQL skips the locked row.
        if (isPostgres) await expect(second).resolves.toBeUndefined();
        else await expect(second).rejects.toThrow(/already open/);
        expect(ran).toBe(false);
        gate.resolve();
        expect(await first).toBe('first');
        expect(await state.getOffset('profiles')).toBe(5);
      });

      it.runIf(isPostgres)(
        "skips a processor another process holds, then takes it once it's free",
        async () => {
          const { state } = stores;
          const peer = await stores.openPeerState();
          const gate = deferred();
          const inside = deferred();
          const first = state.withProcessorLock('profiles', async (tx) => {
            // The row is updated before the peer tries: it must still skip, not wait.
            await tx.setOffset(5);
            inside.resolve();
            await gate.promise;
            return 'first';
          });
          await inside.promise;
          let ran = false;
          const skipped = await peer.withProcessorLock('profiles', async () => {
            ran = true;
            return 'peer';
          });
          expect(skipped).toBeUndefined();
          expect(ran).toBe(false);
          // Another processor's lock is independent.
          expect(await peer.withProcessorLock('warehouse', async (_tx, offset) => offset)).toBe(0);
          gate.resolve();
          expect(await first).toBe('first');
          expect(await peer.withProcessorLock('profiles', async (_tx, offset) => offset)).toBe(5);
        },
      );
    });

    describe('profiles, identities, merges', () => {
      async function write(changes: Partial<ProfileChanges>) {
        await stores.state.withProcessorLock('profiles', (tx) =>
          tx.write({ profiles: [], identities: [], merges: [], ...changes }),
        );
      }

      it('round-trips a profile with unicode and nested traits and groups', async () => {
        const traits = {
          name: { value: 'Zoë 顧客 🎉', at: at(1), source: 'crm', messageId: 'm1' },
          address: {
            value: { city: 'Zürich', lines: ['1 Main St', null], geo: { lat: 47.37, lng: 8.54 } },
            at: at(2),
            source: 'web',
            messageId: 'm2',
          },
          vip: { value: true, at: at(3), source: 'web', messageId: 'm3' },
          spend: { value: 1234.5, at: at(3), source: 'web', messageId: 'm3' },
          big: { value: Number.MAX_SAFE_INTEGER, at: at(3), source: 'web', messageId: 'm3' },
          empty: { value: '', at: at(3), source: 'web', messageId: 'm3' },
        };
        const groups = { g1: { groupId: 'g1', traits: { plan: 'pro', seats: 12 }, at: at(4) } };
        const row = profile('p-ü', { traits, groups, eventCount: 42, firstSeen: at(-10), lastSeen: at(10) });
        await write({ profiles: [row] });
        expect(await stores.state.getProfile('p-ü')).toEqual(row);
        expect(await stores.state.getProfile('missing')).toBeUndefined();
      });

      it('replaces U+0000 in traits on PostgreSQL and keeps it on SQLite', async () => {
        const traits = { 'k\u0000': { value: 'a\u0000b', at: at(1), source: 'web', messageId: 'm1' } };
        await write({ profiles: [profile('p1', { traits })] });
        const stored = await stores.state.getProfile('p1');
        expect(stored?.traits).toEqual(
          isPostgres
            ? { 'k\uFFFD': { value: 'a\uFFFDb', at: at(1), source: 'web', messageId: 'm1' } }
            : traits,
        );
      });

      it('updates a profile but keeps its createdAt; the last change in a batch wins', async () => {
        await write({ profiles: [profile('p1')] });
        const later = profile('p1', {
          createdAt: at(50),
          lastSeen: at(60),
          eventCount: 5,
          traits: { plan: { value: 'pro', at: at(60), source: 'web', messageId: 'm9' } },
          mergedInto: 'p2',
        });
        const latest = { ...later, eventCount: 6 };
        await write({ profiles: [later, profile('p2'), latest] });
        expect(await stores.state.getProfile('p1')).toEqual({ ...latest, createdAt: at(0) });
        expect(await stores.state.countProfiles()).toBe(1);
      });

      it('re-points an identity on upsert and keeps when it was first seen', async () => {
        await write({
          identities: [identity('user_id', 'u1', 'p1', at(1)), identity('email', 'a@x.io', 'p1', at(1))],
        });
        await write({ identities: [identity('user_id', 'u1', 'p2', at(9))] });
        const keys = [
          { kind: 'email', value: 'a@x.io' },
          { kind: 'user_id', value: 'nobody' },
          { kind: 'user_id', value: 'u1' },
        ];
        expect(await stores.state.findIdentities(keys)).toEqual([
          identity('email', 'a@x.io', 'p1', at(1)),
          identity('user_id', 'u1', 'p2', at(1)),
        ]);
        expect(await stores.state.identitiesOfProfiles(['p2'])).toEqual([
          identity('user_id', 'u1', 'p2', at(1)),
        ]);
        expect(await stores.state.identitiesOfProfiles(['p1'])).toEqual([
          identity('email', 'a@x.io', 'p1', at(1)),
        ]);
      });

      it('collapses an identity repeated in one batch: first firstSeen, last profile', async () => {
        await write({
          identities: [identity('user_id', 'u1', 'p1', at(1)), identity('user_id', 'u1', 'p2', at(2))],
        });
        expect(await stores.state.findIdentities([{ kind: 'user_id', value: 'u1' }])).toEqual([
          identity('user_id', 'u1', 'p2', at(1)),
        ]);
      });

      it('lists a profile identities in byte order of kind, then value', async () => {
        const rows = [
          identity('user_id', 'b', 'p1'),
          identity('user_id', 'B', 'p1'),
          identity('email', 'z@x.io', 'p1'),
          identity('anonymous_id', 'a', 'p1'),
          identity('user_id', 'other', 'p9'),
        ];
        await write({ identities: rows });
        const listed = await stores.state.identitiesOfProfiles(['p1', 'p1', 'absent']);
        expect(listed.map((row) => `${row.kind}:${row.value}`)).toEqual([
          'anonymous_id:a',
          'email:z@x.io',
          'user_id:B',
          'user_id:b',
        ]);
        expect(await stores.state.identitiesOfProfiles([])).toEqual([]);
        expect(await stores.state.findIdentities([])).toEqual([]);
      });

      it('reads merges where a profile won or lost, oldest first', async () => {
        const first = merge('A', 'B');
        const refused = merge('C', 'A', { outcome: 'refused', reason: 'two user ids' });
        const other = merge('D', 'E');
        await write({ merges: [first, refused] });
        await write({ merges: [other] });
        const ofA = await stores.state.mergesOf(['A']);
        expect(ofA.map(({ id, ...rest }) => rest)).toEqual([first, refused]);
        expect(ofA[0]!.id).toBeLessThan(ofA[1]!.id);
        const ofLosers = await stores.state.mergesOf(['B', 'E']);
        expect(ofLosers.map(({ id, ...rest }) => rest)).toEqual([first, other]);
        expect(await stores.state.mergesOf(['nobody'])).toEqual([]);
      });

      it('counts live profiles as merges land in later batches', async () => {
        await write({ profiles: [profile('a'), profile('b'), profile('c')] });
        expect(await stores.state.countProfiles()).toBe(3);
        await write({ profiles: [profile('b', { mergedInto: 'a' })] });
        expect(await stores.state.countProfiles()).toBe(2);
        await write({ profiles: [profile('c', { mergedInto: 'a' }), profile('d')] });
        expect(await stores.state.countProfiles()).toBe(2);
      });

      it('writes thousands of changes in one transaction and counts live profiles', async () => {
        const profiles = Array.from({ length: 4500 }, (_, i) =>
          profile(`p${i}`, { mergedInto: i % 10 === 0 ? 'p1' : null }),
        );
        const identities = profiles.flatMap((p) => [
          identity('user_id', `u-${p.profileId}`, p.profileId),
          identity('anonymous_id', `a-${p.profileId}`, p.profileId),
        ]);
        await write({ profiles, identities });
        expect(await stores.state.countProfiles()).toBe(4050);
        const keys = identities.slice(0, 3000).map(({ kind, value }) => ({ kind, value }));
        expect(await stores.state.findIdentities(keys)).toEqual(identities.slice(0, 3000));
        const loaded = await stores.state.withProcessorLock('profiles', (tx) =>
          tx.loadProfiles(profiles.map((p) => p.profileId)),
        );
        expect(loaded).toHaveLength(4500);
      });
    });

    describe('credentials', () => {
      const credential = (id: string, kind: 'write' | 'admin', minutes: number) => ({
        id,
        kind,
        name: `key ${id} ✓`,
        createdAt: at(minutes),
        revokedAt: null,
      });

      it('adds, finds by hash, lists and revokes', async () => {
        const { state } = stores;
        await state.addCredential(credential('w1', 'write', 1), 'hash-w1');
        await state.addCredential(credential('a1', 'admin', 2), 'hash-a1');
        await state.addCredential(credential('w2', 'write', 3), 'hash-w2');
        expect(await state.findCredentialByHash('hash-a1')).toEqual(credential('a1', 'admin', 2));
        expect(await state.findCredentialByHash('nope')).toBeUndefined();
        expect((await state.listCredentials()).map((c) => c.id)).toEqual(['w1', 'a1', 'w2']);
        expect((await state.listCredentials('write')).map((c) => c.id)).toEqual(['w1', 'w2']);
        expect(await state.revokeCredential('w1', at(9))).toBe(true);
        expect(await state.revokeCredential('w1', at(10))).toBe(false);
        expect(await state.revokeCredential('ghost', at(10))).toBe(false);
        expect(await state.findCredentialByHash('hash-w1')).toEqual({
          ...credential('w1', 'write', 1),
          revokedAt: at(9),
        });
      });

      it('refuses a second credential with the same secret hash', async () => {
        const { state } = stores;
        await state.addCredential(credential('w1', 'write', 1), 'same-hash');
        await expect(state.addCredential(credential('w2', 'write', 2), 'same-hash')).rejects.toThrow();
        expect(await state.listCredentials()).toHaveLength(1);
      });
    });

    describe('consent, computed properties, search, erasure', () => {
      async function write(changes: Partial<ProfileChanges>) {
        await stores.state.withProcessorLock('profiles', (tx) =>
          tx.write({ profiles: [], identities: [], merges: [], ...changes }),
        );
      }
      const decision = (state: ConsentState, minutes: number, messageId = `c${minutes}`) => ({
        state,
        at: at(minutes),
        source: 'web',
        messageId,
      });

      it('round-trips current consent on the profile and appends the history in order', async () => {
        const consent = { email: decision('denied', 2), analytics: decision('granted', 1) };
        await write({
          profiles: [profile('p1', { consent })],
          consentHistory: [
            { profileId: 'p1', purpose: 'analytics', ...decision('granted', 1) },
            { profileId: 'p1', purpose: 'email', ...decision('granted', 1, 'old') },
            { profileId: 'p1', purpose: 'email', ...decision('denied', 2) },
          ],
        });
        await write({ consentHistory: [{ profileId: 'p2', purpose: 'sms', ...decision('unknown', 3) }] });
        expect((await stores.state.getProfile('p1'))?.consent).toEqual(consent);
        const history = await stores.state.consentHistoryOf(['p1', 'p2']);
        expect(history.map(({ id, ...rest }) => `${rest.profileId}:${rest.purpose}:${rest.state}`)).toEqual([
          'p1:analytics:granted',
          'p1:email:granted',
          'p1:email:denied',
          'p2:sms:unknown',
        ]);
        expect(history[2]).toMatchObject({ at: at(2), source: 'web', messageId: 'c2' });
        expect(isIncreasing(history.map((row) => row.id))).toBe(true);
        expect(await stores.state.consentHistoryOf([])).toEqual([]);
      });

      it('finds profiles by consent state, with every profile merged into them', async () => {
        await write({
          profiles: [
            profile('denier', { consent: { analytics: decision('denied', 1) } }),
            profile('loser', { mergedInto: 'denier' }),
            profile('loser-of-loser', { mergedInto: 'loser' }),
            profile('granter', { consent: { analytics: decision('granted', 1) } }),
            profile('silent'),
            profile('merged-denier', {
              mergedInto: 'granter',
              consent: { analytics: decision('denied', 1) },
            }),
          ],
        });
        expect(await stores.state.profilesByConsent('analytics', 'denied')).toEqual([
          'denier',
          'loser',
          'loser-of-loser',
        ]);
        expect(await stores.state.profilesByConsent('analytics', 'granted')).toEqual([
          'granter',
          'merged-denier',
        ]);
        expect(await stores.state.profilesByConsent('analytics', 'unknown')).toEqual(['silent']);
        expect(await stores.state.profilesByConsent('email', 'denied')).toEqual([]);
      });

      it('upserts computed properties by profile and name, any JSON value', async () => {
        const { state } = stores;
        await state.setComputedProperties([
          { profileId: 'p1', name: 'clv', value: 120.5, computedAt: at(1) },
          { profileId: 'p1', name: 'stage', value: 'active', computedAt: at(1) },
          { profileId: 'p2', name: 'scores', value: { value: 3, parts: [1, 'ü'] }, computedAt: at(1) },
        ]);
        await state.setComputedProperties([{ profileId: 'p1', name: 'clv', value: 99, computedAt: at(2) }]);
        expect(await state.computedPropertiesOf(['p1', 'p2', 'p3'])).toEqual([
          { profileId: 'p1', name: 'clv', value: 99, computedAt: at(2) },
          { profileId: 'p1', name: 'stage', value: 'active', computedAt: at(1) },
          { profileId: 'p2', name: 'scores', value: { value: 3, parts: [1, 'ü'] }, computedAt: at(1) },
        ]);
        expect(await state.computedPropertiesOf([])).toEqual([]);
      });

      it('aggregates a numeric computed property over live profiles only, in SQL', async () => {
        const { state } = stores;
        // p1..p6 live, p7 merged into p1; p5 has a text value, p6 none.
        await write({
          profiles: [
            ...['p1', 'p2', 'p3', 'p4', 'p5', 'p6'].map((id) => profile(id)),
            profile('p7', { mergedInto: 'p1' }),
          ],
        });
        const clv = (profileId: string, value: unknown) => ({
          profileId,
          name: 'clv',
          value,
          computedAt: at(1),
        });
        await state.setComputedProperties([
          clv('p1', 0),
          clv('p2', 2.5),
          clv('p3', 10),
          clv('p4', 1000),
          clv('p5', 'n/a'),
          clv('p7', 5000),
          { profileId: 'p1', name: 'p_alive', value: 0.9, computedAt: at(1) },
          { profileId: 'p3', name: 'p_alive', value: 0.2, computedAt: at(1) },
          { profileId: 'p4', name: 'p_alive', value: 1, computedAt: at(1) },
          { profileId: 'p5', name: 'p_alive', value: 0.5, computedAt: at(1) },
        ]);
        expect(await state.numericPropertySummary('clv')).toEqual({
          profiles: 6,
          count: 4,
          mean: (0 + 2.5 + 10 + 1000) / 4,
          min: 0,
          max: 1000,
          minPositive: 2.5,
        });
        expect(await state.numericPropertySummary('nothing')).toEqual({
          profiles: 6,
          count: 0,
          mean: null,
          min: null,
          max: null,
          minPositive: null,
        });
        expect(await state.numericPropertyAtPositions('clv', [0, 1, 3, 4, 1])).toEqual(
          new Map([
            [0, 0],
            [1, 2.5],
            [3, 1000],
          ]),
        );
        // [0, 1) [1, 10) [10, 1000]: the top edge belongs to the last bin; 5000 (merged away) is not counted.
        expect(await state.numericPropertyHistogram('clv', [0, 1, 10, 1000])).toEqual([1, 1, 2]);
        expect(await state.numericPropertyHistogram('clv', [1, 1000])).toEqual([3]);
        expect(await state.numericPropertyHistogram('clv', [2.5, 5])).toEqual([1]);
        // By clv: p1 0, p2 2.5, p3 10, p4 1000 (p5's is text, p7 merged away); every 2nd → p1, p3.
        expect(await state.numericPropertyPairSample('clv', 'p_alive', 2)).toEqual({
          total: 4,
          points: [
            { profileId: 'p1', x: 0, y: 0.9 },
            { profileId: 'p3', x: 10, y: 0.2 },
          ],
        });
        // Everyone: p2 has no p_alive, so it is left out of the points.
        expect(await state.numericPropertyPairSample('clv', 'p_alive', 10)).toEqual({
          total: 4,
          points: [
            { profileId: 'p1', x: 0, y: 0.9 },
            { profileId: 'p3', x: 10, y: 0.2 },
            { profileId: 'p4', x: 1000, y: 1 },
          ],
        });
        // Ties in x go by profile id.
        await state.setComputedProperties([
          clv('p3', 0),
          { profileId: 'p2', name: 'p_alive', value: 0.4, computedAt: at(1) },
        ]);
        expect(
          (await state.numericPropertyPairSample('clv', 'p_alive', 10)).points.map((p) => p.profileId),
        ).toEqual(['p1', 'p3', 'p2', 'p4']);
        expect(await state.numericPropertyPairSample('nothing', 'p_alive', 10)).toEqual({
          total: 0,
          points: [],
        });
      });

      it('counts a numeric computed property below many thresholds in one pass', async () => {
        const { state } = stores;
        await write({
          profiles: [
            ...['p1', 'p2', 'p3', 'p4', 'p5'].map((id) => profile(id)),
            profile('p7', { mergedInto: 'p1' }),
          ],
        });
        const clv = (profileId: string, value: unknown) => ({
          profileId,
          name: 'clv',
          value,
          computedAt: at(1),
        });
        await state.setComputedProperties([
          clv('p1', 0),
          clv('p2', 2.5),
          clv('p3', 10),
          clv('p4', 10),
          clv('p5', 'n/a'),
          clv('p7', -5),
        ]);
        // Strictly below; thresholds in any order and repeated; p7 (merged away) and p5's text never count.
        expect(await state.numericPropertyCountsBelow('clv', [10, -1, 0, 2.5, 1e9, 10, 3])).toEqual([
          2, 0, 0, 1, 4, 2, 2,
        ]);
        expect(await state.numericPropertyCountsBelow('clv', [])).toEqual([]);
        expect(await state.numericPropertyCountsBelow('nothing', [1, 2])).toEqual([0, 0]);
      });

      it('keeps a report’s points in order, replaces and deletes them by prefix, and erasure removes a person’s', async () => {
        const { state } = stores;
        await write({ profiles: ['p1', 'p2', 'p3'].map((id) => profile(id)) });
        const points = [
          { profileId: 'p2', x: 0.5, y: 1 },
          { profileId: 'p1', x: 2, y: 0.25 },
          { profileId: 'p3', x: 1e6, y: 0 },
        ];
        expect(await state.loadReportPoints('value.scatter.3')).toEqual([]);
        await state.saveReportPoints('value.scatter.3', [{ profileId: 'p3', x: 9, y: 9 }]);
        await state.saveReportPoints('value.scatter.3', points);
        await state.saveReportPoints('value.scatter.1', [points[0]!]);
        await state.saveReport({ name: 'value.scatter.3', body: { total: 3 }, savedAt: at(1) });
        await state.saveReport({ name: 'value.refresh', body: { ok: true }, savedAt: at(1) });
        expect(await state.loadReportPoints('value.scatter.3')).toEqual(points);
        // Erasure deletes from every table with a profile_id column, report points included.
        await state.eraseProfiles(['p1']);
        expect(await state.loadReportPoints('value.scatter.3')).toEqual([points[0], points[2]]);
        // A prefix is a prefix, not a pattern.
        await state.deleteReports('value.scatter%');
        expect(await state.loadReport('value.scatter.3')).toBeDefined();
        await state.deleteReports('value.scatter.');
        expect(await state.loadReport('value.scatter.3')).toBeUndefined();
        expect(await state.loadReportPoints('value.scatter.3')).toEqual([]);
        expect(await state.loadReportPoints('value.scatter.1')).toEqual([]);
        expect(await state.loadReport('value.refresh')).toBeDefined();
      });

      it('keeps a named report, replacing it on save', async () => {
        const { state } = stores;
        expect(await state.loadReport('value.validation')).toBeUndefined();
        await state.saveReport({
          name: 'value.validation',
          body: { deciles: [1, 2], ok: true },
          savedAt: at(1),
        });
        await state.saveReport({
          name: 'value.validation',
          body: { deciles: [3], ok: false },
          savedAt: at(2),
        });
        expect(await state.loadReport('value.validation')).toEqual({
          name: 'value.validation',
          body: { deciles: [3], ok: false },
          savedAt: at(2),
        });
      });

      it('searches live profiles by ids, trait text, last seen, with a profile id cursor', async () => {
        const trait = (value: unknown) => ({ value, at: at(1), source: 'web', messageId: 'm' });
        await write({
          profiles: [
            profile('a', {
              traits: { plan: trait('pro'), seats: trait(12), vip: trait(true) },
              lastSeen: at(10),
            }),
            profile('b', { traits: { plan: trait('pro'), seats: trait('12') }, lastSeen: at(20) }),
            profile('c', { traits: { plan: trait('free') }, lastSeen: at(30) }),
            profile('d', { traits: { plan: trait('pro') }, mergedInto: 'a' }),
          ],
        });
        const ids = async (search: Partial<ProfileSearch>) =>
          (await stores.state.searchProfiles({ limit: 10, ...search })).map((row) => row.profileId);
        expect(await ids({})).toEqual(['a', 'b', 'c']);
        expect(await ids({ traits: { plan: 'pro' } })).toEqual(['a', 'b']);
        expect(await ids({ traits: { seats: '12' } })).toEqual(['a', 'b']);
        expect(await ids({ traits: { vip: 'true', plan: 'pro' } })).toEqual(['a']);
        expect(await ids({ traits: { plan: 'nope' } })).toEqual([]);
        expect(await ids({ lastSeenAfter: at(10) })).toEqual(['b', 'c']);
        expect(await ids({ lastSeenBefore: at(30) })).toEqual(['a', 'b']);
        expect(await ids({ profileIds: ['c', 'd'] })).toEqual(['c']);
        expect(await ids({ profileIds: [] })).toEqual([]);
        expect(await ids({ afterId: 'a', limit: 1 })).toEqual(['b']);
        // `containing`: some trait value holds the text, case aside (the search index), with
        // the other conditions; merged-away profiles never.
        expect(await ids({ containing: 'PRO' })).toEqual(['a', 'b']);
        expect(await ids({ containing: 'fr' })).toEqual(['c']);
        expect(await ids({ containing: 'ro', traits: { seats: '12' } })).toEqual(['a', 'b']);
        expect(await ids({ containing: 'pro', traits: { vip: 'true' } })).toEqual(['a']);
        expect(await ids({ containing: 'pro12' })).toEqual([]);
        expect(await ids({ containing: 'pro\n12' })).toEqual([]);
        const [first] = await stores.state.searchProfiles({ limit: 1 });
        expect(first?.traits.plan?.value).toBe('pro');
      });

      it('keeps suppressions by hash, ignores repeats, and counts drops on the job', async () => {
        const { state } = stores;
        const job: ErasureJob = {
          id: 'job-1',
          status: 'running',
          steps: [{ name: 'suppress', status: 'pending', doneAt: null, count: 0 }],
          requestedAt: at(1),
          updatedAt: at(1),
          completedAt: null,
          suppressedCount: 0,
          error: null,
          work: { profileIds: ['p1'], identities: [{ kind: 'user_id', value: 'u1' }], logHead: null },
        };
        await state.saveErasureJob(job);
        const row = { kind: 'user_id', valueHash: 'h1', erasedAt: at(2), jobId: 'job-1' };
        await state.addSuppressions([row, { ...row, kind: 'profile_id' }]);
        await state.addSuppressions([{ ...row, jobId: 'job-2' }]);
        expect(await state.listSuppressions()).toEqual([{ ...row, kind: 'profile_id' }, row]);
        expect(await state.findSuppression('user_id', 'h1')).toEqual(row);
        expect(await state.findSuppression('email', 'h1')).toBeUndefined();
        await state.addSuppressedCount('job-1', 2);
        await state.addSuppressedCount('job-1', 3);
        expect(await state.getErasureJob('job-1')).toEqual({ ...job, suppressedCount: 5 });
        expect(await state.listUnfinishedErasureJobs()).toHaveLength(1);
        // Saving the job again keeps the count ingest added.
        const done = { ...job, status: 'complete' as const, completedAt: at(3), work: null };
        await state.saveErasureJob(done);
        expect(await state.getErasureJob('job-1')).toEqual({ ...done, suppressedCount: 5 });
        expect(await state.listUnfinishedErasureJobs()).toEqual([]);
        expect(await state.getErasureJob('nope')).toBeUndefined();
      });

      it('erases profiles with everything held under their ids, and nothing of anyone else', async () => {
        const { state } = stores;
        await write({
          profiles: [profile('gone'), profile('gone-loser', { mergedInto: 'gone' }), profile('kept')],
          identities: [identity('user_id', 'u-gone', 'gone'), identity('user_id', 'u-kept', 'kept')],
          merges: [merge('gone', 'gone-loser'), merge('kept', 'other')],
          consentHistory: [
            { profileId: 'gone', purpose: 'email', ...decision('granted', 1) },
            { profileId: 'kept', purpose: 'email', ...decision('granted', 1) },
          ],
        });
        await state.setComputedProperties([
          { profileId: 'gone', name: 'clv', value: 1, computedAt: at(1) },
          { profileId: 'kept', name: 'clv', value: 2, computedAt: at(1) },
        ]);
        expect(await state.eraseProfiles(['gone', 'gone-loser'])).toBe(6);
        expect(await state.getProfile('gone')).toBeUndefined();
        expect(await state.getProfile('gone-loser')).toBeUndefined();
        expect(await state.identitiesOfProfiles(['gone'])).toEqual([]);
        expect(await state.mergesOf(['gone', 'gone-loser'])).toEqual([]);
        expect(await state.consentHistoryOf(['gone'])).toEqual([]);
        expect(await state.computedPropertiesOf(['gone'])).toEqual([]);
        expect(await state.getProfile('kept')).toEqual(profile('kept'));
        expect(await state.identitiesOfProfiles(['kept'])).toHaveLength(1);
        expect(await state.mergesOf(['kept'])).toHaveLength(1);
        expect(await state.consentHistoryOf(['kept'])).toHaveLength(1);
        expect(await state.computedPropertiesOf(['kept'])).toHaveLength(1);
        expect(await state.eraseProfiles(['gone'])).toBe(0);
      });

      it('lists every processor offset it keeps', async () => {
        const { state } = stores;
        expect(await state.listProcessorOffsets()).toEqual({});
        await state.withProcessorLock('profiles', (tx) => tx.setOffset(7));
        await state.withProcessorLock('realtime', (tx) => tx.setOffset(3));
        expect(await state.listProcessorOffsets()).toEqual({ profiles: 7, realtime: 3 });
      });

      it('deletes log entries by seq and dead letters by id', async () => {
        const { log } = stores.state;
        const dead = { receivedAt: at(0), source: 'web', code: 'X', field: 'f', reason: 'r', body: '{}' };
        await log.append([logEntry('a'), logEntry('b'), logEntry('c')], [dead, dead]);
        const [, b] = await log.read(0, 10);
        expect(await log.deleteEntries([b!.seq, 999])).toBe(1);
        expect((await log.read(0, 10)).map((row) => row.messageId)).toEqual(['a', 'c']);
        const [newest] = await log.listDeadLetters({ limit: 1 });
        expect(await log.deleteDeadLetters([newest!.id])).toBe(1);
        expect(await log.countDeadLetters()).toBe(1);
        expect(await log.deleteEntries([])).toBe(0);
        expect(await log.deleteDeadLetters([])).toBe(0);
      });
    });

    describe('event store', () => {
      it('starts empty at offset 0', async () => {
        expect(await stores.events.getOffset('warehouse')).toBe(0);
        expect(await stores.events.countEvents()).toBe(0);
        expect(await stores.events.eventsOf({ profileIds: ['p1'], limit: 10 })).toEqual([]);
        expect(await stores.events.eventsOf({ profileIds: [], limit: 10 })).toEqual([]);
      });

      it('appends events with the offset and reads every field back', async () => {
        const { events } = stores;
        const stored = [
          event(1),
          event(2, {
            type: 'identify',
            name: null,
            userId: null,
            anonymousId: 'anon-1',
            properties: {},
            message: { type: 'identify', traits: { name: 'Zoë', nested: { list: [1, 'two', null] } } },
          }),
        ];
        await events.appendWithOffset('warehouse', stored, 2);
        expect(await events.getOffset('warehouse')).toBe(2);
        expect(await events.countEvents()).toBe(2);
        expect(await events.eventsOf({ profileIds: ['p1'], limit: 10 })).toEqual([stored[1], stored[0]]);
        await events.appendWithOffset('warehouse', [], 5);
        expect(await events.getOffset('warehouse')).toBe(5);
      });

      it("stores an event's message from its serialised text and the properties it shares with it", async () => {
        const { events } = stores;
        // As the warehouse step builds them: the properties are the message's own object and
        // the message comes with the log's text (PostgreSQL takes both from that text).
        const message = {
          type: 'track',
          messageId: 'shared',
          event: 'Viewed',
          properties: { sku: 'A—1', n: 2 },
        };
        const shared = event(1, {
          messageId: 'shared',
          properties: message.properties,
          message,
          messageJson: JSON.stringify(message),
        });
        // Properties of their own (the message has none): stored as given.
        const own = event(2, { properties: { seq: 2 }, message: { type: 'track', messageId: 'e-2' } });
        await events.appendWithOffset('warehouse', [shared, own], 2);
        const read = await events.eventsOf({ profileIds: ['p1'], limit: 10 });
        expect(read.map((e) => [e.properties, e.message])).toEqual([
          [{ seq: 2 }, own.message],
          [{ sku: 'A—1', n: 2 }, message],
        ]);
      });

      it('keeps the event offsets apart from the state store offsets', async () => {
        await stores.events.appendWithOffset('shared-name', [event(1)], 11);
        await stores.state.withProcessorLock('shared-name', (tx) => tx.setOffset(22));
        expect(await stores.events.getOffset('shared-name')).toBe(11);
        expect(await stores.state.getOffset('shared-name')).toBe(22);
      });

      it('leaves events and offset unchanged when an append fails midway', async () => {
        const { events } = stores;
        await events.appendWithOffset('warehouse', [event(1)], 1);
        // More than one PostgreSQL INSERT's worth, with the bad row in the second one, so the
        // first part is already written when the failure comes.
        const batch = Array.from({ length: EVENT_INSERT_ROWS + 10 }, (_, i) => event(i + 2));
        batch[EVENT_INSERT_ROWS + 5] = event(EVENT_INSERT_ROWS + 7, { timestamp: 'not a timestamp' });
        await expect(events.appendWithOffset('warehouse', batch, 999)).rejects.toThrow();
        expect(await events.getOffset('warehouse')).toBe(1);
        expect(await events.countEvents()).toBe(1);
        // And the store still takes the next good batch.
        await events.appendWithOffset('warehouse', [event(2)], 2);
        expect(await events.countEvents()).toBe(2);
        expect(await events.getOffset('warehouse')).toBe(2);
      });

      it('filters by type, name and time range', async () => {
        const { events } = stores;
        await events.appendWithOffset(
          'warehouse',
          [
            event(1, { name: 'Viewed' }),
            event(2, { name: 'Bought' }),
            event(3, { type: 'page', name: 'Home' }),
            event(4, { name: 'Viewed' }),
            event(5, { profileId: 'p2', name: 'Viewed' }),
          ],
          5,
        );
        const query = { profileIds: ['p1'], limit: 100 };
        expect(seqsOf(await events.eventsOf({ ...query, type: 'track' }))).toEqual([4, 2, 1]);
        expect(seqsOf(await events.eventsOf({ ...query, name: 'Viewed' }))).toEqual([4, 1]);
        expect(seqsOf(await events.eventsOf({ ...query, type: 'page', name: 'Home' }))).toEqual([3]);
        // from is inclusive, to exclusive.
        expect(seqsOf(await events.eventsOf({ ...query, from: at(2), to: at(4) }))).toEqual([3, 2]);
        expect(seqsOf(await events.eventsOf({ ...query, limit: 2 }))).toEqual([4, 3]);
        expect(
          seqsOf(await events.eventsOf({ profileIds: ['p1', 'p2'], limit: 100, name: 'Viewed' })),
        ).toEqual([5, 4, 1]);
      });

      it('pages with the cursor through equal timestamps, every event exactly once', async () => {
        const { events } = stores;
        // Timestamps repeat (three events per minute) so the seq tiebreak is exercised.
        const all = Array.from({ length: 25 }, (_, i) =>
          event(i + 1, { timestamp: at(Math.floor(i / 3)), profileId: i % 2 === 0 ? 'p1' : 'p2' }),
        );
        await events.appendWithOffset('warehouse', all.slice(0, 12), 12);
        await events.appendWithOffset('warehouse', all.slice(12), 25);
        const pages: number[][] = [];
        let before: { timestamp: string; seq: number } | undefined;
        for (;;) {
          const page = await events.eventsOf({
            profileIds: ['p1', 'p2'],
            limit: 4,
            ...(before ? { before } : {}),
          });
          if (page.length === 0) break;
          pages.push(seqsOf(page));
          const last = page[page.length - 1]!;
          before = { timestamp: last.timestamp, seq: last.seq };
        }
        const expected = [...all]
          .sort((a, b) => b.timestamp.localeCompare(a.timestamp) || b.seq - a.seq)
          .map((e) => e.seq);
        expect(pages.flat()).toEqual(expected);
        expect(pages.every((page) => page.length <= 4)).toBe(true);
        expect(pages).toHaveLength(7);
      });

      it('stores timestamps given with a UTC offset as the same instant', async () => {
        const { events } = stores;
        await events.appendWithOffset(
          'warehouse',
          [
            event(1, {
              timestamp: '2024-03-01T12:00:00.000+02:00',
              receivedAt: '2024-03-01T05:00:00.000-05:00',
            }),
          ],
          1,
        );
        const [stored] = await events.eventsOf({ profileIds: ['p1'], limit: 1 });
        expect(stored?.timestamp).toBe('2024-03-01T10:00:00.000Z');
        expect(stored?.receivedAt).toBe('2024-03-01T10:00:00.000Z');
        const around = { profileIds: ['p1'], limit: 10 };
        expect(await events.eventsOf({ ...around, from: '2024-03-01T11:00:00.000+01:00' })).toHaveLength(1);
        expect(await events.eventsOf({ ...around, from: '2024-03-01T11:00:00.001+01:00' })).toHaveLength(0);
        expect(await events.eventsOf({ ...around, to: '2024-03-01T10:00:00.001Z' })).toHaveLength(1);
        expect(await events.eventsOf({ ...around, to: '2024-03-01T10:00:00.000Z' })).toHaveLength(0);
      });

      it('deletes every event of the given profiles and no other', async () => {
        const { events } = stores;
        await events.appendWithOffset(
          'warehouse',
          [event(1), event(2, { profileId: 'p2' }), event(3, { profileId: 'p3' }), event(4)],
          4,
        );
        expect(await events.deleteEventsOf(['p1', 'p3'])).toBe(3);
        expect(await events.countEvents()).toBe(1);
        expect(seqsOf(await events.eventsOf({ profileIds: ['p1', 'p2', 'p3'], limit: 10 }))).toEqual([2]);
        expect(await events.deleteEventsOf([])).toBe(0);
        expect(await events.getOffset('warehouse')).toBe(4);
      });

      it('counts stored copies per messageId', async () => {
        const { events } = stores;
        await events.appendWithOffset(
          'warehouse',
          [event(1, { messageId: 'a' }), event(2, { messageId: 'b' })],
          2,
        );
        await events.appendWithOffset('warehouse', [event(3, { messageId: 'a' })], 3);
        const counts = await events.countByMessageId(['a', 'b', 'missing']);
        expect(Object.fromEntries(counts)).toEqual({ a: 2, b: 1 });
        expect((await events.countByMessageId([])).size).toBe(0);
      });

      it('answers read-only analytics queries with plain numbers and ISO timestamps', async () => {
        const { events } = stores;
        await events.appendWithOffset(
          'warehouse',
          [
            event(1, { name: 'Viewed', properties: { price: 2.5 } }),
            event(2, { name: 'Bought', properties: { price: 10 } }),
            event(3, { name: 'Viewed', properties: { price: 4 } }),
          ],
          3,
        );
        const rows = await events.query(
          `SELECT name, count(*) AS n, max(timestamp) AS last FROM events WHERE seq >= $1 GROUP BY name ORDER BY name`,
          [1],
        );
        expect(rows).toEqual([
          { name: 'Bought', n: 1, last: at(2) },
          { name: 'Viewed', n: 2, last: at(3) },
        ]);
        await expect(events.query('DELETE FROM events')).rejects.toThrow();
        expect(await events.countEvents()).toBe(3);
      });

      it('skips events at or below the stored offset and never moves it back', async () => {
        const { events } = stores;
        await events.appendWithOffset('warehouse', [event(1), event(2)], 2);
        // A replay of the same slice adds nothing.
        await events.appendWithOffset('warehouse', [event(1), event(2)], 2);
        // An older offset is ignored, events and all.
        await events.appendWithOffset('warehouse', [event(1)], 1);
        expect(await events.countEvents()).toBe(2);
        expect(await events.getOffset('warehouse')).toBe(2);
        // An overlapping slice stores only what lies beyond the offset.
        await events.appendWithOffset('warehouse', [event(2), event(3), event(4)], 4);
        expect(seqsOf(await events.eventsOf({ profileIds: ['p1'], limit: 10 }))).toEqual([4, 3, 2, 1]);
        expect(await events.getOffset('warehouse')).toBe(4);
        // Offsets are per processor.
        await events.appendWithOffset('other', [event(1, { messageId: 'other-1' })], 1);
        expect(await events.countEvents()).toBe(5);
      });

      it.runIf(isPostgres)('stores a slice once when two processes append it at the same time', async () => {
        const peer = await stores.openPeerEvents!();
        const slices = [1, 2, 3].map((n) =>
          Array.from({ length: 50 }, (_, i) => event((n - 1) * 50 + i + 1)),
        );
        // Each worker goes through the slices in order; the two race on every slice.
        for (const slice of slices) {
          const offset = slice.at(-1)!.seq;
          await Promise.all([
            stores.events.appendWithOffset('warehouse', slice, offset),
            peer.appendWithOffset('warehouse', slice, offset),
          ]);
        }
        expect(await stores.events.countEvents()).toBe(150);
        const counts = await stores.events.countByMessageId(slices.flat().map((e) => e.messageId));
        expect([...counts.values()].every((n) => n === 1)).toBe(true);
        expect(await stores.events.getOffset('warehouse')).toBe(150);
      });
    });
  });
}

/** Polls a condition on the database (not a clock): the test timeout bounds it. */
async function waitUntil(condition: () => Promise<boolean> | boolean): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 5));
}

async function waitsOnTransaction(watcher: pg.Client, xid: string): Promise<boolean> {
  const { rows } = await watcher.query(
    "SELECT 1 FROM pg_locks WHERE locktype = 'transactionid' AND NOT granted AND transactionid::text = $1",
    [xid],
  );
  return rows.length > 0;
}

async function waitsOnAppendLock(watcher: pg.Client, schema: string): Promise<boolean> {
  const [lockClass, name] = advisoryLockParams(`${schema}:ingest_log`);
  const { rows } = await watcher.query(
    `SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
       AND classid::bigint = $1 AND objid::bigint = (hashtext($2)::bigint & 4294967295)`,
    [lockClass, name],
  );
  return rows.length > 0;
}

/** Reads the log like a processor, from its own offset, until the writers are done. */
async function follow(log: OpenedStores['state']['log'], writing: () => boolean): Promise<number[]> {
  const seen: number[] = [];
  let offset = 0;
  for (;;) {
    // Sampled before the read, so the last, empty read happens after every append resolved.
    const stillWriting = writing();
    const rows = await log.read(offset, 50);
    for (const row of rows) seen.push(row.seq);
    const last = rows[rows.length - 1];
    if (last) offset = last.seq;
    else if (!stillWriting) return seen;
    else await new Promise((resolve) => setImmediate(resolve));
  }
}

function isIncreasing(numbers: number[]): boolean {
  return numbers.every((n, i) => i === 0 || n > (numbers[i - 1] ?? Number.POSITIVE_INFINITY));
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}
