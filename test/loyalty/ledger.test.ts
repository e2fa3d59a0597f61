// The ledger's invariants on both engines, under random sequences of earnings (replayed ones
// included), redemptions (some over the balance) and adjustments: the balance is the sum of the
// entries, never negative unless allowed, a replayed event never earns twice, and a refused
// redemption leaves the ledger untouched.

import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LoyaltyStore, type NewEntry } from '../../src/loyalty/index.ts';

const postgresUrl = inject('postgresUrl');
const ENGINES = [
  { name: 'sqlite', skip: '' },
  { name: 'postgres', skip: postgresUrl ? '' : inject('postgresSkipReason') },
];

let counter = 0;
function entry(profileId: string, kind: NewEntry['kind'], points: number, key: string): NewEntry {
  counter++;
  return {
    key,
    profileId,
    kind,
    points,
    reason: kind === 'adjust' ? 'test' : null,
    sourceMessageId: kind === 'earn' ? key : null,
    ruleId: null,
    campaignId: null,
    at: new Date(Date.UTC(2025, 0, 1) + counter * 1000).toISOString(),
    expiresAt: null,
  };
}

type Op =
  | { kind: 'earn'; person: number; message: number; points: number }
  | { kind: 'redeem'; person: number; points: number }
  | { kind: 'adjust'; person: number; points: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('earn' as const),
    person: fc.nat(2),
    message: fc.nat(15),
    points: fc.integer({ min: 1, max: 50 }),
  }),
  fc.record({
    kind: fc.constant('redeem' as const),
    person: fc.nat(2),
    points: fc.integer({ min: 1, max: 80 }),
  }),
  fc.record({
    kind: fc.constant('adjust' as const),
    person: fc.nat(2),
    points: fc.integer({ min: -60, max: 60 }).filter((p) => p !== 0),
  }),
);

for (const engine of ENGINES) {
  describe.skipIf(engine.skip !== '')(`loyalty ledger on ${engine.name} ${engine.skip}`, () => {
    let dir: string;
    let schema: string;
    let store: LoyaltyStore;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'rapport-loyalty-'));
      schema = `loyalty_${randomBytes(6).toString('hex')}`;
      store = await LoyaltyStore.open(
        engine.name === 'postgres' ? { databaseUrl: postgresUrl, dataDir: dir } : { dataDir: dir },
        { schema },
      );
    });
    afterAll(async () => {
      await store?.close();
      rmSync(dir, { recursive: true, force: true });
      if (engine.name === 'postgres') {
        const client = new pg.Client({ connectionString: postgresUrl });
        await client.connect();
        await client.query(`DROP SCHEMA "${schema}" CASCADE`);
        await client.end();
      }
    });

    it('keeps balance = sum of entries, never negative, each earning once, refusals untouched', async () => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), async (ops) => {
          run++;
          const people = [0, 1, 2].map((i) => `r${run}-p${i}`);
          const model = [0, 0, 0];
          const earnedBy = new Map<string, number>();
          for (const [index, step] of ops.entries()) {
            const profileId = people[step.person]!;
            const before = await store.sumOfEntries();
            if (step.kind === 'earn') {
              // The same message earns once, whatever points a replay claims.
              const key = `earn:${run}:${step.person}:${step.message}`;
              const inserted = await store.appendCredits([entry(profileId, 'earn', step.points, key)]);
              if (!earnedBy.has(key)) {
                earnedBy.set(key, step.points);
                model[step.person]! += step.points;
                expect(inserted).toBe(1);
              } else expect(inserted).toBe(0);
            } else {
              const points = step.kind === 'redeem' ? -step.points : step.points;
              const result = await store.debit(
                entry(profileId, step.kind, points, `${step.kind}:${run}:${index}`),
              );
              const allowed = model[step.person]! + points >= 0;
              expect(result.ok).toBe(allowed);
              if (allowed) model[step.person]! += points;
              else expect(await store.sumOfEntries()).toBe(before);
            }
            const balance = await store.balance(profileId);
            expect(balance).toBe(model[step.person]);
            expect(balance).toBeGreaterThanOrEqual(0);
            const entries = await store.entries(profileId, 1000);
            expect(entries.reduce((sum, e) => sum + e.points, 0)).toBe(balance);
          }
        }),
        { numRuns: 15 },
      );
    });

    it('replays a redemption by its key without debiting twice; allows negative only when told', async () => {
      const profileId = 'replay';
      await store.appendCredits([entry(profileId, 'earn', 100, 'earn:replay:1')]);
      const redeem = entry(profileId, 'redeem', -60, 'redeem:replay:1');
      expect(await store.debit(redeem)).toEqual({ ok: true, inserted: true, balance: 40 });
      expect(await store.debit(redeem)).toEqual({ ok: true, inserted: false, balance: 40 });
      expect(await store.debit(entry(profileId, 'adjust', -50, 'adjust:replay:1'))).toEqual({
        ok: false,
        balance: 40,
      });
      expect(await store.debit(entry(profileId, 'adjust', -50, 'adjust:replay:2'), true)).toEqual({
        ok: true,
        inserted: true,
        balance: -10,
      });
      await expect(store.appendCredits([entry(profileId, 'earn', -1, 'earn:neg')])).rejects.toThrow(
        /negative/,
      );
    });

    it('serialises concurrent redemptions: together they never overdraw', async () => {
      const profileId = 'race';
      await store.appendCredits([entry(profileId, 'earn', 100, 'earn:race:1')]);
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => store.debit(entry(profileId, 'redeem', -30, `redeem:race:${i}`))),
      );
      expect(results.filter((r) => r.ok)).toHaveLength(3);
      expect(await store.balance(profileId)).toBe(10);
    });

    it('keys an entry per person: the same key for two people is two entries', async () => {
      expect(await store.appendCredits([entry('key-a', 'earn', 5, 'earn:shared:1')])).toBe(1);
      expect(await store.appendCredits([entry('key-b', 'earn', 7, 'earn:shared:1')])).toBe(1);
      expect(await store.appendCredits([entry('key-a', 'earn', 9, 'earn:shared:1')])).toBe(0);
      expect([await store.balance('key-a'), await store.balance('key-b')]).toEqual([5, 7]);
    });

    it.skipIf(engine.name !== 'postgres' || !inject('citus'))(
      'on Citus: the ledger is distributed by profile id, colocated with the profiles',
      async () => {
        const client = new pg.Client({ connectionString: postgresUrl });
        await client.connect();
        try {
          const { rows } = await client.query(
            `SELECT a.attname AS column FROM pg_dist_partition p
               JOIN pg_attribute a ON a.attrelid = p.logicalrelid AND a.attnum = (regexp_match(p.partkey, ':varattno (\\d+)'))[1]::int
              WHERE p.logicalrelid = $1::regclass AND p.partmethod = 'h'`,
            [`"${schema}".loyalty_ledger`],
          );
          expect(rows).toEqual([{ column: 'profile_id' }]);
        } finally {
          await client.end();
        }
      },
    );

    it('erases a person’s badges, challenge steps and firsts with the ledger, and exports them', async () => {
      const id = 'erase-badges-41c2';
      const at = new Date(Date.UTC(2025, 5, 1)).toISOString();
      await store.slice(async (tx) => {
        expect(await tx.addProgress(id, 'regular', 'm1', at)).toBe(true);
        expect(await tx.addProgress(id, 'regular', 'm1', at)).toBe(false);
        expect(await tx.addFirst(id, 'order', at, 'm1')).toBe(true);
        expect(await tx.award(id, 'regular', at, 'm1')).toBe(true);
        expect(await tx.award(id, 'regular', at, 'm2')).toBe(false);
      });
      expect(await store.progress(id, 'regular', null, null)).toBe(1);
      const exported = (await store.exportOf([id])) as {
        loyalty: { badges: unknown[]; progress: unknown[]; firsts: unknown[] };
      };
      expect(
        [exported.loyalty.badges, exported.loyalty.progress, exported.loyalty.firsts].map(
          (rows) => rows.length,
        ),
      ).toEqual([1, 1, 1]);
      expect(await store.eraseProfiles([id])).toBe(3);
      expect(await store.badgesOf(id)).toEqual([]);
      expect(await store.progress(id, 'regular', null, null)).toBe(0);
      expect(await store.peopleWithChallenges()).not.toContain(id);
    });

    it('erases a person’s entries, leaving no copy in the SQLite file or its write-ahead log', async () => {
      const id = 'erase-me-7d3f9a';
      await store.appendCredits([entry(id, 'earn', 5, `earn:${id}:1`)]);
      expect(await store.eraseProfiles([id])).toBe(1);
      expect(await store.entries(id)).toEqual([]);
      if (engine.name === 'sqlite') {
        for (const file of ['loyalty.sqlite', 'loyalty.sqlite-wal']) {
          const path = join(dir, file);
          if (existsSync(path)) expect(readFileSync(path).includes(id), file).toBe(false);
        }
      }
    });
  });
}
