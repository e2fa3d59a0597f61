// GET /api/profiles/:id/journeys against a real server with real storage, on the embedded
// engine and on PostgreSQL: people enter a journey through events sent to /v1/batch; one
// waits (active), one reaches the goal (completed); a merged-away profile's trip shows on the
// survivor. Also the limit, an unknown person, a bad limit and the admin token.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { journeyStatusOf } from '../../src/conductor/runtime/service.ts';
import { TestClock } from '../../src/pipeline/index.ts';
import { createTestDatabase } from '../support/postgres-database.ts';
import { eventually } from '../support/recording-channel.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';

const T0 = Date.parse('2026-03-02T10:00:00.000Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

const clusterUrl = inject('postgresUrl');
const ENGINES = [
  { name: 'embedded (SQLite + DuckDB)', postgres: false, enabled: true },
  { name: `PostgreSQL ${inject('postgresSkipReason')}`, postgres: true, enabled: Boolean(clusterUrl) },
];

const WELCOME = {
  format: 1,
  id: 'welcome',
  version: 1,
  name: 'Welcome to a first purchase',
  reentry: { mode: 'once' },
  defaultTimeZone: 'UTC',
  entry: { kind: 'event', event: 'Signed Up' },
  goal: { event: 'Purchased' },
  start: 'wait-purchase',
  steps: [
    {
      id: 'wait-purchase',
      type: 'waitForEvent',
      event: 'Purchased',
      timeout: { amount: 7, unit: 'days' },
      next: 'done',
      onTimeout: 'done',
    },
    { id: 'done', type: 'exit' },
  ],
};

describe('journey status', () => {
  it('is active while running, completed at an exit or the goal, exited otherwise', () => {
    expect(journeyStatusOf({ active: true, exitReason: null })).toBe('active');
    expect(journeyStatusOf({ active: false, exitReason: 'completed' })).toBe('completed');
    expect(journeyStatusOf({ active: false, exitReason: 'converted' })).toBe('completed');
    expect(journeyStatusOf({ active: false, exitReason: 'aborted' })).toBe('exited');
  });
});

for (const engine of ENGINES)
  describe.skipIf(!engine.enabled)(`a person's journeys on ${engine.name}`, () => {
    let server: TestServer;
    let dropDatabase: (() => Promise<void>) | undefined;

    const profileOf = async (userId: string) =>
      (await server.admin(`/api/profiles/lookup?userId=${userId}`)).body.profileId as string;
    const journeysOf = async (profileId: string) =>
      (await server.admin(`/api/profiles/${profileId}/journeys`)).body;

    beforeAll(async () => {
      let databaseUrl: string | undefined;
      if (engine.postgres) {
        const database = await createTestDatabase(clusterUrl);
        dropDatabase = database.drop;
        databaseUrl = database.url;
      }
      const clock = new TestClock(new Date(at(0)));
      server = await startTestServer(databaseUrl ? { databaseUrl } : {}, { clock, conductorPollMs: 20 });
      const saved = await server.adminRequest('POST', '/api/journeys', WELCOME);
      expect(saved.status).toBe(201);
      const batch = [
        { type: 'track', userId: 'ann', event: 'Signed Up', timestamp: at(1) },
        { type: 'track', userId: 'bob', event: 'Signed Up', timestamp: at(1) },
        { type: 'track', userId: 'bob', event: 'Purchased', timestamp: at(2) },
        // Cat signs up anonymously; later a profile with her user id merges with it.
        { type: 'track', anonymousId: 'a-cat', event: 'Signed Up', timestamp: at(1) },
        { type: 'identify', userId: 'cat', traits: { plan: 'free' }, timestamp: at(2) },
      ];
      expect((await track(server, '/v1/batch', { batch })).status).toBe(200);
      await server.settle();
      const cat = await eventually(
        async () =>
          (await server.admin(`/api/profiles/lookup?anonymousId=a-cat`)).body.profileId as string | undefined,
        (id) => id !== undefined,
      );
      await eventually(
        async () => (await journeysOf(cat as string)).items?.length ?? 0,
        (n) => n === 1,
      );
      await eventually(
        async () => (await journeysOf(await profileOf('bob'))).items?.[0]?.status,
        (status) => status === 'completed',
      );
      expect(
        (
          await track(server, '/v1/batch', {
            batch: [{ type: 'identify', anonymousId: 'a-cat', userId: 'cat', timestamp: at(3) }],
          })
        ).status,
      ).toBe(200);
      await server.settle();
    }, 120_000);

    afterAll(async () => {
      await server?.close();
      await dropDatabase?.();
    }, 120_000);

    it('lists an active trip with its current step, and a completed one', async () => {
      const ann = await profileOf('ann');
      expect(await journeysOf(ann)).toEqual({
        profileId: ann,
        items: [
          {
            instanceId: expect.any(String),
            journeyId: 'welcome',
            name: 'Welcome to a first purchase',
            version: 1,
            status: 'active',
            exitReason: null,
            currentStep: 'wait-purchase',
            enteredAt: expect.any(String),
            exitedAt: null,
          },
        ],
      });
      const bob = (await journeysOf(await profileOf('bob'))).items;
      expect(bob).toHaveLength(1);
      expect(bob[0]).toMatchObject({ journeyId: 'welcome', status: 'completed', exitReason: 'converted' });
      expect(Date.parse(bob[0].exitedAt)).toBeGreaterThanOrEqual(Date.parse(bob[0].enteredAt));
    });

    it("shows a merged-away profile's trip on the survivor, and answers for a merged-away id", async () => {
      const cat = await profileOf('cat');
      const anonymous = await eventually(
        async () => (await journeysOf(cat)).items as Array<{ status: string }>,
        (items) => items.length === 1,
      );
      expect(anonymous[0]).toMatchObject({ journeyId: 'welcome', status: 'active' });
      const merged = (await server.admin('/api/profiles/lookup?anonymousId=a-cat')).body;
      expect(merged.profileId).toBe(cat);
      expect(merged.mergedFrom).toHaveLength(1);
      for (const id of [cat, ...merged.mergedFrom]) expect((await journeysOf(id)).profileId).toBe(cat);
    });

    it('refuses a bad limit naming it, an unknown person and a missing token', async () => {
      const ann = await profileOf('ann');
      expect((await server.admin(`/api/profiles/${ann}/journeys?limit=1`)).body.items).toHaveLength(1);
      const tooMany = await server.admin(`/api/profiles/${ann}/journeys?limit=201`);
      expect(tooMany.status).toBe(400);
      expect(tooMany.body.message).toMatch(/limit must be <= 200/);
      expect((await server.admin(`/api/profiles/${ann}/journeys?limit=0`)).body.message).toMatch(
        /limit must be >= 1/,
      );
      expect((await server.admin('/api/profiles/nobody/journeys')).status).toBe(404);
      expect(
        (await server.adminRequest('GET', `/api/profiles/${ann}/journeys`, undefined, null)).status,
      ).toBe(401);
      expect(
        (await server.adminRequest('GET', `/api/profiles/${ann}/journeys`, undefined, 'rk_admin_wrong'))
          .status,
      ).toBe(401);
    });
  });
