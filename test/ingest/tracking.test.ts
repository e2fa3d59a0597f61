import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../support/postgres-database.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';

// The same tests on the embedded storage and on PostgreSQL (skipped, saying why, without it).
const clusterUrl = inject('postgresUrl');
const ENGINES = [
  { name: 'embedded (SQLite + DuckDB)', enabled: true },
  { name: `PostgreSQL ${inject('postgresSkipReason')}`, enabled: Boolean(clusterUrl) },
];

for (const engine of ENGINES)
  describe.skipIf(!engine.enabled)(`tracking API on ${engine.name}`, () => {
    let t: TestServer;
    let dropDatabase: (() => Promise<void>) | undefined;
    beforeAll(async () => {
      if (engine.name.startsWith('PostgreSQL')) {
        const database = await createTestDatabase(clusterUrl);
        dropDatabase = database.drop;
        t = await startTestServer({ databaseUrl: database.url });
      } else {
        t = await startTestServer();
      }
    });
    afterAll(async () => {
      await t?.close();
      await dropDatabase?.();
    });

    it('stores a track and shows it on the profile', async () => {
      const sent = await track(t, '/v1/track', {
        userId: 'u-1',
        event: 'Order Completed',
        properties: { total: 12 },
      });
      expect(sent.status).toBe(200);
      expect(sent.body).toMatchObject({ success: true, accepted: 1, rejected: [] });
      await t.settle();
      const profile = await t.admin('/api/profiles/lookup?userId=u-1');
      expect(profile.status).toBe(200);
      expect(profile.body.lastEvents[0]).toMatchObject({ type: 'track', name: 'Order Completed' });
    });

    it('lands the good messages of a batch and dead-letters each bad one with its reason', async () => {
      const sent = await track(t, '/v1/batch', {
        batch: [
          { type: 'track', userId: 'u-2', event: 'A' },
          { type: 'track', userId: 'u-2' },
          { type: 'identify', anonymousId: 'anon-2', traits: { plan: 'pro' } },
          { type: 'group', userId: 'u-2' },
        ],
      });
      expect(sent.status).toBe(200);
      expect(sent.body.accepted).toBe(2);
      expect(sent.body.rejected.map((r: { index: number; field: string }) => [r.index, r.field])).toEqual([
        [1, 'event'],
        [3, 'groupId'],
      ]);
      const dead = await t.admin('/api/dead-letters');
      expect(dead.body.items.map((d: { field: string }) => d.field).sort()).toEqual(['event', 'groupId']);
    });

    it('keeps a request refused whole as a dead letter when its write key is valid', async () => {
      const before = (await t.admin('/api/dead-letters')).body.total as number;
      const sent = await track(
        t,
        '/v1/batch',
        '{"batch": [{"type": "track", "userId": "u-9", "event": "Half',
      );
      expect(sent.status).toBe(400);
      expect(sent.body.error).toBe('RAPPORT_INGEST_MALFORMED_BODY');
      const dead = await t.admin('/api/dead-letters?limit=1');
      expect(dead.body.total).toBe(before + 1);
      expect(dead.body.items[0]).toMatchObject({ code: 'RAPPORT_INGEST_MALFORMED_BODY', field: 'body' });
      expect(dead.body.items[0].body).toContain('"event": "Half');

      const anonymous = await fetch(`${t.url}/v1/batch`, { method: 'POST', body: '{not json' });
      expect(anonymous.status).toBe(400);
      expect((await t.admin('/api/dead-letters')).body.total).toBe(before + 1);
    });

    it('accepts every short path and write-key form', async () => {
      const basic = await track(t, '/v1/t', { userId: 'u-3', event: 'Short' });
      expect(basic.status).toBe(200);
      const bearer = await track(
        t,
        '/v1/p',
        { userId: 'u-3', name: 'Home' },
        { authorization: `Bearer ${t.writeKey}` },
      );
      expect(bearer.status).toBe(200);
      const inBody = await track(
        t,
        '/v1/i',
        { userId: 'u-3', traits: { a: 1 }, writeKey: t.writeKey },
        { authorization: '', 'content-type': 'text/plain' },
      );
      expect(inBody.status).toBe(200);
    });

    it('refuses an unknown write key with 401 and stores nothing', async () => {
      const before = await t.server.state.log.countEntries();
      const sent = await track({ url: t.url, writeKey: 'rk_write_unknown_123456' }, '/v1/track', {
        userId: 'x',
        event: 'E',
      });
      expect(sent.status).toBe(401);
      expect(sent.body.error).toBe('RAPPORT_INGEST_UNKNOWN_WRITE_KEY');
      expect(await t.server.state.log.countEntries()).toBe(before);
    });

    it('answers CORS preflight with the headers analytics.js needs', async () => {
      const response = await fetch(`${t.url}/v1/batch`, {
        method: 'OPTIONS',
        headers: {
          origin: 'https://shop.example',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,authorization,x-retry-count',
        },
      });
      expect(response.status).toBe(204);
      const allowed = (response.headers.get('access-control-allow-headers') ?? '').toLowerCase();
      for (const header of ['content-type', 'authorization', 'x-retry-count'])
        expect(allowed).toContain(header);
      expect(response.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    });

    it('dedupes by messageId', async () => {
      const message = { userId: 'u-4', event: 'Once', messageId: 'dedupe-me-1' };
      await track(t, '/v1/track', message);
      await track(t, '/v1/track', message);
      await t.settle();
      const profile = await t.admin('/api/profiles/lookup?userId=u-4');
      expect(profile.body.eventCount).toBe(1);
      const counts = await t.server.pipeline.countByMessageId(['dedupe-me-1']);
      expect(counts.get('dedupe-me-1')).toBe(1);
    });

    it('serves an OpenAPI document generated from the routes', async () => {
      const response = await fetch(`${t.url}/api/openapi.json`);
      const document = (await response.json()) as { openapi: string; paths: Record<string, unknown> };
      expect(document.openapi).toMatch(/^3\./);
      expect(Object.keys(document.paths)).toEqual(
        expect.arrayContaining(['/v1/batch', '/v1/track', '/api/profiles/{id}', '/api/profiles/lookup']),
      );
    });

    it('keeps write keys out of the admin API', async () => {
      const response = await fetch(`${t.url}/api/profiles/lookup?userId=u-1`, {
        headers: { authorization: `Bearer ${t.writeKey}` },
      });
      expect(response.status).toBe(403);
      const none = await fetch(`${t.url}/api/profiles/lookup?userId=u-1`);
      expect(none.status).toBe(401);
    });
  });
