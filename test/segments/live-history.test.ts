// The histories the realtime processor records, on a real server with real storage on both
// engines, against what the events say:
//  - changes of a funnel at one instant are one change: a page view and a product view at a
//    person's first instant make them interested, with no stay in awareness of no length
//    (which the funnel report would count as a completed stay), whether the two events arrive
//    in one step of the processor or in two;
//  - a late event (older than the person's last evaluation, as an import in parallel requests
//    sends them) dates the person's segment membership history and stage history again from
//    their events: entries, a window's exit and re-entry at the instants they happened, and the
//    membership's `since`; the events Rapport already emitted keep their times.
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

    it('dates membership and stage history again from the events when a late event arrives', async () => {
      const segment = await server.adminRequest('POST', '/api/segments', {
        id: 'recent-buyers',
        text: 'performed "Order Completed" in last 2 days',
      });
      expect(segment.status).toBe(201);
      await settle();
      const order = (day: number) => ({
        type: 'track',
        userId: 'cat',
        event: 'Order Completed',
        messageId: `cat-order-${day}`,
        timestamp: at(day),
      });
      // The order of day 4 arrives first; the order of day 1 arrives after it was evaluated.
      await send([order(4)]);
      await send([order(1)]);
      const profileId = await profileOf('cat');
      const history = (await store.historyOf('recent-buyers', profileId)).map(({ change, at }) => ({
        change,
        at,
      }));
      // In truth: a buyer from day 1, out when the window ended on day 3, back on day 4.
      expect(history).toEqual([
        { change: 'entered', at: at(1) },
        { change: 'exited', at: at(3) },
        { change: 'entered', at: at(4) },
      ]);
      const members = (await server.admin('/api/segments/recent-buyers/members')).body;
      const cat = members.members.find((m: { profileId: string }) => m.profileId === profileId);
      expect(cat.since).toBe(at(4));
      // A second order: relationship, at the order that made it second.
      expect(await stagesOf('cat')).toEqual([
        { fromStage: null, toStage: 'action', at: at(1) },
        { fromStage: 'action', toStage: 'relationship', at: at(4) },
      ]);
      // The Segment Entered already emitted (at day 4, when Rapport learned of it) stands.
      const entered = await server.admin(
        `/api/profiles/${profileId}/events?name=${encodeURIComponent('Segment Entered')}`,
      );
      expect(entered.body.items.map((e: { timestamp: string }) => e.timestamp)).toEqual([at(4)]);
    }, 120_000);
  });
