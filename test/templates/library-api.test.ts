// The template library over HTTP on a real server: create, edit as versions (a stale edit
// refused), duplicate, archive and delete refused while a journey names the template; journeys
// naming a template get its content copied in at save (the latest, or the pinned version), are
// refused when it is unknown or written for another channel; and a person entering such a journey
// receives the template's email at a real SMTP peer. SMS renders with its segments, push with its
// deep link, and a test send goes out on the SMS provider's webhook (a real node:http receiver).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePerson, type SmtpPeer, startSmtpPeer } from '../channels/support.ts';
import { eventually } from '../support/recording-channel.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';

let smtp: SmtpPeer;
let server: TestServer;
let receiver: Server;
const smsReceived: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  receiver = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      smsReceived.push(JSON.parse(body) as Record<string, unknown>);
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  smtp = await startSmtpPeer();
  server = await startTestServer(
    { smtpUrl: smtp.url, emailFrom: 'Shop <hello@shop.example>', smsWebhookUrl: `${base}/sms` },
    { conductorPollMs: 20 },
  );
}, 120_000);

afterAll(async () => {
  receiver?.closeAllConnections();
  await new Promise((resolve) => receiver?.close(resolve));
  await server?.close();
  await smtp?.close();
});

const EMAIL = {
  subject: 'Welcome, {{ traits.first_name }}',
  text: 'Hi {{ traits.first_name }}, glad you are here.',
};

function journey(id: string, step: Record<string, unknown>, version = 1) {
  return {
    format: 1,
    id,
    version,
    name: `Journey ${id}`,
    entry: { kind: 'event', event: `${id} started` },
    reentry: { mode: 'always' },
    defaultTimeZone: 'UTC',
    start: 'send',
    steps: [
      { id: 'send', type: 'send', channel: 'email', purpose: 'email', next: 'done', ...step },
      { id: 'done', type: 'exit' },
    ],
  };
}

describe('the template library', () => {
  it('creates, edits as versions, refuses a stale edit, and lists the history', async () => {
    const created = await server.adminRequest('POST', '/api/templates', {
      name: 'Welcome email',
      channel: 'email',
      content: EMAIL,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: 'welcome-email',
      latestVersion: 1,
      status: 'active',
      usedBy: [],
    });
    const taken = await server.adminRequest('POST', '/api/templates', {
      name: 'Other',
      id: 'welcome-email',
      channel: 'sms',
      content: { body: 'x' },
    });
    expect(taken.status).toBe(409);
    const edited = await server.adminRequest('PUT', '/api/templates/welcome-email', {
      baseVersion: 1,
      name: 'Welcome email',
      content: { ...EMAIL, subject: 'Welcome aboard, {{ traits.first_name }}' },
      note: 'warmer subject',
    });
    expect(edited.status).toBe(200);
    expect(edited.body.latestVersion).toBe(2);
    const stale = await server.adminRequest('PUT', '/api/templates/welcome-email', {
      baseVersion: 1,
      name: 'Welcome email',
      content: { ...EMAIL, subject: 'lost' },
    });
    expect(stale.status).toBe(409);
    expect(stale.body.message).toContain('is at version 2 now, not 1');
    const versions = await server.admin('/api/templates/welcome-email/versions');
    expect(
      versions.body.items.map((v: { version: number; note: string | null }) => [v.version, v.note]),
    ).toEqual([
      [2, 'warmer subject'],
      [1, null],
    ]);
    expect((await server.admin('/api/templates/welcome-email/versions/1')).body.content).toEqual(EMAIL);
  });

  it('refuses content that does not fit the channel, naming the field', async () => {
    const noText = await server.adminRequest('POST', '/api/templates', {
      name: 'Broken',
      channel: 'email',
      content: { subject: 'S' },
    });
    expect(noText.status).toBe(400);
    expect(noText.body.field).toBe('content.text');
    const unknownField = await server.adminRequest('POST', '/api/templates', {
      name: 'Broken',
      channel: 'sms',
      content: { body: 'x', title: 'no' },
    });
    expect(unknownField.status).toBe(400);
    expect(unknownField.body.message).toContain('a sms template has body');
    const badField = await server.adminRequest('POST', '/api/templates', {
      name: 'Broken',
      channel: 'push',
      content: { title: 'T', body: 'B' },
      colour: 'red',
    });
    expect(badField.status).toBe(400);
    expect(badField.body.message).toContain('colour');
  });

  it('copies the template into a journey at save: the latest, or the pinned version', async () => {
    const latest = await server.adminRequest(
      'POST',
      '/api/journeys',
      journey('follows', { templateId: 'welcome-email' }),
    );
    expect(latest.status).toBe(201);
    const step = latest.body.definition.steps[0];
    expect(step.templateCopiedFrom).toEqual({ id: 'welcome-email', version: 2 });
    expect(step.template).toEqual({ subject: 'Welcome aboard, {{ traits.first_name }}', body: EMAIL.text });
    const pinned = await server.adminRequest(
      'POST',
      '/api/journeys',
      journey('pinned', { templateId: 'welcome-email', templateVersion: 1 }),
    );
    expect(pinned.status).toBe(201);
    expect(pinned.body.definition.steps[0].template.subject).toBe(EMAIL.subject);
    const used = await server.admin('/api/templates/welcome-email');
    expect(
      used.body.usedBy.map(
        (u: { journeyId: string; pinnedVersion: number | null; copiedVersion: number }) => [
          u.journeyId,
          u.pinnedVersion,
          u.copiedVersion,
        ],
      ),
    ).toEqual([
      ['follows', null, 2],
      ['pinned', 1, 1],
    ]);
  });

  it('refuses a journey naming an unknown template or version, or one for another channel', async () => {
    await server.adminRequest('POST', '/api/templates', {
      name: 'Cart SMS',
      channel: 'sms',
      content: { body: 'x' },
    });
    const check = async (step: Record<string, unknown>) =>
      (await server.adminRequest('POST', '/api/journeys/check', journey('refused', step))).body.issues;
    expect(await check({ templateId: 'nothing-here' })).toEqual([
      expect.objectContaining({ code: 'unknown_template', field: '/steps/0/templateId' }),
    ]);
    expect(await check({ templateId: 'welcome-email', templateVersion: 9 })).toEqual([
      expect.objectContaining({
        field: '/steps/0/templateVersion',
        message: 'step send pins version 9 of template welcome-email, which has versions 1 to 2',
      }),
    ]);
    expect(await check({ templateId: 'cart-sms' })).toEqual([
      expect.objectContaining({
        field: '/steps/0/templateId',
        message: 'step send may send by email, but template Cart SMS is written for sms',
      }),
    ]);
    expect(await check({})).toEqual([
      expect.objectContaining({ code: 'invalid_template', field: '/steps/0/template' }),
    ]);
    const saved = await server.adminRequest(
      'POST',
      '/api/journeys',
      journey('refused', { templateId: 'cart-sms' }),
    );
    expect(saved.status).toBe(400);
  });

  it('refuses archive and delete while a journey names the template; allows them after', async () => {
    await server.adminRequest(
      'POST',
      '/api/journeys',
      journey('short-lived', { templateId: 'cart-sms', channel: 'sms', purpose: 'sms' }),
    );
    const archive = await server.adminRequest('PUT', '/api/templates/cart-sms/status', {
      status: 'archived',
    });
    expect(archive.status).toBe(409);
    expect(archive.body.message).toContain('is used by Journey short-lived');
    const remove = await server.adminRequest('DELETE', '/api/templates/cart-sms');
    expect(remove.status).toBe(409);
    expect((await server.adminRequest('DELETE', '/api/journeys/short-lived')).status).toBeLessThan(300);
    const copy = await server.adminRequest('POST', '/api/templates/cart-sms/duplicate', {});
    expect(copy.status).toBe(201);
    expect(copy.body).toMatchObject({
      name: 'Cart SMS (copy)',
      channel: 'sms',
      latestVersion: 1,
      content: { body: 'x' },
    });
    expect(
      (await server.adminRequest('PUT', '/api/templates/cart-sms/status', { status: 'archived' })).status,
    ).toBe(200);
    const archivedUse = await server.adminRequest(
      'POST',
      '/api/journeys/check',
      journey('again', { templateId: 'cart-sms', channel: 'sms', purpose: 'sms' }),
    );
    expect(archivedUse.body.issues[0].message).toContain('is archived');
    expect((await server.adminRequest('DELETE', '/api/templates/cart-sms')).status).toBe(204);
    expect((await server.admin('/api/templates/cart-sms')).status).toBe(404);
  });

  it('a person entering a journey receives the library template’s email at the SMTP peer', async () => {
    const profileId = await makePerson(
      server,
      'u-ada',
      { first_name: 'Ada', email: 'ada@shop.example' },
      { email: 'granted' },
    );
    expect((await track(server, '/v1/track', { userId: 'u-ada', event: 'follows started' })).status).toBe(
      200,
    );
    const [mail] = await eventually(
      async () => smtp.received.filter((m) => JSON.stringify(m.to).includes('ada@shop.example')),
      (mails) => mails.length === 1,
    );
    expect(mail?.subject).toBe('Welcome aboard, Ada');
    expect(mail?.text?.split('\n')[0]).toBe('Hi Ada, glad you are here.');
    // The delivery event names the library template, for reports by template.
    await server.settle();
    const sent = await server.server.pipeline.eventsOf({
      profileIds: [profileId],
      limit: 10,
      name: 'Email Sent',
    });
    expect(sent.map((e) => e.properties.template_id)).toEqual(['welcome-email']);
  }, 180_000);

  it('renders SMS with its segments and push with its deep link for a person; never cached', async () => {
    const profileId = await makePerson(server, 'u-bo', { first_name: 'Bo' });
    const sms = await fetch(`${server.url}/api/templates/render`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ channel: 'sms', content: { body: 'Hi {{ traits.first_name }} 😀' }, profileId }),
    });
    expect(sms.status).toBe(200);
    expect(sms.headers.get('cache-control')).toBe('no-store');
    expect(await sms.json()).toEqual({
      channel: 'sms',
      body: 'Hi Bo 😀',
      sms: { encoding: 'UCS-2', segments: 1, characters: 7, unicodeCharacters: ['😀'] },
    });
    const push = await server.adminRequest('POST', '/api/templates/render', {
      channel: 'push',
      content: {
        title: 'For {{ traits.first_name }}',
        body: 'Your cart',
        deepLink: 'shop://cart/{{ person.id }}',
      },
      profileId,
    });
    expect(push.body).toEqual({
      channel: 'push',
      title: 'For Bo',
      body: 'Your cart',
      deepLink: `shop://cart/${profileId}`,
    });
  });

  it('test-sends SMS through the provider webhook, and refuses push where no push provider is configured', async () => {
    const sent = await server.adminRequest('POST', '/api/templates/send-test', {
      channel: 'sms',
      content: { body: 'Test for {{ traits.first_name | default: "you" }}' },
      to: '+447700900123',
    });
    expect(sent.status).toBe(200);
    expect(sent.body).toMatchObject({ accepted: true, to: '+447700900123' });
    const received = await eventually(
      async () => smsReceived,
      (list) => list.length === 1,
    );
    expect(JSON.stringify(received[0])).toContain('Test for you');
    expect(JSON.stringify(received[0])).toContain('+447700900123');
    const badNumber = await server.adminRequest('POST', '/api/templates/send-test', {
      channel: 'sms',
      content: { body: 'x' },
      to: '07700 900123',
    });
    expect(badNumber.status).toBe(400);
    expect(badNumber.body.field).toBe('to');
    const push = await server.adminRequest('POST', '/api/templates/send-test', {
      channel: 'push',
      content: { title: 'T', body: 'B' },
      to: 'u-ada',
    });
    expect(push.status).toBe(409);
    expect(push.body.message).toContain('no push channel is configured');
  });
});
