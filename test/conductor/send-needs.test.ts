// A send that could only fail at delivery is refused when it is made: a journey at save (the
// error at the step and field), an API send with 400 naming the field. The generic webhook
// channel is addressable from both (`to.url`) and delivers to a real HTTP receiver. Nothing
// the API is sent is dropped silently: an unknown field is a 400 naming it.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePerson } from '../channels/support.ts';
import { eventually } from '../support/recording-channel.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';

let server: TestServer;
let receiver: Server;
let hookUrl: string;
let profileId: string;
const posted: Array<{ path: string; json: Record<string, unknown> }> = [];

beforeAll(async () => {
  receiver = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      posted.push({ path: request.url ?? '/', json: JSON.parse(body) });
      response.writeHead(200).end('{}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  server = await startTestServer({}, { conductorPollMs: 20 });
  // The generic webhook channel's consent purpose is `personalization`.
  profileId = await makePerson(server, 'crm-7', { first_name: 'Ida' }, { personalization: 'granted' });
});

afterAll(async () => {
  await server?.close();
  receiver?.closeAllConnections();
  await new Promise((resolve) => receiver?.close(resolve));
});

const journey = (steps: unknown[]) => ({
  format: 1,
  id: 'needs',
  version: 1,
  name: 'Needs',
  entry: { kind: 'event', event: 'Lead Qualified' },
  reentry: { mode: 'always' },
  defaultTimeZone: 'UTC',
  start: 'notify',
  steps: [...steps, { id: 'done', type: 'exit' }],
});

describe('a send that cannot go out is refused when it is made', () => {
  it('a journey: a webhook send without an address and a best step over email without a subject, errors at the steps', async () => {
    const answer = await server.adminRequest(
      'POST',
      '/api/journeys',
      journey([
        {
          id: 'notify',
          type: 'send',
          channel: 'webhook',
          purpose: 'crm',
          template: { body: 'x' },
          next: 'park',
        },
        {
          id: 'park',
          type: 'send',
          channel: 'best',
          channels: ['email', 'sms'],
          purpose: 'city_services',
          template: { body: 'Apply for a parking permit' },
          next: 'done',
        },
      ]),
    );
    expect(answer.status).toBe(400);
    expect(answer.body.issues).toEqual([
      expect.objectContaining({ code: 'channel_cannot_send', stepId: 'notify', field: '/steps/0/to/url' }),
      expect.objectContaining({
        code: 'channel_cannot_send',
        stepId: 'park',
        field: '/steps/1/template/subject',
      }),
    ]);
  });

  it('a journey webhook send with to.url is saved and delivered to that address', async () => {
    const saved = await server.adminRequest(
      'POST',
      '/api/journeys',
      journey([
        {
          id: 'notify',
          type: 'send',
          channel: 'webhook',
          purpose: 'crm',
          to: { url: `${hookUrl}/crm` },
          template: { body: 'Qualified: {{ traits.first_name }}' },
          next: 'done',
        },
      ]),
    );
    expect(saved.status).toBe(201);
    expect((await track(server, '/v1/track', { userId: 'crm-7', event: 'Lead Qualified' })).status).toBe(200);
    const [hit] = await eventually(
      async () => posted.filter((p) => p.path === '/crm'),
      (list) => list.length === 1,
    );
    expect(hit!.json).toMatchObject({
      channel: 'webhook',
      profileId,
      stepId: 'notify',
      content: { text: 'Qualified: Ida' },
    });
  });

  it('POST /api/messages: a webhook send goes to its to.url; without one it is a 400 naming to.url', async () => {
    const missing = await server.adminRequest('POST', '/api/messages', {
      profileId,
      channel: 'webhook',
      template: { body: 'x' },
    });
    expect(missing).toMatchObject({ status: 400, body: { field: 'to.url' } });
    const sent = await server.adminRequest('POST', '/api/messages', {
      profileId,
      channel: 'webhook',
      to: { url: `${hookUrl}/api-send` },
      template: { body: 'Hello {{ traits.first_name }}' },
    });
    expect(sent.status).toBe(202);
    const [hit] = await eventually(
      async () => posted.filter((p) => p.path === '/api-send'),
      (list) => list.length === 1,
    );
    expect(hit!.json).toMatchObject({ content: { text: 'Hello Ida' } });
  });

  it('POST /api/messages: an email without a subject is a 400 naming template.subject', async () => {
    const answer = await server.adminRequest('POST', '/api/messages', {
      profileId,
      channel: 'email',
      template: { body: 'x' },
    });
    expect(answer).toMatchObject({ status: 400, body: { field: 'template.subject' } });
  });

  it('POST /api/messages: a push whose deep link does not parse is a 400 naming template.url, not a failed send', async () => {
    const answer = await server.adminRequest('POST', '/api/messages', {
      profileId,
      channel: 'push',
      template: { subject: 'Hi', body: 'x', url: 'https://shop.test/{{ traits.first_name' },
    });
    expect(answer).toMatchObject({ status: 400, body: { field: 'template.url' } });
  });

  it('POST /api/messages: unknown fields are refused with a 400 naming them, never dropped', async () => {
    const answer = await server.adminRequest('POST', '/api/messages', {
      profileId,
      channel: 'email',
      template: { subject: 'Hi', body: 'x', htlm: '<p>x</p>' },
      offer: 'home-insurance-10',
    });
    expect(answer.status).toBe(400);
    expect(answer.body.fields).toEqual(['offer', 'template.htlm']);
    expect(answer.body.message).toContain('template.htlm');
    const outbox = await server.admin(`/api/outbox?profileId=${profileId}`);
    expect(outbox.body.items.filter((row: { channel: string }) => row.channel === 'email')).toEqual([]);
  });
});
