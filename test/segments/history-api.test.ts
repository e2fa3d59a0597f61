// GET /api/segments/:id/history and the list's trend, against a real server with real storage
// on both engines: people enter a segment through events on two days, its time window ends
// for them on later days (the test clock moves), and the size at the end of each UTC day,
// with who joined and left that day, is what the API answers. Bad parameters and a missing
// admin token are refused.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { TestClock } from '../../src/pipeline/index.ts';
import { openSegmentStore, type SegmentStore } from '../../src/store/index.ts';
import { createTestDatabase } from '../support/postgres-database.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';
import { settleSegments } from './settle.ts';

const DAY = 86_400_000;
const T0 = new Date('2026-03-10T12:00:00.000Z');
const at = (days: number) => new Date(T0.getTime() + days * DAY).toISOString();

const clusterUrl = inject('postgresUrl');
const ENGINES = [
  { name: 'embedded (SQLite + DuckDB)', postgres: false, enabled: true },
  { name: `PostgreSQL ${inject('postgresSkipReason')}`, postgres: true, enabled: Boolean(clusterUrl) },
];

for (const engine of ENGINES)
  describe.skipIf(!engine.enabled)(`segment membership over time on ${engine.name}`, () => {
    let server: TestServer;
    let store: SegmentStore;
    let dropDatabase: (() => Promise<void>) | undefined;
    const clock = new TestClock(T0);

    const settle = () => settleSegments(server, store, clock);

    async function order(userId: string, days: number) {
      clock.set(new Date(at(days)));
      const response = await track(server, '/v1/batch', {
        batch: [{ type: 'track', userId, event: 'Order Completed', timestamp: at(days) }],
      });
      expect(response.status).toBe(200);
      await settle();
    }

    beforeAll(async () => {
      let databaseUrl: string | undefined;
      if (engine.postgres) {
        const database = await createTestDatabase(clusterUrl);
        dropDatabase = database.drop;
        databaseUrl = database.url;
      }
      server = await startTestServer(databaseUrl ? { databaseUrl } : {}, { clock });
      store = await openSegmentStore({ databaseUrl, dataDir: server.dataDir });
    }, 120_000);

    afterAll(async () => {
      await store?.close();
      await server?.close();
      await dropDatabase?.();
    }, 120_000);

    it('answers the size at the end of each UTC day with who joined and left', async () => {
      const created = await server.adminRequest('POST', '/api/segments', {
        id: 'recent',
        text: 'performed "Order Completed" in last 2 days',
      });
      expect(created.status).toBe(201);
      await settle();
      // Two people buy on 10 March, one on 11 March; each drops out two days after buying.
      await order('ann', 0);
      await order('bob', 0);
      await order('cat', 1);
      clock.set(new Date(at(4)));
      await settle();

      const { status, body } = await server.admin('/api/segments/recent/history?days=5');
      expect(status).toBe(200);
      expect(body).toEqual({
        segmentId: 'recent',
        points: [
          { day: '2026-03-10', size: 2, joined: 2, left: 0 },
          { day: '2026-03-11', size: 3, joined: 1, left: 0 },
          { day: '2026-03-12', size: 1, joined: 0, left: 2 },
          { day: '2026-03-13', size: 0, joined: 0, left: 1 },
          { day: '2026-03-14', size: 0, joined: 0, left: 0 },
        ],
      });
      // The default window is 30 days, ending today.
      const month = (await server.admin('/api/segments/recent/history')).body.points;
      expect(month).toHaveLength(30);
      expect(month.at(-1).day).toBe('2026-03-14');
      expect(month[0]).toEqual({ day: '2026-02-13', size: 0, joined: 0, left: 0 });

      // The list's trend: the same points for the last days, per segment.
      const list = await server.admin('/api/segments?trendDays=3');
      expect(list.body.segments[0].trend).toEqual(body.points.slice(2));
      expect((await server.admin('/api/segments')).body.segments[0].trend).toBeUndefined();
    });

    it('refuses bad parameters naming the field and its limit, an unknown segment and a missing token', async () => {
      const tooMany = await server.admin('/api/segments/recent/history?days=366');
      expect(tooMany.status).toBe(400);
      expect(tooMany.body.message).toMatch(/days must be <= 365/);
      const none = await server.admin('/api/segments/recent/history?days=0');
      expect(none.status).toBe(400);
      expect(none.body.message).toMatch(/days must be >= 1/);
      expect((await server.admin('/api/segments/recent/history?days=week')).body.message).toMatch(
        /days must be integer/,
      );
      expect((await server.admin('/api/segments?trendDays=91')).body.message).toMatch(
        /trendDays must be <= 90/,
      );
      expect((await server.admin('/api/segments/nope/history')).status).toBe(404);
      expect((await server.adminRequest('GET', '/api/segments/recent/history', undefined, null)).status).toBe(
        401,
      );
      expect(
        (await server.adminRequest('GET', '/api/segments/recent/history', undefined, 'rk_admin_wrong'))
          .status,
      ).toBe(401);
    });
  });
