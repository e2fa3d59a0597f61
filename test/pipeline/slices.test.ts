// The slice cache lets the warehouse and segments steps reuse what the profiles step read,
// parsed and resolved. What it must never change: the owners it hands on are exactly what a
// lookup in the identity table answers right after the slice commits, and a warehouse fed
// from it stores exactly the rows a warehouse reading the log would.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePayload, type SegmentMessage } from '../../src/events/index.ts';
import { DEFAULT_IDENTITY_CONFIG } from '../../src/identity/index.ts';
import { runProfilesStep, runWarehouseStep, WAREHOUSE_PROCESSOR } from '../../src/pipeline/index.ts';
import { SliceCache } from '../../src/pipeline/slices.ts';
import { lookupOwners } from '../../src/pipeline/steps.ts';
import type { LogRecord, StateStore } from '../../src/store/index.ts';
import { DuckDbEventStore, SqliteStateStore, sqlitePathsIn } from '../../src/store/index.ts';

const record = (seq: number): LogRecord => ({
  seq,
  messageId: `m${seq}`,
  source: 'test',
  receivedAt: '2026-01-01T00:00:00.000Z',
  json: '{}',
});

function slice(after: number, seqs: number[]) {
  return {
    after,
    records: seqs.map(record),
    messages: seqs.map((seq) => ({ messageId: `m${seq}` }) as SegmentMessage),
    owners: seqs.map((seq) => `p${seq}`),
  };
}

describe('SliceCache', () => {
  it('joins consecutive slices up to the limit, stops at upTo, and misses unknown offsets', () => {
    const cache = new SliceCache(['a']);
    cache.put(slice(0, [1, 2]));
    cache.put(slice(2, [3, 5]));
    cache.put(slice(5, [6]));
    expect(cache.run('a', 0, 10, 99)?.records.map((r) => r.seq)).toEqual([1, 2, 3, 5, 6]);
    expect(cache.run('a', 0, 3, 99)?.records.map((r) => r.seq)).toEqual([1, 2]);
    // The first slice is whole even past the limit: a step always makes progress.
    expect(cache.run('a', 0, 1, 99)?.records.map((r) => r.seq)).toEqual([1, 2]);
    expect(cache.run('a', 0, 10, 3)?.owners).toEqual(['p1', 'p2', 'p3']);
    expect(cache.run('a', 2, 10, 2)).toBeUndefined();
    expect(cache.run('a', 1, 10, 99)).toBeUndefined();
  });

  it('drops a slice once every consumer has read past it, and the oldest beyond its bound', () => {
    const cache = new SliceCache(['a', 'b'], 5);
    cache.put(slice(0, [1, 2]));
    cache.put(slice(2, [3, 4]));
    cache.run('a', 2, 10, 99);
    expect(cache.size).toBe(4); // b has not read yet
    cache.run('b', 4, 10, 99);
    expect(cache.size).toBe(2); // both past 2, neither past 4
    cache.put(slice(4, [5, 6]));
    cache.put(slice(6, [7, 8]));
    expect(cache.size).toBe(4);
    cache.put(slice(8, [9, 10]));
    expect(cache.size).toBeLessThanOrEqual(5);
    expect(cache.run('a', 8, 10, 99)?.records.map((r) => r.seq)).toEqual([9, 10]);
  });
});

describe('SliceCache.holding', () => {
  it('holds the profiles step while the cache is full and consumers take from it, not once they stall', () => {
    let now = 0;
    const cache = new SliceCache(['a'], 4, 1_000, () => now);
    cache.put(slice(0, [1, 2]));
    expect(cache.holding()).toBe(false); // room left
    cache.put(slice(2, [3, 4]));
    cache.run('a', 0, 2, 99);
    expect(cache.holding()).toBe(true); // full, and a consumer is taking slices
    now = 999;
    expect(cache.holding()).toBe(true);
    now = 1_000;
    expect(cache.holding()).toBe(false); // the consumer stalled: resolution goes on
    cache.run('a', 2, 2, 99);
    expect(cache.holding()).toBe(false); // it moved past the first slice: room again
  });
});

// People whose messages link identifiers in every order: merges within and across slices.
const people = Array.from({ length: 4 }, (_, p) => ({
  userId: `user-${p}`,
  email: `person${p}@example.com`,
  anonymousIds: [`anon-${p}-a`, `anon-${p}-b`],
}));

const messageArb = fc
  .record({
    person: fc.integer({ min: 0, max: people.length - 1 }),
    anon: fc.integer({ min: 0, max: 1 }),
    kind: fc.constantFrom('track-anon', 'track-user', 'identify-both', 'identify-email', 'alias'),
    second: fc.integer({ min: 0, max: 5_000 }),
  })
  .map(({ person, anon, kind, second }) => {
    const who = people[person] as (typeof people)[number];
    const anonymousId = who.anonymousIds[anon] as string;
    const timestamp = new Date(Date.UTC(2026, 0, 1) + second * 1000).toISOString();
    if (kind === 'track-anon') return { type: 'track', anonymousId, event: 'Viewed', timestamp };
    if (kind === 'track-user') return { type: 'track', userId: who.userId, event: 'Bought', timestamp };
    if (kind === 'identify-both') return { type: 'identify', userId: who.userId, anonymousId, timestamp };
    if (kind === 'identify-email')
      return { type: 'identify', anonymousId, traits: { email: who.email }, timestamp };
    return { type: 'alias', userId: who.userId, previousId: anonymousId, timestamp };
  });

function normalise(raw: object[]): SegmentMessage[] {
  let id = 0;
  const parsed = parsePayload({ batch: raw }, 'batch', {
    receivedAt: new Date('2026-06-01T00:00:00Z'),
    newMessageId: () => `m-${String(id++).padStart(5, '0')}`,
  });
  return parsed.accepted.map((accepted) => accepted.message);
}

/**
 * The stored rows with each profile followed to the survivor of its merges: events are tagged
 * with the profile their identifiers pointed at when they were copied, which a merge after
 * that moment leaves behind; readers follow merges, so that is the invariant to compare.
 */
async function rows(state: StateStore, events: DuckDbEventStore) {
  const stored = await events.query(
    'SELECT seq, message_id, profile_id, type, name FROM events ORDER BY seq',
  );
  for (const row of stored) {
    let profile = await state.getProfile(String(row.profile_id));
    while (profile?.mergedInto) profile = await state.getProfile(profile.mergedInto);
    row.profile_id = profile?.profileId ?? row.profile_id;
  }
  return stored;
}

describe('the slice cache in the pipeline', () => {
  it('hands on the owners a lookup would give, and the warehouse stores the same rows', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(messageArb, { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 9 }),
        async (raw, batchSize, warehouseBatch) => {
          const messages = normalise(raw);
          const dir = mkdtempSync(join(tmpdir(), 'rapport-slices-'));
          const state: StateStore = new SqliteStateStore(sqlitePathsIn(dir));
          const cachedEvents = await DuckDbEventStore.open(':memory:');
          const readEvents = await DuckDbEventStore.open(':memory:');
          try {
            await state.log.append(
              messages.map((m) => ({
                messageId: m.messageId,
                source: 'test',
                receivedAt: m.receivedAt,
                json: JSON.stringify(m),
              })),
            );
            const slices = new SliceCache([WAREHOUSE_PROCESSOR]);
            const options = { batchSize, identity: DEFAULT_IDENTITY_CONFIG, slices };
            let offset = 0;
            while ((await runProfilesStep(state, options)) > 0) {
              const run = slices.run('check', offset, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
              if (!run) throw new Error(`no cached slice after ${offset}`);
              expect(run.owners).toEqual(await lookupOwners(state, run.messages, options));
              offset = (run.records.at(-1) as LogRecord).seq;
              // The warehouse may read a different batch size: it joins or falls back to the log.
              await runWarehouseStep(state, cachedEvents, { ...options, batchSize: warehouseBatch });
              await runWarehouseStep(state, readEvents, {
                batchSize: warehouseBatch,
                identity: DEFAULT_IDENTITY_CONFIG,
              });
            }
            while (
              (await runWarehouseStep(state, cachedEvents, { ...options, batchSize: warehouseBatch })) > 0
            ) {}
            while (
              (await runWarehouseStep(state, readEvents, {
                batchSize: warehouseBatch,
                identity: DEFAULT_IDENTITY_CONFIG,
              })) > 0
            ) {}
            expect(await rows(state, cachedEvents)).toEqual(await rows(state, readEvents));
            expect(await cachedEvents.countEvents()).toBe(messages.length);
          } finally {
            await cachedEvents.close();
            await readEvents.close();
            await state.close();
            rmSync(dir, { recursive: true, force: true });
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
