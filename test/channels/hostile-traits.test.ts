// Trait values are data, never template code: a person whose name is itself Liquid or HTML gets
// exactly that text on every channel. The template is rendered once, by the outbox; the
// channels deliver what they are handed. Real peers: an SMTP server, an HTTP receiver behind
// a signed webhook provider, and the task queue read over the admin API.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/recording-channel.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';
import { makePerson, type SmtpPeer, startSmtpPeer } from './support.ts';

const HOSTILE = {
  first_name: '{{ traits.email }}',
  last_name: '{% if true %}',
  nickname: '<script>alert(1)</script>',
};
const LITERAL = `${HOSTILE.first_name} ${HOSTILE.last_name} ${HOSTILE.nickname}`;
const GREETING = 'Hi {{ traits.first_name }} {{ traits.last_name }} {{ traits.nickname }}';

let server: TestServer;
let smtp: SmtpPeer;
let receiver: Server;
const posted: Array<{ path: string; json: { content: Record<string, string> } }> = [];
let profileId: string;
let hookUrl: string;

beforeAll(async () => {
  smtp = await startSmtpPeer();
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
  server = await startTestServer(
    { smtpUrl: smtp.url, emailFrom: 'Rapport <hello@example.org>' },
    { conductorPollMs: 20 },
  );
  server.server.channels.register(
    server.server.channels.webhookProvider({ name: 'sms', url: `${hookUrl}/sms` }),
  );
  profileId = await makePerson(
    server,
    'hostile-1',
    { ...HOSTILE, email: 'hostile@example.org', phone: '+31600000000' },
    { email: 'granted', sms: 'granted', personalization: 'granted' },
  );
});

afterAll(async () => {
  await server?.close();
  await smtp?.close();
  receiver?.closeAllConnections();
  await new Promise((resolve) => receiver?.close(resolve));
});

describe('hostile trait values are sent as written', () => {
  it('email: subject, text and HTML carry the literal values (HTML escaped), not the address or a failure', async () => {
    const answer = await server.adminRequest('POST', '/api/messages', {
      profileId,
      channel: 'email',
      template: { subject: GREETING, body: `${GREETING}\nBye.` },
    });
    expect(answer.status).toBe(202);
    const [mail] = await eventually(
      async () => smtp.received,
      (received) => received.length === 1,
    );
    expect(mail!.subject).toBe(`Hi ${LITERAL}`);
    expect(mail!.text).toContain(`Hi ${LITERAL}\nBye.`);
    expect(mail!.html).toMatch(/&(lt|#60);script&(gt|#62);alert\(1\)/);
    expect(mail!.html).not.toContain('<script>');
  });

  it('an HTML template: values escaped in the HTML part, the text part from body, <a> links tracked, stylesheets left alone, the pixel kept', async () => {
    const answer = await server.adminRequest('POST', '/api/messages', {
      profileId,
      channel: 'email',
      template: {
        subject: 'Your order',
        body: 'Hi {{ traits.nickname }}, see https://shop.example/orders/1',
        html: '<html><head><link rel="stylesheet" href="https://cdn.example/mail.css"></head><body><p>Hi {{ traits.nickname }}</p><a href="https://shop.example/orders/1">Your order</a></body></html>',
      },
    });
    expect(answer.status).toBe(202);
    const mail = await eventually(
      async () => smtp.received.find((m) => m.subject === 'Your order'),
      (found) => found !== undefined,
    );
    expect(mail!.text).toContain(`Hi ${HOSTILE.nickname}, see https://shop.example/orders/1`);
    const html = String(mail!.html);
    expect(html).not.toContain('<script>');
    expect(html).toContain('href="https://cdn.example/mail.css"');
    expect(html).not.toContain('href="https://shop.example/orders/1"');
    expect(html).toMatch(/<a href="[^"]*\/t\/c\/[^"]+"/);
    expect(html).toMatch(/<img src="[^"]*\/t\/o\/[^"]+\.gif"/);
  });

  it('a webhook-shaped provider (SMS): the signed body carries the literal values', async () => {
    const answer = await server.adminRequest('POST', '/api/messages', {
      profileId,
      channel: 'sms',
      template: { body: GREETING },
    });
    expect(answer.status).toBe(202);
    const [sms] = await eventually(
      async () => posted.filter((p) => p.path === '/sms'),
      (list) => list.length === 1,
    );
    expect(sms!.json.content.text).toBe(`Hi ${LITERAL}`);
  });

  it('the generic signed webhook (to.url): the body carries the literal values', async () => {
    const answer = await server.adminRequest('POST', '/api/messages', {
      profileId,
      channel: 'webhook',
      to: { url: `${hookUrl}/crm` },
      template: { subject: GREETING, body: GREETING },
    });
    expect(answer.status).toBe(202);
    const [hook] = await eventually(
      async () => posted.filter((p) => p.path === '/crm'),
      (list) => list.length === 1,
    );
    expect(hook!.json.content).toEqual({ subject: `Hi ${LITERAL}`, text: `Hi ${LITERAL}` });
  });

  it('a task created by a journey: title and note carry the literal values', async () => {
    const journey = {
      format: 1,
      id: 'hostile-task',
      version: 1,
      name: 'Call hostile people',
      entry: { kind: 'event', event: 'Callback Requested' },
      reentry: { mode: 'always' },
      defaultTimeZone: 'UTC',
      start: 'call',
      steps: [
        {
          id: 'call',
          type: 'createTask',
          queue: 'call-centre',
          title: GREETING,
          note: GREETING,
          next: 'done',
        },
        { id: 'done', type: 'exit' },
      ],
    };
    expect((await server.adminRequest('POST', '/api/journeys', journey)).status).toBe(201);
    expect(
      (await track(server, '/v1/track', { userId: 'hostile-1', event: 'Callback Requested' })).status,
    ).toBe(200);
    const items = await eventually(
      () =>
        server
          .admin('/api/tasks?queue=call-centre')
          .then((r) => r.body.items as Array<Record<string, unknown>>),
      (list) => list.length === 1,
    );
    expect(items[0]).toMatchObject({ title: `Hi ${LITERAL}`, note: `Hi ${LITERAL}`, profileId });
  });

  it('the task row records the step that created it, not the step the person moved on to', async () => {
    const [task] = (await server.admin('/api/tasks?queue=call-centre')).body.items;
    expect(task).toMatchObject({ journeyId: 'hostile-task', stepId: 'call' });
  });
});
