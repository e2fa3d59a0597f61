// GET /api/attribution/portfolio on both engines: a year of weekly spend (imported) and orders
// (sent as events) drawn from planted response curves; the fitted curves and the plan are
// checked against what was planted.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { steadyResponse } from '../../src/attribution/index.ts';
import { TestClock } from '../../src/pipeline/index.ts';
import { simulateMarketingMix } from '../../src/simulate/marketing-mix.ts';
import { createTestDatabase } from '../support/postgres-database.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';

const clusterUrl = inject('postgresUrl');
const ENGINES = [
  { name: 'embedded (SQLite + DuckDB)', postgres: false, enabled: true },
  { name: `PostgreSQL ${inject('postgresSkipReason')}`, postgres: true, enabled: Boolean(clusterUrl) },
];

const DAY = 86_400_000;
const START = Date.parse('2025-03-03T00:00:00Z');
const WEEKS = 52;
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const RANGE = `from=${dayOf(START)}&to=${dayOf(START + (WEEKS * 7 - 1) * DAY)}`;
const PLANTED = [
  { name: 'search', decay: 0.2, beta: 900, kappa: 400, meanSpend: 500 },
  { name: 'social', decay: 0.5, beta: 600, kappa: 500, meanSpend: 300 },
];
const history = simulateMarketingMix({ weeks: WEEKS, channels: PLANTED, baseline: 2000, noise: 30, seed: 9 });

for (const engine of ENGINES)
  describe.skipIf(!engine.enabled)(`the budget portfolio on ${engine.name}`, () => {
    let server: TestServer;
    let dropDatabase: (() => Promise<void>) | undefined;

    beforeAll(async () => {
      let databaseUrl: string | undefined;
      if (engine.postgres) {
        const database = await createTestDatabase(clusterUrl);
        dropDatabase = database.drop;
        databaseUrl = database.url;
      }
      server = await startTestServer(databaseUrl ? { databaseUrl } : {}, {
        clock: new TestClock(new Date(START + WEEKS * 7 * DAY)),
      });
      const rows = PLANTED.flatMap((channel) =>
        history.spend[channel.name]!.map((amount, week) => ({
          day: dayOf(START + week * 7 * DAY + (week % 7) * DAY),
          channel: channel.name,
          amount,
        })),
      );
      const imported = await server.adminRequest('POST', '/api/attribution/spend', { currency: 'EUR', rows });
      expect(imported.body).toMatchObject({ imported: rows.length, rejected: [] });
      // Each week's revenue as two orders (the second without revenue: it counts 0).
      const batch = history.outcome.flatMap((revenue, week) => [
        {
          type: 'track',
          userId: `buyer-${week}`,
          event: 'Order Completed',
          properties: { revenue },
          timestamp: new Date(START + week * 7 * DAY + 3 * DAY).toISOString(),
        },
        {
          type: 'track',
          userId: `buyer-${week}`,
          event: 'Order Completed',
          properties: {},
          timestamp: new Date(START + week * 7 * DAY + 4 * DAY).toISOString(),
        },
      ]);
      expect((await track(server, '/v1/batch', { batch })).status).toBe(200);
      await server.settle();
    }, 120_000);

    afterAll(async () => {
      await server?.close();
      await dropDatabase?.();
    }, 120_000);

    it('fits the planted curves and splits the budget by them', async () => {
      const { status, body } = await server.admin(`/api/attribution/portfolio?${RANGE}`);
      expect(status).toBe(200);
      expect(body).toMatchObject({ weeks: WEEKS, currency: 'EUR' });
      expect(body.rSquared).toBeGreaterThan(0.8);
      for (const planted of PLANTED) {
        const curve = body.curves.find((entry: { channel: string }) => entry.channel === planted.name);
        const truth = steadyResponse(planted, planted.meanSpend);
        expect(Math.abs(steadyResponse(curve, planted.meanSpend) - truth) / truth).toBeLessThan(0.15);
        expect(curve.points).toHaveLength(21);
        expect(curve.points[0]).toMatchObject({ spend: 0, revenue: 0 });
      }
      const plan = body.plan;
      const current = PLANTED.map(
        (channel) => history.spend[channel.name]!.slice(WEEKS - 4).reduce((sum, x) => sum + x, 0) / 4,
      );
      expect(plan.budget).toBeCloseTo(current[0]! + current[1]!, 6);
      const suggested = plan.channels.reduce(
        (sum: number, row: { suggestedSpend: number }) => sum + row.suggestedSpend,
        0,
      );
      expect(suggested).toBeCloseTo(plan.budget, 3);
      expect(plan.gainInterval[0]).toBeLessThanOrEqual(plan.expectedGain);
      expect(body.query).toContain('FROM events');
      const budget = await server.admin(`/api/attribution/portfolio?${RANGE}&budget=1000`);
      expect(budget.body.plan.budget).toBe(1000);
    });

    it('says when the history is too short to fit', async () => {
      const short = await server.admin(
        `/api/attribution/portfolio?from=${dayOf(START)}&to=${dayOf(START + 69 * DAY)}`,
      );
      expect(short.status).toBe(400);
      expect(short.body.message).toContain('too few to fit 2 channels');
    });
  });
