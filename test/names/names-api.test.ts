// GET /api/names over HTTP on the embedded storage and on PostgreSQL: real events sent through
// /v1/batch, their names, property names and identify traits counted by the warehouse with
// the latest timestamp; segments, lifecycle stages, consent purposes and channels as defined.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../support/postgres-database.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';

const clusterUrl = inject('postgresUrl');
const ENGINES = [
  { name: 'embedded (SQLite + DuckDB)', postgres: false, enabled: true },
  { name: `PostgreSQL ${inject('postgresSkipReason')}`, postgres: true, enabled: Boolean(clusterUrl) },
];

const at = (minute: number) => `2026-03-01T12:${String(minute).padStart(2, '0')}:00.000Z`;

for (const engine of ENGINES)
  describe.skipIf(!engine.enabled)(`GET /api/names on ${engine.name}`, () => {
    let t: TestServer;
    let dropDatabase: (() => Promise<void>) | undefined;
    beforeAll(async () => {
      if (engine.postgres) {
        const database = await createTestDatabase(clusterUrl);
        dropDatabase = database.drop;
        t = await startTestServer({ databaseUrl: database.url, consentPurposes: 'email,sms' });
      } else {
        t = await startTestServer({ consentPurposes: 'email,sms' });
      }
      const sent = await track(t, '/v1/batch', {
        batch: [
          {
            type: 'track',
            userId: 'u1',
            event: 'Order Completed',
            properties: { revenue: 10 },
            timestamp: at(1),
          },
          {
            type: 'track',
            userId: 'u2',
            event: 'Order Completed',
            properties: { revenue: 20, coupon: 'X' },
            timestamp: at(5),
          },
          { type: 'track', userId: 'u1', event: 'Signed Up', timestamp: at(2) },
          { type: 'page', userId: 'u1', name: 'Home', properties: { path: '/' }, timestamp: at(3) },
          { type: 'identify', userId: 'u1', traits: { plan: 'pro', first_name: 'Ada' }, timestamp: at(4) },
          { type: 'identify', userId: 'u1', traits: { plan: 'team' }, timestamp: at(6) },
          { type: 'identify', userId: 'u2', traits: { plan: 'free' }, timestamp: at(7) },
        ],
      });
      expect(sent.status).toBe(200);
      await t.settle();
      expect(
        (
          await t.adminRequest('POST', '/api/segments', {
            id: 'buyers',
            name: 'Buyers',
            text: 'performed "Order Completed"',
          })
        ).status,
      ).toBe(201);
      expect(
        (await t.adminRequest('PUT', '/api/funnels/lifecycle', { preset: 'ecommerce' })).status,
      ).toBeLessThan(300);
    });
    afterAll(async () => {
      await t?.close();
      await dropDatabase?.();
    });

    it('counts event names with their properties and last seen, most frequent first', async () => {
      const { status, body } = await t.admin('/api/names');
      expect(status).toBe(200);
      const orders = body.events.find((e: { name: string }) => e.name === 'Order Completed');
      expect(orders).toMatchObject({ count: 2, lastSeen: at(5) });
      expect(body.events[0].name).toBe('Order Completed');
      expect(orders.properties).toEqual([
        { name: 'revenue', count: 2, lastSeen: at(5) },
        { name: 'coupon', count: 1, lastSeen: at(5) },
      ]);
      expect(body.events.find((e: { name: string }) => e.name === 'Home')).toMatchObject({
        count: 1,
        properties: [{ name: 'path', count: 1, lastSeen: at(3) }],
      });
      expect(body.events.find((e: { name: string }) => e.name === 'Signed Up').properties).toEqual([]);
    });

    it('counts traits by the people whose identifies carried them', async () => {
      const { body } = await t.admin('/api/names');
      expect(body.traits).toEqual([
        { name: 'plan', count: 2, lastSeen: at(7) },
        { name: 'first_name', count: 1, lastSeen: at(4) },
      ]);
    });

    it('lists the segments, the lifecycle stages in order, the consent purposes and the channels', async () => {
      const { body } = await t.admin('/api/names');
      expect(body.segments).toEqual([{ id: 'buyers', name: 'Buyers' }]);
      const funnel = await t.admin('/api/funnels');
      const lifecycle = funnel.body.funnels.find((f: { id: string }) => f.id === 'lifecycle');
      expect(body.stages).toEqual(lifecycle.stages.map((s: { id: string }) => s.id));
      expect(body.stages.length).toBeGreaterThan(2);
      expect(body.purposes).toEqual(['email', 'sms']);
      const channels = await t.admin('/api/channels');
      expect(body.channels).toEqual(channels.body.items.map((c: { name: string }) => c.name));
    });
  });
