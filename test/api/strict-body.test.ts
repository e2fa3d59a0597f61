// strictBody (src/api/strict-body.ts) is asked by Fastify for every part a route declares: the
// body is checked against the closed schema, the path parameters and query string against their
// own (converted from text first), never against the body's.
import { Type } from '@sinclair/typebox';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { strictBody } from '../../src/api/strict-body.ts';

const Body = Type.Object({ name: Type.String() }, { additionalProperties: false });

describe('strictBody', () => {
  const app = Fastify();
  beforeAll(async () => {
    app.put(
      '/things/:id/versions/:version',
      {
        schema: {
          body: Body,
          params: Type.Object({ id: Type.String(), version: Type.Integer({ minimum: 1 }) }),
          querystring: Type.Object({ dryRun: Type.Optional(Type.Boolean()) }),
        },
        validatorCompiler: strictBody(Body),
      },
      async (request) => ({ params: request.params, query: request.query, body: request.body }),
    );
    await app.ready();
  });
  afterAll(() => app.close());

  it('checks the params and query string against their own schemas, converted from text', async () => {
    const response = await app.inject({
      method: 'PUT',
      url: '/things/a-1/versions/2?dryRun=true',
      payload: { name: 'x' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      params: { id: 'a-1', version: 2 },
      query: { dryRun: true },
      body: { name: 'x' },
    });
  });

  it('refuses a bad parameter naming it, and an unknown body field naming that', async () => {
    const badVersion = await app.inject({
      method: 'PUT',
      url: '/things/a/versions/0',
      payload: { name: 'x' },
    });
    expect(badVersion.statusCode).toBe(400);
    expect(badVersion.body).toContain('version');
    const unknown = await app.inject({
      method: 'PUT',
      url: '/things/a/versions/1',
      payload: { name: 'x', colour: 'red' },
    });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.body).toContain('colour');
  });

  it('refuses at start-up a route whose params are not TypeBox', async () => {
    const other = Fastify();
    other.get(
      '/x/:id',
      {
        schema: { params: { type: 'object', properties: { id: { type: 'string' } } } },
        validatorCompiler: strictBody(Body),
      },
      async () => ({}),
    );
    await expect(other.ready()).rejects.toThrow(/TypeBox/);
    await other.close().catch(() => {});
  });
});
