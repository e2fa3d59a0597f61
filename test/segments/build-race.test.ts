// A funnel switched on while events keep arriving: the build (deriving the stages of the people
// already there) and the live path (applying the new events) must agree, whatever the
// interleaving. Each round switches a funnel on and sends new people's events in several
// requests while it builds, then checks every person's stage, old and new. The live funnel test
// once found the people from before the switch-on missing from their stage about once in a
// dozen runs (not reproduced here since; the cause was not found): this repeats the situation
// on both engines, so a build and the live path that disagree fail it.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { TestClock } from '../../src/pipeline/index.ts';
import { openSegmentStore, type SegmentStore } from '../../src/store/index.ts';
import { createTestDatabase } from '../support/postgres-database.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';
import { settleSegments } from './settle.ts';

const DAY = 86_400_000;
const T0 = new Date('2026-03-10T12:00:00.000Z');
const at = (days: number) => new Date(T0.getTime() + days * DAY).toISOString();
const ROUNDS = 5;

const clusterUrl = inject('postgresUrl');
const ENGINES = [
  { name: 'embedded (SQLite + DuckDB)', postgres: false, enabled: true },
  { name: `PostgreSQL ${inject('postgresSkipReason')}`, postgres: true, enabled: Boolean(clusterUrl) },
];

type Stage = 'interest' | 'motivation' | 'action' | 'relationship';
const STEPS: Array<{ event: string; stage: Stage }> = [
  { event: 'Product Viewed', stage: 'interest' },
  { event: 'Checkout Started', stage: 'motivation' },
  { event: 'Order Completed', stage: 'action' },
  { event: 'Order Completed', stage: 'relationship' },
];

/** A person who goes `depth` steps along the funnel, from day `day`. */
function person(userId: string, depth: number, day: number) {
  return STEPS.slice(0, depth).map((step, i) => ({
    type: 'track',
    userId,
    event: step.event,
    properties: step.event === 'Order Completed' ? { revenue: 20 } : {},
    timestamp: at(day + i),
  }));
}

let server: TestServer;
let store: SegmentStore;
let clock: TestClock;

async function send(batch: unknown[]) {
  const response = await track(server, '/v1/batch', { batch });
  expect(response.status).toBe(200);
}

async function stagesByUser(funnelId: string, userIds: string[]): Promise<Record<string, string>> {
  const rows = await store.allStages(funnelId);
  const byProfile = new Map(rows.map((r) => [r.profileId, r.stage]));
  const found: Record<string, string> = {};
  for (const userId of userIds) {
    const { body } = await server.admin(`/api/profiles/lookup?userId=${userId}`);
    found[userId] = byProfile.get(body.profileId) ?? '(none)';
  }
  return found;
}

for (const engine of ENGINES)
  describe.skipIf(!engine.enabled)(`a funnel built while events arrive, ${engine.name}`, () => {
    let dropDatabase: (() => Promise<void>) | undefined;
    beforeAll(async () => {
      clock = new TestClock(new Date(at(60)));
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

    it('gives every person, from before and during the build, the stage of their events', async () => {
      // Segments with windows, as a live install has, so re-checks run beside the build.
      for (const [id, text] of [
        ['recent-buyers', 'performed "Order Completed" in last 7 days'],
        ['big-spenders', 'sum of revenue in "Order Completed" in last 30 days > 30'],
      ])
        expect((await server.adminRequest('POST', '/api/segments', { id, text })).status).toBe(201);
      const expected = new Map<string, Stage>();
      const earlier = Array.from({ length: 24 }, (_, i) => ({ userId: `early-${i}`, depth: 1 + (i % 4) }));
      await send(earlier.flatMap((p, i) => person(p.userId, p.depth, i % 20)));
      for (const p of earlier) expected.set(p.userId, STEPS[p.depth - 1]?.stage as Stage);
      await settleSegments(server, store, clock);

      for (let round = 0; round < ROUNDS; round++) {
        const funnelId = `race-${round}`;
        const switchedOn = server.adminRequest('PUT', `/api/funnels/${funnelId}`, {
          id: funnelId,
          preset: 'ecommerce',
        });
        // New people arrive in several requests while the funnel builds.
        const arriving = Array.from({ length: 6 }, (_, i) => ({
          userId: `r${round}-${i}`,
          depth: 1 + (i % 4),
        }));
        const sends = arriving.map((p, i) => send(person(p.userId, p.depth, 30 + i)));
        expect((await switchedOn).status).toBe(200);
        await Promise.all(sends);
        for (const p of arriving) expected.set(p.userId, STEPS[p.depth - 1]?.stage as Stage);
        await settleSegments(server, store, clock);
        const userIds = [...expected.keys()];
        expect(await stagesByUser(funnelId, userIds), `round ${round}`).toEqual(
          Object.fromEntries(userIds.map((id) => [id, expected.get(id)])),
        );
        expect((await server.adminRequest('DELETE', `/api/funnels/${funnelId}`)).status).toBeLessThan(300);
      }
    }, 600_000);
  });
