// The journey builder's server side: a check that says what saving would say without storing
// anything (the builder's inline validation), and the version history of a journey.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server?.close();
});

const journey = (version: number, name: string, steps: unknown[]) => ({
  format: 1,
  id: 'drawn',
  version,
  name,
  entry: { kind: 'event', event: 'Signed Up' },
  reentry: { mode: 'once' },
  defaultTimeZone: 'UTC',
  start: 'hello',
  steps,
});

const hello = (next: string, body = 'Hi') => ({
  id: 'hello',
  type: 'send',
  channel: 'sms',
  purpose: 'marketing',
  template: { body },
  next,
});
const done = { id: 'done', type: 'exit' };

describe('POST /api/journeys/check', () => {
  it('answers the issues saving would give, at their steps, and stores nothing', async () => {
    const drawn = journey(1, 'Half drawn', [hello('', ''), done]);
    const check = await server.adminRequest('POST', '/api/journeys/check', drawn);
    expect(check.status).toBe(200);
    expect(check.body.ok).toBe(false);
    expect(check.body.issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ stepId: 'hello', field: '/steps/0/next', code: 'unknown_step' }),
        expect.objectContaining({
          stepId: 'hello',
          field: '/steps/0/template/body',
          code: 'invalid_template',
        }),
      ]),
    );
    const save = await server.adminRequest('POST', '/api/journeys', drawn);
    expect(save.status).toBe(400);
    expect(save.body.issues).toEqual(check.body.issues);
    expect((await server.admin('/api/journeys/drawn')).status).toBe(404);
  });

  it('says a cycle with no wait at the step it starts from', async () => {
    const loop = {
      id: 'again',
      type: 'setTrait',
      trait: 'looped',
      value: true,
      next: 'hello',
    };
    const check = await server.adminRequest(
      'POST',
      '/api/journeys/check',
      journey(1, 'Loop', [
        hello('branch'),
        {
          id: 'branch',
          type: 'branch',
          cases: [{ rule: { kind: 'all', rules: [] }, next: 'again' }],
          otherwise: 'done',
        },
        loop,
        done,
      ]),
    );
    expect(check.body.issues).toContainEqual(
      expect.objectContaining({ code: 'cycle_without_wait', stepId: 'hello' }),
    );
  });

  it('answers ok for a journey that would save', async () => {
    const check = await server.adminRequest(
      'POST',
      '/api/journeys/check',
      journey(1, 'Fine', [hello('done'), done]),
    );
    expect(check.body).toEqual({ ok: true, issues: [] });
  });
});

describe('GET /api/journeys/:id/versions', () => {
  it('lists every saved version newest first, and opens each', async () => {
    expect(
      (await server.adminRequest('POST', '/api/journeys', journey(1, 'First', [hello('done'), done]))).status,
    ).toBe(201);
    expect(
      (
        await server.adminRequest(
          'POST',
          '/api/journeys',
          journey(2, 'Second', [hello('done', 'Hello again'), done]),
        )
      ).status,
    ).toBe(201);
    const versions = await server.admin('/api/journeys/drawn/versions');
    expect(versions.status).toBe(200);
    expect(versions.body.map((v: { version: number; name: string }) => [v.version, v.name])).toEqual([
      [2, 'Second'],
      [1, 'First'],
    ]);
    expect(typeof versions.body[0].savedAt).toBe('string');
    const first = await server.admin('/api/journeys/drawn/versions/1');
    expect(first.body.definition.name).toBe('First');
    expect(first.body.definition.steps[0].template.body).toBe('Hi');
    expect((await server.admin('/api/journeys/drawn/versions/9')).status).toBe(404);
    expect((await server.admin('/api/journeys/nope/versions')).status).toBe(404);
  });
});
