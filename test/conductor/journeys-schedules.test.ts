// Entry triggers that no event starts (date traits, broadcasts, schedules) on a real server,
// on the embedded storage and on PostgreSQL (a fresh database): profiles and segments made over the APIs, journeys saved over the admin
// API, time moved by the clock injected into the conductor. The schedule step is also called
// directly to check that a second pass at the same instant enters nobody again.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runScheduleStep } from '../../src/conductor/runtime/index.ts';
import { TestClock } from '../../src/pipeline/index.ts';
import { createTestDatabase } from '../support/postgres-database.ts';
import { eventually } from '../support/recording-channel.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';

const T0 = new Date('2026-03-02T10:00:00.000Z');

const clusterUrl = inject('postgresUrl');
const ENGINES = [
  { name: 'embedded (SQLite + DuckDB)', postgres: false, enabled: true },
  { name: `PostgreSQL ${inject('postgresSkipReason')}`, postgres: true, enabled: Boolean(clusterUrl) },
];

// Set by each engine's beforeAll; the tests of one engine run in order on one server.
let clock: TestClock;
let server: TestServer;

function journey(id: string, entry: Record<string, unknown>, reentry: 'once' | 'always') {
  return {
    format: 1,
    id,
    version: 1,
    name: id,
    entry,
    reentry: { mode: reentry },
    defaultTimeZone: 'UTC',
    start: 'done',
    steps: [{ id: 'done', type: 'exit' }],
  };
}

async function save(definition: unknown) {
  const response = await server.adminRequest('POST', '/api/journeys', definition);
  expect(response.status, JSON.stringify(response.body)).toBe(201);
}

async function profile(userId: string, traits: Record<string, unknown>): Promise<string> {
  expect((await track(server, '/v1/identify', { userId, traits })).status).toBe(200);
  const found = await eventually(
    () => server.server.state.findIdentities([{ kind: 'user_id', value: userId }]),
    (rows) => rows.length > 0,
  );
  return found[0]!.profileId;
}

async function entries(journeyId: string, profileId: string) {
  const rows = await server.server.conductor.store.instancesOf(profileId);
  return rows.filter((row) => row.journeyId === journeyId);
}

async function entryCounts(journeyId: string, profileIds: string[]): Promise<number[]> {
  return Promise.all(profileIds.map(async (id) => (await entries(journeyId, id)).length));
}

/** The schedule step, run here and now (the loop runs it too; both are idempotent). */
const step = () => runScheduleStep(server.server.conductor.state);

const gold: string[] = [];
let silver = '';

for (const engine of ENGINES) {
  describe.skipIf(!engine.enabled)(`time-based entry triggers on ${engine.name}`, () => {
    let dropDatabase: (() => Promise<void>) | undefined;

    beforeAll(async () => {
      clock = new TestClock(T0);
      gold.length = 0;
      let databaseUrl: string | undefined;
      if (engine.postgres) {
        const database = await createTestDatabase(clusterUrl);
        dropDatabase = database.drop;
        databaseUrl = database.url;
      }
      server = await startTestServer(databaseUrl ? { databaseUrl } : {}, {
        clock,
        channels: [],
        conductorPollMs: 20,
      });
      expect(
        (await server.adminRequest('POST', '/api/segments', { id: 'gold', text: 'trait tier = "gold"' }))
          .status,
      ).toBe(201);
      for (const userId of ['g1', 'g2', 'g3']) gold.push(await profile(userId, { tier: 'gold' }));
      silver = await profile('s1', { tier: 'silver' });
      await eventually(
        () => server.adminRequest('GET', '/api/segments/gold/members?limit=100'),
        (r) => r.body?.members?.length === 3,
      );
    }, 120_000);

    afterAll(async () => {
      await server?.close();
      await dropDatabase?.();
    });

    it('enters a person 30 days before renewal_date, once, and not before', async () => {
      const carol = await profile('carol', { renewal_date: '2026-04-15' }); // due 2026-03-16 09:00 UTC
      const early = await profile('erin', { renewal_date: '2026-04-02' }); // due 2026-03-03 09:00 UTC
      await save(journey('renewal', { kind: 'dateTrait', trait: 'renewal_date', offsetDays: -30 }, 'always'));

      clock.set(new Date('2026-03-03T09:00:00.000Z'));
      server.server.conductor.wake();
      await eventually(
        () => entries('renewal', early),
        (rows) => rows.length === 1,
      );
      await step();
      expect(await entries('renewal', carol)).toHaveLength(0);

      clock.set(new Date('2026-03-16T08:59:00.000Z'));
      await step();
      expect(await entries('renewal', carol)).toHaveLength(0);

      clock.set(new Date('2026-03-16T09:00:00.000Z'));
      server.server.conductor.wake();
      const [entered] = await eventually(
        () => entries('renewal', carol),
        (rows) => rows.length === 1,
      );
      expect(entered?.enteredAt).toBe('2026-03-16T09:00:00.000Z');
      // Later passes (re-entry is `always`) do not enter again for the same date.
      clock.set(new Date('2026-03-17T09:00:00.000Z'));
      await step();
      await step();
      expect(await entries('renewal', carol)).toHaveLength(1);
      expect(await entries('renewal', early)).toHaveLength(1);
      // People without the trait are never entered.
      expect(await entryCounts('renewal', [...gold, silver])).toEqual([0, 0, 0, 0]);
    });

    it('sends a broadcast to each member of the segment once', async () => {
      const at = '2026-03-18T12:00:00.000Z';
      await save(journey('launch', { kind: 'broadcast', segmentId: 'gold', at }, 'always'));
      await step();
      expect(await entryCounts('launch', gold)).toEqual([0, 0, 0]);

      clock.set(new Date('2026-03-18T12:00:00.000Z'));
      server.server.conductor.wake();
      await eventually(
        () => entryCounts('launch', gold),
        (counts) => counts.every((n) => n === 1),
      );
      clock.set(new Date('2026-03-19T12:00:00.000Z'));
      await step();
      await step();
      expect(await entryCounts('launch', gold)).toEqual([1, 1, 1]);
      expect(await entryCounts('launch', [silver])).toEqual([0]);
      expect(await server.server.conductor.store.getScheduleMark('run:launch')).toBe(at);
    });

    it('runs a schedule at its times as the clock moves, once per run', async () => {
      // Saved at 2026-03-19 12:00: the first run is 2026-03-20 09:00.
      await save(
        journey('daily', { kind: 'schedule', segmentId: 'gold', at: '09:00', timeZone: 'UTC' }, 'always'),
      );
      clock.set(new Date('2026-03-20T08:59:00.000Z'));
      await step();
      expect(await entryCounts('daily', gold)).toEqual([0, 0, 0]);

      clock.set(new Date('2026-03-20T09:00:00.000Z'));
      server.server.conductor.wake();
      await eventually(
        () => entryCounts('daily', gold),
        (counts) => counts.every((n) => n === 1),
      );
      clock.set(new Date('2026-03-20T15:00:00.000Z'));
      await step();
      await step();
      expect(await entryCounts('daily', gold)).toEqual([1, 1, 1]);

      clock.set(new Date('2026-03-21T09:30:00.000Z'));
      server.server.conductor.wake();
      await eventually(
        () => entryCounts('daily', gold),
        (counts) => counts.every((n) => n === 2),
      );
      await step();
      expect(await entryCounts('daily', gold)).toEqual([2, 2, 2]);
      expect(await entryCounts('daily', [silver])).toEqual([0]);
      expect(await server.server.conductor.store.getScheduleMark('run:daily')).toBe(
        '2026-03-21T09:00:00.000Z',
      );
    });
  });
}
