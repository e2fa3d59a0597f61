// The OpenAPI document is generated from the routes' own schemas (TypeBox through the type
// provider): every route is in it, and every operation that answers JSON documents that answer.
// A route added without schemas fails here, not in a client's hands.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
}, 180_000);
afterAll(async () => server.close());

interface Operation {
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}

// Routes whose answer is not JSON or has no body: a redirect, a pixel, a page, a stream.
const NO_JSON_ANSWER = /^(GET|POST) \/(t|s|o)\//;

describe('the OpenAPI document', () => {
  it('lists every route the server has, and every JSON answer with its schema', async () => {
    const response = await fetch(`${server.url}/api/openapi.json`);
    const document = (await response.json()) as { paths: Record<string, Record<string, Operation>> };
    const documented = new Set(
      Object.entries(document.paths).flatMap(([path, operations]) =>
        Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
      ),
    );
    const routes: string[] = [];
    // Fastify's router, read back from its printed tree: each line is a segment under the line
    // one level up (four characters of indent a level), with the methods it answers.
    const prefixes: string[] = [];
    for (const line of server.server.app.printRoutes({ commonPrefix: false }).split('\n')) {
      const match = /^([│ ]*)[├└]── (\S+)(?: \(([A-Z, ]+)\))?/.exec(line);
      if (!match) continue;
      const depth = (match[1] as string).length / 4;
      const path = (depth === 0 ? '' : (prefixes[depth - 1] ?? '')) + (match[2] as string);
      prefixes[depth] = path;
      const documentedPath = path.replace(/:(\w+)/g, '{$1}');
      for (const method of match[3]?.split(', ') ?? []) {
        if (method === 'HEAD' || documentedPath === '/api/openapi.json') continue;
        if (!/^\/(api|v1)\//.test(documentedPath)) continue;
        routes.push(`${method} ${documentedPath}`);
      }
    }
    expect(routes.length).toBeGreaterThan(100);
    // A radix node shared by several routes (/v1/t for /v1/track, /v1/t...) prints with their
    // methods; such a prefix of a documented route is not a route of its own.
    const missing = routes.filter(
      (route) => !documented.has(route) && ![...documented].some((known) => known.startsWith(route)),
    );
    expect(missing).toEqual([]);

    const gaps: string[] = [];
    for (const [path, operations] of Object.entries(document.paths)) {
      if (!/^\/(api|v1)\//.test(path)) continue;
      for (const [method, operation] of Object.entries(operations)) {
        const name = `${method.toUpperCase()} ${path}`;
        if (NO_JSON_ANSWER.test(name)) continue;
        const answers = Object.entries(operation.responses ?? {}).filter(([status]) =>
          status.startsWith('2'),
        );
        const answered = answers.some(([status, answer]) => status === '204' || answer.content !== undefined);
        if (!answered) gaps.push(`${name}: no answer schema`);
      }
    }
    // Known, not yet given a response schema (issue 18): each answers JSON (or CSV) that its
    // route does not describe. Fixing one means removing it here; a new gap fails.
    expect(gaps.sort()).toEqual(
      [
        'DELETE /api/session: no answer schema',
        'GET /api/segments/{id}/members.csv: no answer schema',
        'DELETE /api/experiments/{id}: no answer schema',
      ].sort(),
    );
  }, 180_000);
});
