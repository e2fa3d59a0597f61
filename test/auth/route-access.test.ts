// Access is declared per route and enforced in one place (docs/access.md). This walks every
// route the server registers: each one under /api/ must declare a permission, a route that
// does not is refused, and for every route and every role the guard lets through exactly what
// the matrix in src/auth/access.ts allows (a 403 naming the permission otherwise).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CredentialCache, installAccess, may, type Permission, ROLES } from '../../src/auth/index.ts';
import { openAccessStore } from '../../src/store/index.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

let server: TestServer;
let routes: Array<{ method: string; url: string; access: Permission | null }>;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  server = await startTestServer();
  const answer = await server.admin('/api/access');
  expect(answer.status).toBe(200);
  routes = answer.body.routes;
  for (const role of ROLES) {
    const created = await server.adminRequest('POST', '/api/admin-tokens', { name: `${role} script`, role });
    expect(created.status).toBe(201);
    expect(created.body.role).toBe(role);
    tokens[role] = created.body.secret;
  }
});
afterAll(async () => {
  await server?.close();
});

/** A concrete URL for a route pattern: every parameter and wildcard becomes a made-up id. */
const concrete = (url: string) => url.replace(/:[A-Za-z]+/g, 'no-such-id').replace('*', 'no-such-id');

describe('every admin route declares its access', () => {
  it('registers the admin API, and no route under /api/ goes without a permission', () => {
    expect(routes.length).toBeGreaterThan(60);
    const undeclared = routes.filter((route) => !route.access).map((route) => `${route.method} ${route.url}`);
    expect(undeclared).toEqual([]);
  });

  it('refuses a route that declares nothing, before reading its body', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'rapport-access-'));
    const access = await openAccessStore({ dataDir });
    const app = Fastify();
    installAccess(app, { credentials: new CredentialCache(server.server.state), access, origins: () => [] });
    let ran = false;
    app.post('/api/forgotten', async () => {
      ran = true;
      return { ok: true };
    });
    app.get('/api/declared', { config: { access: 'read' } }, async () => ({ ok: true }));
    const forgotten = await app.inject({
      method: 'POST',
      url: '/api/forgotten',
      headers: { authorization: `Bearer ${server.adminToken}` },
      payload: { any: 'thing' },
    });
    expect(forgotten.statusCode).toBe(403);
    // A bare Fastify (not Rapport's error handler) answers with the error's code.
    expect(forgotten.json().code).toBe('RAPPORT_API_ACCESS_UNDECLARED');
    expect(ran).toBe(false);
    const declared = await app.inject({
      method: 'GET',
      url: '/api/declared',
      headers: { authorization: `Bearer ${server.adminToken}` },
    });
    expect(declared.statusCode).toBe(200);
    await app.close();
    await access.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
});

describe('the matrix, route by route and role by role', () => {
  it('lets each role through exactly the routes its permissions cover', async () => {
    const wrong: string[] = [];
    for (const route of routes) {
      if (route.access === 'public' || !route.access) continue;
      for (const role of ROLES) {
        const answer = await server.adminRequest(
          route.method,
          concrete(route.url),
          route.method === 'GET' || route.method === 'DELETE' ? undefined : {},
          tokens[role],
        );
        const refusedByRole = answer.status === 403 && answer.body?.needs === route.access;
        const allowed = may(role, route.access);
        if (allowed === refusedByRole || answer.status === 401) {
          wrong.push(`${role} ${route.method} ${route.url} (${route.access}): ${answer.status}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('refuses without credentials, and a write key, on every non-public route', async () => {
    for (const route of routes.filter((r) => r.access !== 'public')) {
      const anonymous = await server.adminRequest(route.method, concrete(route.url), undefined, null);
      expect(anonymous.status, `${route.method} ${route.url}`).toBe(401);
    }
    const withWriteKey = await server.adminRequest('GET', '/api/status', undefined, server.writeKey);
    expect(withWriteKey.status).toBe(403);
  });
});
