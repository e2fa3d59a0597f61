// The histories the realtime processor records, on a real server with real storage on both
// engines, against what the events say:
//  - changes of a funnel at one instant are one change: a page view and a product view at a
//    person's first instant make them interested, with no stay in awareness of no length
//    (which the funnel report would count as a completed stay), whether the two events arrive
//    in one step of the processor or in two.
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
  describe.skipIf(!engine.enabled)(`the live histories on ${engine.name}`, () => {
    let server: TestServer;
    let store: SegmentStore;
    let dropDatabase: (() => Promise<void>) | undefined;
    const clock = new TestClock(new Date(at(5)));
    const settle = () => settleSegments(server, store, clock);

    async function send(batch: Record<string, unknown>[]) {
      expect((await track(server, '/v1/batch', { batch })).status).toBe(200);
      await settle();
    }

    async function profileOf(userId: string): Promise<string> {
      const found = await server.admin(`/api/profiles/lookup?userId=${userId}`);
      expect(found.status).toBe(200);
      return found.body.profileId as string;
    }

    async function stagesOf(userId: string) {
      const profileId = await profileOf(userId);
      return (await store.stageHistoryOf('lifecycle'))
        .filter((row) => row.profileId === profileId)
        .map(({ fromStage, toStage, at }) => ({ fromStage, toStage, at }));
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
      const funnel = await server.adminRequest('PUT', '/api/funnels/lifecycle', { preset: 'ecommerce' });
      expect(funnel.status).toBe(200);
      await settle();
    }, 120_000);

    afterAll(async () => {
      await store?.close();
      await server?.close();
      await dropDatabase?.();
    }, 120_000);

    it('folds the changes of one instant: no stay of no length, in one step or two', async () => {
      const page = (userId: string, n: number) => ({
        type: 'page',
        userId,
        name: 'Home',
        messageId: `${userId}-page-${n}`,
        timestamp: at(0),
      });
      const viewed = (userId: string) => ({
        type: 'track',
        userId,
        event: 'Product Viewed',
        messageId: `${userId}-viewed`,
        timestamp: at(0),
      });
      const ordered = (userId: string) => ({
        type: 'track',
        userId,
        event: 'Order Completed',
        messageId: `${userId}-order`,
        timestamp: at(1),
      });
      // One step: both first-instant events in one batch.
      await send([page('ann', 1), viewed('ann'), ordered('ann')]);
      // Two steps: the page view is processed (aware) before the product view of that instant.
      await send([page('bob', 1)]);
      await send([viewed('bob')]);
      await send([ordered('bob')]);
      for (const userId of ['ann', 'bob'])
        expect(await stagesOf(userId), userId).toEqual([
          { fromStage: null, toStage: 'interest', at: at(0) },
          { fromStage: 'interest', toStage: 'action', at: at(1) },
        ]);
      const report = (await server.admin('/api/funnel?funnel=lifecycle')).body;
      const awareness = report.stages.find((s: { id: string }) => s.id === 'awareness');
      expect(awareness.completedStays).toBe(0);
      const interest = report.stages.find((s: { id: string }) => s.id === 'interest');
      expect(interest.completedStays).toBe(2);
      expect(interest.medianTimeInStageMs).toBe(DAY);
    }, 120_000);
  });
