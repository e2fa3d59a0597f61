// A journey as the API answers it, on both engines: the answer's schema is the saving schema
// (src/conductor/journey/definition.ts), and Fastify serialises with it, so a document using every
// step kind must come back whole from each route that answers it (a field the schema missed would
// be dropped silently), and the per-step stats keep their step ids.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../support/postgres-database.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';

const clusterUrl = inject('postgresUrl');
const ENGINES = [
  { name: 'embedded (SQLite + DuckDB)', postgres: false, enabled: true },
  { name: `PostgreSQL ${inject('postgresSkipReason')}`, postgres: true, enabled: Boolean(clusterUrl) },
];

/** Every step kind, with the optional fields each may carry. */
const everyStep = {
  format: 1,
  id: 'every-step',
  version: 1,
  name: 'Every step',
  entry: {
    kind: 'event',
    event: 'Signed Up',
    where: [{ property: 'plan', test: { op: 'eq', value: 'pro' } }],
  },
  reentry: { mode: 'afterCooldown', cooldown: { amount: 30, unit: 'days' } },
  goal: { event: 'Order Completed' },
  defaultTimeZone: 'Europe/Paris',
  start: 'welcome',
  steps: [
    {
      id: 'welcome',
      label: 'Welcome mail',
      type: 'send',
      channel: 'email',
      purpose: 'marketing',
      kind: 'marketing',
      priority: 10,
      expectedValue: 2.5,
      onCapped: 'defer',
      template: { subject: 'Welcome', body: 'Hello {{traits.name}}', html: '<p>Hello</p>' },
      next: 'pause',
    },
    { id: 'pause', type: 'wait', duration: { amount: 2, unit: 'days' }, next: 'morning' },
    { id: 'morning', type: 'waitUntil', at: '09:30', weekdays: [1, 2, 3, 4, 5], next: 'clicked' },
    {
      id: 'clicked',
      type: 'waitForEvent',
      event: 'Email Clicked',
      where: [{ property: 'campaign', test: { op: 'exists' } }],
      timeout: { amount: 3, unit: 'days' },
      next: 'mark',
      onTimeout: 'which',
    },
    {
      id: 'which',
      type: 'branch',
      cases: [{ rule: { kind: 'trait', trait: 'plan', test: { op: 'eq', value: 'pro' } }, next: 'test' }],
      otherwise: 'call',
    },
    {
      id: 'test',
      type: 'split',
      arms: [
        { name: 'a', percent: 45, next: 'mark' },
        { name: 'b', percent: 45, next: 'done' },
      ],
      holdout: { percent: 10, next: 'done' },
    },
    { id: 'mark', type: 'setTrait', trait: 'engaged', value: true, next: 'done' },
    {
      id: 'call',
      type: 'createTask',
      queue: 'call-centre',
      title: 'Call them',
      note: 'They never clicked',
      dueIn: { amount: 1, unit: 'days' },
      next: 'done',
    },
    { id: 'done', type: 'exit' },
  ],
};

for (const engine of ENGINES)
  describe.skipIf(!engine.enabled)(`a journey's answer on ${engine.name}`, () => {
    let server: TestServer;
    let drop: (() => Promise<void>) | undefined;

    beforeAll(async () => {
      if (engine.postgres) {
        const database = await createTestDatabase(clusterUrl);
        drop = database.drop;
        server = await startTestServer({ databaseUrl: database.url });
      } else server = await startTestServer();
    }, 120_000);
    afterAll(async () => {
      await server?.close();
      await drop?.();
    }, 120_000);

    it('answers a document with every step kind whole, from every route that answers it', {
      timeout: 120_000,
    }, async () => {
      const check = await server.adminRequest('POST', '/api/journeys/check', everyStep);
      expect(check.body, JSON.stringify(check.body)).toEqual({ ok: true, issues: [] });
      const saved = await server.adminRequest('POST', '/api/journeys', everyStep);
      expect(saved.status, JSON.stringify(saved.body)).toBe(201);
      expect(Object.keys(saved.body).sort()).toEqual(
        ['createdAt', 'definition', 'journeyId', 'status', 'updatedAt', 'version'].sort(),
      );
      expect(saved.body.definition).toEqual(everyStep);
      expect((await server.admin('/api/journeys/every-step')).body.definition).toEqual(everyStep);
      const listed = (await server.admin('/api/journeys')).body.find(
        (j: { journeyId: string }) => j.journeyId === 'every-step',
      );
      expect(listed.definition).toEqual(everyStep);
      expect((await server.admin('/api/journeys/every-step/versions/1')).body).toEqual({
        version: 1,
        definition: everyStep,
      });
      const paused = await server.adminRequest('POST', '/api/journeys/every-step/pause');
      expect(paused.body).toMatchObject({ status: 'paused', definition: everyStep });
    });

    it('answers the per-step stats keyed by step id', { timeout: 120_000 }, async () => {
      await server.adminRequest('POST', '/api/journeys/every-step/resume');
      const sent = await track(server, '/v1/batch', {
        batch: [{ type: 'track', userId: 'stats-1', event: 'Signed Up', properties: { plan: 'pro' } }],
      });
      expect(sent.status).toBe(200);
      await server.settle();
      // The conductor enters the person after the log is applied: wait for the answer, not a time.
      const deadline = Date.now() + 60_000;
      let stats = await server.admin('/api/journeys/every-step/stats');
      while (stats.body.entered < 1 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        stats = await server.admin('/api/journeys/every-step/stats');
      }
      expect(stats.status).toBe(200);
      expect(stats.body.entered).toBe(1);
      const welcome = stats.body.steps.welcome;
      expect(welcome.current + welcome.passed).toBeGreaterThanOrEqual(1);
      expect(Object.keys(stats.body).sort()).toEqual(
        ['active', 'aborted', 'completed', 'converted', 'entered', 'journeyId', 'steps', 'version'].sort(),
      );
      for (const counts of Object.values(stats.body.steps))
        expect(Object.keys(counts as object).sort()).toEqual(['current', 'passed']);
      const all = (await server.admin('/api/journey-stats')).body;
      expect(all.find((s: { journeyId: string }) => s.journeyId === 'every-step')).toEqual(stats.body);
    });
  });
