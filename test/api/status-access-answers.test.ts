// What GET /api/status and GET /api/access answer, field by field, on the embedded storage and
// on PostgreSQL: both now serialise with a TypeBox schema (src/pipeline/status-schema.ts,
// src/auth/schema.ts) the dashboard imports as its type, so a field the schema left out would
// vanish from the Overview, the Users page and every script that reads them.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PERMISSIONS, ROLES } from '../../src/auth/index.ts';
import { createTestDatabase } from '../support/postgres-database.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';

const clusterUrl = inject('postgresUrl');
const ENGINES = [
  { name: 'embedded (SQLite + DuckDB)', postgres: false, enabled: true },
  { name: `PostgreSQL ${inject('postgresSkipReason')}`, postgres: true, enabled: Boolean(clusterUrl) },
];
const keysOf = (value: unknown) => Object.keys(value as object).sort();

for (const engine of ENGINES)
  describe.skipIf(!engine.enabled)(`the status and access answers on ${engine.name}`, () => {
    let server: TestServer;
    let dropDatabase: (() => Promise<void>) | undefined;
    beforeAll(async () => {
      if (engine.postgres) {
        const database = await createTestDatabase(clusterUrl);
        dropDatabase = database.drop;
        server = await startTestServer({ databaseUrl: database.url });
      } else {
        server = await startTestServer();
      }
      const sent = await track(server, '/v1/batch', {
        batch: [
          { type: 'identify', userId: 'u1', traits: { plan: 'pro' } },
          { type: 'track', userId: 'u1', event: 'Viewed' },
        ],
      });
      expect(sent.status).toBe(200);
      expect((await track(server, '/v1/track', { event: 'No one' })).status).toBe(400);
      await server.settle();
    }, 120_000);
    afterAll(async () => {
      await server?.close();
      await dropDatabase?.();
    });

    it('status: the log head, every reader’s offset and lag, profiles, dead letters, quarantine', async () => {
      const { status, body } = await server.admin('/api/status');
      expect(status).toBe(200);
      expect(keysOf(body)).toEqual(
        ['logHead', 'processors', 'lastError', 'profiles', 'deadLetters', 'quarantined'].sort(),
      );
      expect(body.logHead).toBeGreaterThanOrEqual(2);
      expect(body.profiles).toBe(1);
      expect(body.deadLetters).toBe(1);
      expect(body.lastError).toBeNull();
      expect(Object.keys(body.processors)).toEqual(expect.arrayContaining(['profiles', 'warehouse']));
      for (const reader of Object.values(body.processors)) expect(keysOf(reader)).toEqual(['lag', 'offset']);
      expect(body.processors.profiles).toEqual({ offset: body.logHead, lag: 0 });
      expect(body.quarantined).toEqual({ total: 0, byProcessor: expect.any(Object) });
    });

    it('access: every role, every permission with its meaning, and each /api/ route’s permission', async () => {
      const { status, body } = await server.admin('/api/access');
      expect(status).toBe(200);
      expect(keysOf(body)).toEqual(['permissions', 'roles', 'routes']);
      expect(body.roles.map((row: { role: string }) => row.role)).toEqual([...ROLES]);
      for (const row of body.roles) expect(keysOf(row)).toEqual(['label', 'permissions', 'role']);
      expect(body.permissions.map((row: { permission: string }) => row.permission)).toEqual([...PERMISSIONS]);
      for (const row of body.permissions) expect(keysOf(row)).toEqual(['meaning', 'permission']);
      const own = body.routes.find(
        (route: { method: string; url: string }) => route.method === 'GET' && route.url === '/api/access',
      );
      expect(own).toEqual({ method: 'GET', url: '/api/access', access: 'read' });
      for (const route of body.routes) expect(keysOf(route)).toEqual(['access', 'method', 'url']);
    });
  });
