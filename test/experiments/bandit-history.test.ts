// A placement's bandit day by day: each offer's share of the day's impressions and its chance to
// be best from the data up to that day. Pure: the running totals match banditSummary on the
// same counts. Over HTTP on both engines: planted impressions and clicks on three offers over
// four days (the best offer planted at 12% clicks against 2% and 5%) come back per day exactly
// as planted, and the planted best ends as the clear favourite.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { banditOverTime, banditSummary } from '../../src/experiments/index.ts';
import { createTestDatabase } from '../support/postgres-database.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';
import { PLANTED_DAYS, plantedEvents } from './bandit-world.ts';

describe('banditOverTime (pure)', () => {
  const daily = [
    { day: '2026-03-01', offerId: 'a', impressions: 100, clicks: 2 },
    { day: '2026-03-01', offerId: 'b', impressions: 300, clicks: 30 },
    { day: '2026-03-03', offerId: 'a', impressions: 50, clicks: 1 },
  ];
  const days = banditOverTime(['2026-03-01', '2026-03-02', '2026-03-03'], ['a', 'b', 'c'], daily);

  it('gives each day its shares, and null on a day nothing was served', () => {
    expect(days.map((d) => d.arms.map((a) => a.share))).toEqual([
      [0.25, 0.75, 0],
      [null, null, null],
      [1, 0, 0],
    ]);
    expect(days[2]!.arms[0]).toMatchObject({ impressions: 50, clicks: 1 });
  });

  it('computes each day’s chance to be best from the running totals, as banditSummary does', () => {
    const totals = [
      { id: 'a', impressions: 150, clicks: 3 },
      { id: 'b', impressions: 300, clicks: 30 },
      { id: 'c', impressions: 0, clicks: 0 },
    ];
    expect(days[2]!.arms.map((a) => a.chanceBest)).toEqual(
      banditSummary(totals, 4_000).arms.map((a) => a.chanceBest),
    );
    expect(days[1]!.arms.map((a) => a.chanceBest)).toEqual(days[0]!.arms.map((a) => a.chanceBest));
  });
});

const clusterUrl = inject('postgresUrl');
const ENGINES = [
  { name: 'embedded (SQLite + DuckDB)', postgres: false, enabled: true },
  { name: `PostgreSQL ${inject('postgresSkipReason')}`, postgres: true, enabled: Boolean(clusterUrl) },
];

for (const engine of ENGINES)
  describe.skipIf(!engine.enabled)(`GET /api/bandits/:placement/history on ${engine.name}`, () => {
    let t: TestServer;
    let dropDatabase: (() => Promise<void>) | undefined;

    beforeAll(async () => {
      if (engine.postgres) {
        const database = await createTestDatabase(clusterUrl);
        dropDatabase = database.drop;
        t = await startTestServer({ databaseUrl: database.url });
      } else {
        t = await startTestServer();
      }
      const events = plantedEvents('banner');
      for (let i = 0; i < events.length; i += 500)
        expect((await track(t, '/v1/batch', { batch: events.slice(i, i + 500) })).status).toBe(200);
      await t.settle();
    }, 240_000);

    afterAll(async () => {
      await t?.close();
      await dropDatabase?.();
    });

    it('answers each day’s impressions and clicks as planted, and the planted best as the favourite', async () => {
      const answer = await t.admin(`/api/bandits/banner/history?days=${PLANTED_DAYS + 1}`);
      expect(answer.status).toBe(200);
      expect(answer.body.days).toHaveLength(PLANTED_DAYS + 1);
      const today = answer.body.days.at(-1);
      expect(today.arms.map((a: { share: number | null }) => a.share)).toEqual([null, null, null]);
      for (const day of answer.body.days.slice(0, PLANTED_DAYS)) {
        const counts = Object.fromEntries(
          day.arms.map((a: { id: string; impressions: number; clicks: number }) => [
            a.id,
            [a.impressions, a.clicks],
          ]),
        );
        expect(counts).toEqual({ blue: [200, 4], green: [150, 8], gold: [100, 12] });
        const gold = day.arms.find((a: { id: string }) => a.id === 'gold');
        expect(gold.share).toBeCloseTo(100 / 450, 10);
      }
      const last = answer.body.days.at(-1).arms;
      const gold = last.find((a: { id: string }) => a.id === 'gold');
      expect(gold.chanceBest).toBeGreaterThan(0.9);
      const snapshot = (await t.admin(`/api/bandits/banner?days=${PLANTED_DAYS + 1}`)).body;
      expect(snapshot.leader).toBe('gold');
    });

    it('refuses a placement nobody defined or saw, and a bad range', async () => {
      const missing = await t.admin('/api/bandits/nowhere/history');
      expect(missing.status, JSON.stringify(missing.body)).toBe(404);
      const bad = await t.admin('/api/bandits/banner/history?from=2026-02-30');
      expect(bad.status).toBe(400);
      expect(bad.body.message).toContain('from');
    });
  });
