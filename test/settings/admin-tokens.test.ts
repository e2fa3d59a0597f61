// Admin tokens over the admin API on a real server: list without secrets, create (secret once),
// revoke; the two refusals (the last token, and your own without confirmation); and write keys
// and admin tokens kept apart (a write key authorises no admin route, neither route revokes
// the other kind).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { revocationRefusal } from '../../src/auth/admin-token-routes.ts';
import { createTestDatabase } from '../support/postgres-database.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const clusterUrl = inject('postgresUrl');
const ENGINES = [
  { name: 'embedded (SQLite + DuckDB)', postgres: false, enabled: true },
  { name: `PostgreSQL ${inject('postgresSkipReason')}`, postgres: true, enabled: Boolean(clusterUrl) },
];
const CREDENTIAL = ['id', 'kind', 'name', 'createdAt', 'revokedAt'];
const keysOf = (value: unknown) => Object.keys(value as object).sort();

let server: TestServer;

/** An admin call made with `token` instead of the test's admin token. */
const call = (method: string, path: string, token: string, body?: unknown) =>
  server.adminRequest(method, path, body, token);

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

describe('revocationRefusal', () => {
  const live = (id: string) => ({ id, revokedAt: null });
  it('refuses the last live token, even when confirmed', () => {
    expect(revocationRefusal(live('a'), ['a'], 'a', true)).toMatch(/last live admin token/);
    expect(revocationRefusal(live('a'), ['a'], 'b', false)).toMatch(/last live admin token/);
  });
  it('refuses the request’s own token unless confirmed', () => {
    expect(revocationRefusal(live('a'), ['a', 'b'], 'a', false)).toMatch(/confirm=revoke-self/);
    expect(revocationRefusal(live('a'), ['a', 'b'], 'a', true)).toBeUndefined();
    expect(revocationRefusal(live('b'), ['a', 'b'], 'a', false)).toBeUndefined();
  });
});

describe('admin tokens API', () => {
  it('refuses without an admin token and with a write key on every route', async () => {
    for (const [method, path] of [
      ['GET', '/api/admin-tokens'],
      ['POST', '/api/admin-tokens'],
      ['DELETE', '/api/admin-tokens/x'],
    ] as const) {
      const anonymous = await fetch(`${server.url}${path}`, { method });
      expect(anonymous.status, `${method} ${path}`).toBe(401);
      const withWriteKey = await call(
        method,
        path,
        server.writeKey,
        method === 'POST' ? { name: 'x' } : undefined,
      );
      expect(withWriteKey.status, `${method} ${path}`).toBe(403);
      expect(withWriteKey.body.error).toBe('RAPPORT_API_FORBIDDEN');
    }
    // Basic with a write key is refused too (admin routes take Bearer only).
    const basic = await fetch(`${server.url}/api/admin-tokens`, {
      headers: { authorization: `Basic ${Buffer.from(`${server.writeKey}:`).toString('base64')}` },
    });
    expect(basic.status).toBe(401);
  });

  it('lists tokens without secrets and marks the one in use', async () => {
    const listed = await server.adminRequest('GET', '/api/admin-tokens');
    expect(listed.status).toBe(200);
    expect(listed.body).toHaveLength(1);
    expect(listed.body[0]).toMatchObject({
      name: 'test-admin',
      kind: 'admin',
      revokedAt: null,
      current: true,
    });
    expect(JSON.stringify(listed.body)).not.toContain(server.adminToken);
    expect(listed.body[0]).not.toHaveProperty('secret');
  });

  it('creates a token whose secret is shown once and works, then revokes it', async () => {
    const bad = await server.adminRequest('POST', '/api/admin-tokens', { name: '' });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('name');
    const blank = await server.adminRequest('POST', '/api/admin-tokens', { name: '   ' });
    expect(blank.status).toBe(400);
    expect(blank.body.field).toBe('name');

    const created = await server.adminRequest('POST', '/api/admin-tokens', { name: 'ops laptop' });
    expect(created.status).toBe(201);
    expect(created.body.secret).toMatch(/^rk_admin_/);
    const secret = created.body.secret as string;
    const listed = await server.adminRequest('GET', '/api/admin-tokens');
    const row = listed.body.find((t: { id: string }) => t.id === created.body.id);
    expect(row).toMatchObject({ name: 'ops laptop', current: false });
    expect(JSON.stringify(listed.body)).not.toContain(secret);
    expect((await call('GET', '/api/status', secret)).status).toBe(200);

    expect((await server.adminRequest('DELETE', `/api/admin-tokens/${created.body.id}`)).status).toBe(204);
    expect((await call('GET', '/api/status', secret)).status).toBe(401);
    expect((await server.adminRequest('DELETE', `/api/admin-tokens/${created.body.id}`)).status).toBe(404);
  });

  it('refuses to revoke the last admin token, and its own without confirmation', async () => {
    const [own] = (await server.adminRequest('GET', '/api/admin-tokens')).body.filter(
      (t: { revokedAt: string | null }) => t.revokedAt === null,
    );
    const last = await server.adminRequest('DELETE', `/api/admin-tokens/${own.id}?confirm=revoke-self`);
    expect(last.status).toBe(409);
    expect(last.body.message).toMatch(/last live admin token/);

    const other = await server.adminRequest('POST', '/api/admin-tokens', { name: 'second' });
    const self = await server.adminRequest('DELETE', `/api/admin-tokens/${own.id}`);
    expect(self.status).toBe(409);
    expect(self.body.message).toMatch(/confirm=revoke-self/);
    expect((await server.adminRequest('DELETE', `/api/admin-tokens/${own.id}?confirm=yes`)).status).toBe(400);

    // The second token revokes the first without confirmation: it is not its own.
    const secondSecret = other.body.secret as string;
    const bySecond = await call('DELETE', `/api/admin-tokens/${own.id}`, secondSecret);
    expect(bySecond.status).toBe(204);
    expect((await call('GET', '/api/status', server.adminToken)).status).toBe(401);
    // Put the suite's token back for the tests after this one.
    const restored = await call('POST', '/api/admin-tokens', secondSecret, { name: 'restored' });
    server.adminToken = restored.body.secret;
    expect((await server.adminRequest('GET', '/api/status')).status).toBe(200);
  });

  it('keeps write keys and admin tokens apart in revocation', async () => {
    const [token] = (await server.adminRequest('GET', '/api/admin-tokens')).body.filter(
      (t: { current: boolean }) => t.current,
    );
    const wrongRoute = await server.adminRequest('DELETE', `/api/write-keys/${token.id}`);
    expect(wrongRoute.status).toBe(404);
    expect((await server.adminRequest('GET', '/api/status')).status).toBe(200);

    const key = await server.adminRequest('POST', '/api/write-keys', { name: 'site' });
    expect((await server.adminRequest('DELETE', `/api/admin-tokens/${key.body.id}`)).status).toBe(404);
    const keys = (await server.adminRequest('GET', '/api/write-keys')).body as Array<{
      id: string;
      revokedAt: string | null;
    }>;
    expect(keys.find((k) => k.id === key.body.id)?.revokedAt).toBeNull();
    // A write key is not listed as an admin token, and cannot be used as one.
    const tokens = (await server.adminRequest('GET', '/api/admin-tokens')).body as Array<{ id: string }>;
    expect(tokens.map((t) => t.id)).not.toContain(key.body.id);
    expect((await call('GET', '/api/admin-tokens', key.body.secret)).status).toBe(403);
  });
});

// The answers' fields exactly (src/auth/schema.ts serialises them): a secret only in the answer
// to its creation, never a hash, on both engines.
for (const engine of ENGINES)
  describe.skipIf(!engine.enabled)(`the credential answers' fields on ${engine.name}`, () => {
    let own: TestServer;
    let dropDatabase: (() => Promise<void>) | undefined;
    beforeAll(async () => {
      if (engine.postgres) {
        const database = await createTestDatabase(clusterUrl);
        dropDatabase = database.drop;
        own = await startTestServer({ databaseUrl: database.url });
      } else {
        own = await startTestServer();
      }
    }, 120_000);
    afterAll(async () => {
      await own?.close();
      await dropDatabase?.();
    });

    it('lists and creates write keys and admin tokens with exactly their fields', async () => {
      const key = await own.adminRequest('POST', '/api/write-keys', { name: 'shop' });
      expect(key.status).toBe(201);
      expect(keysOf(key.body)).toEqual([...CREDENTIAL, 'secret'].sort());
      expect(key.body).toMatchObject({ kind: 'write', name: 'shop', revokedAt: null });
      const keys = await own.adminRequest('GET', '/api/write-keys');
      for (const listed of keys.body) expect(keysOf(listed)).toEqual([...CREDENTIAL].sort());
      expect(keys.body.map((k: { id: string }) => k.id)).toContain(key.body.id);
      expect(JSON.stringify(keys.body)).not.toContain(key.body.secret);

      const token = await own.adminRequest('POST', '/api/admin-tokens', { name: 'ci', role: 'analyst' });
      expect(token.status).toBe(201);
      expect(keysOf(token.body)).toEqual([...CREDENTIAL, 'role', 'secret'].sort());
      expect(token.body).toMatchObject({ kind: 'admin', name: 'ci', role: 'analyst', revokedAt: null });
      const tokens = await own.adminRequest('GET', '/api/admin-tokens');
      expect(tokens.body).toHaveLength(2);
      for (const listed of tokens.body)
        expect(keysOf(listed)).toEqual([...CREDENTIAL, 'current', 'role'].sort());
      expect(tokens.body.find((t: { id: string }) => t.id === token.body.id)).toMatchObject({
        current: false,
        role: 'analyst',
      });
      expect(JSON.stringify(tokens.body)).not.toContain(token.body.secret);
    });
  });

describe('the OpenAPI document', () => {
  it('documents the settings routes with the admin token', async () => {
    const document = (await (await fetch(`${server.url}/api/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { security?: unknown[]; requestBody?: unknown }>>;
    };
    for (const [path, method] of [
      ['/api/admin-tokens', 'get'],
      ['/api/admin-tokens', 'post'],
      ['/api/admin-tokens/{id}', 'delete'],
      ['/api/channels', 'get'],
      ['/api/channels/{name}/test', 'post'],
      ['/api/consent-purposes', 'get'],
      ['/api/arbitration-policy', 'get'],
      ['/api/arbitration-policy', 'put'],
    ] as const) {
      expect(document.paths[path]?.[method]?.security, `${method} ${path}`).toEqual([{ adminToken: [] }]);
    }
    expect(document.paths['/api/arbitration-policy']?.put?.requestBody).toBeDefined();
  });
});
