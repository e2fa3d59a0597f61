// Every admin route authenticates before it reads the body: a stranger gets 401 whatever they
// send, never a 400 that tells them what the route expects (issue: five routes validated first).
// The routes come from the OpenAPI document, so a route added later is covered without a list.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server.close());

interface Operation {
  security?: Array<Record<string, unknown>>;
}

async function adminOperations(): Promise<Array<{ method: string; path: string }>> {
  const document = (await (await fetch(`${server.url}/api/openapi.json`)).json()) as {
    paths: Record<string, Record<string, Operation>>;
  };
  return Object.entries(document.paths).flatMap(([path, operations]) =>
    Object.entries(operations)
      .filter(([, operation]) => operation.security?.length !== 0)
      .filter(() => path.startsWith('/api/'))
      .map(([method, _]) => ({ method: method.toUpperCase(), path: path.replace(/\{[^}]+\}/g, 'x') })),
  );
}

describe('admin routes authenticate first', () => {
  it('answer 401 to a malformed body sent with no token or an unknown one', async () => {
    const operations = await adminOperations();
    expect(operations.length).toBeGreaterThan(40);
    const answers: string[] = [];
    for (const { method, path } of operations) {
      for (const authorization of [undefined, 'Bearer not-a-token']) {
        const response = await fetch(`${server.url}${path}?limit=-1&from=yesterday`, {
          method,
          headers: {
            ...(authorization ? { authorization } : {}),
            ...(method === 'GET' || method === 'DELETE' ? {} : { 'content-type': 'application/json' }),
          },
          ...(method === 'GET' || method === 'DELETE' ? {} : { body: '{"not json' }),
        });
        await response.arrayBuffer();
        answers.push(`${method} ${path} ${authorization ? 'bad token' : 'no token'}: ${response.status}`);
      }
    }
    expect(answers.filter((answer) => !answer.endsWith(': 401'))).toEqual([]);
  });
});
