// The channels on the Settings page, on a real server: the configuration without secrets, a
// test send through email against a real SMTP server (smtp-server + mailparser) and through a
// webhook against a real node:http receiver, both kept in the arbitration log; the refusals
// (unknown channel, bad address, a task channel) naming the field; the consent purposes.
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { purposeUses, testSendReason } from '../../src/channels/settings-routes.ts';
import { type SmtpPeer, startSmtpPeer } from '../channels/support.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

let smtp: SmtpPeer;
let server: TestServer;
let receiver: Server;
let base: string;
const received: Array<{ path: string; headers: IncomingMessage['headers']; body: string }> = [];
/** Per path, the status the receiver answers (200 otherwise). */
const statusOf = new Map<string, number>();

beforeAll(async () => {
  receiver = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      const path = request.url ?? '/';
      received.push({ path, headers: request.headers, body });
      response.writeHead(statusOf.get(path) ?? 200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  smtp = await startSmtpPeer({ user: 'mailer', pass: 'hunter2-relay-secret' });
  // A relay URL with a user and password, and an SMS provider whose URL carries a key.
  const relay = new URL(smtp.url);
  relay.username = 'mailer';
  relay.password = 'hunter2-relay-secret';
  server = await startTestServer({
    smtpUrl: relay.toString(),
    emailFrom: 'City Hall <hello@city.example>',
    smsWebhookUrl: `${base}/sms/send?api_key=sms-provider-secret-key`,
  });
});

afterAll(async () => {
  receiver?.closeAllConnections();
  await new Promise((resolve) => receiver?.close(resolve));
  await server?.close();
  await smtp?.close();
});

describe('pure helpers', () => {
  it('says why a test send failed', () => {
    expect(testSendReason('a@b.c', { status: 'sent' })).toBe('test send to a@b.c: accepted');
    expect(testSendReason('a@b.c', { status: 'failed', error: 'smtp: 550 no' })).toBe(
      'test send to a@b.c: refused: smtp: 550 no',
    );
    expect(testSendReason('a@b.c', { status: 'retry', error: 'smtp: 451' })).toBe(
      'test send to a@b.c: temporary failure: smtp: 451',
    );
  });
  it('maps purposes to what needs them, and flags a needed purpose that is not configured', () => {
    const rows = purposeUses(['email', 'analytics'], [{ name: 'sms', purpose: 'sms' }]);
    expect(rows.find((r) => r.purpose === 'sms')).toEqual({
      purpose: 'sms',
      configured: false,
      usedBy: ['marketing sends on the sms channel'],
    });
    expect(rows.find((r) => r.purpose === 'email')).toEqual({
      purpose: 'email',
      configured: true,
      usedBy: [],
    });
  });
});

describe('GET /api/channels', () => {
  it('needs an admin token; a write key is refused', async () => {
    expect((await fetch(`${server.url}/api/channels`)).status).toBe(401);
    expect((await server.adminRequest('GET', '/api/channels', undefined, server.writeKey)).status).toBe(403);
    expect(
      (await server.adminRequest('POST', '/api/channels/email/test', { to: 'a@b.c' }, server.writeKey))
        .status,
    ).toBe(403);
    expect((await fetch(`${server.url}/api/consent-purposes`)).status).toBe(401);
  });

  it('lists email with host, port and from, and webhooks by host, never a secret', async () => {
    const listed = await server.adminRequest('GET', '/api/channels');
    expect(listed.status).toBe(200);
    const port = Number(new URL(smtp.url).port);
    const byName = Object.fromEntries(listed.body.items.map((c: { name: string }) => [c.name, c]));
    expect(byName.email).toMatchObject({
      transport: 'smtp',
      host: '127.0.0.1',
      port,
      secure: false,
      authenticated: true,
      from: 'City Hall <hello@city.example>',
      purpose: 'email',
      testable: true,
    });
    expect(byName.webhook).toMatchObject({ transport: 'webhook', destination: 'to.url of each message' });
    expect(byName.sms).toMatchObject({ transport: 'webhook', host: new URL(base).host, purpose: 'sms' });
    expect(byName.task).toMatchObject({ transport: 'task', testable: false });
    // Every field the Settings page reads (src/channels/schema.ts serialises them), the
    // relay's details only where there is a relay.
    const keysOf = (value: object) => Object.keys(value).sort();
    const always = ['name', 'purpose', 'transport', 'destination', 'testable'];
    expect(keysOf(byName.email)).toEqual(
      [...always, 'host', 'port', 'secure', 'authenticated', 'from', 'testTo'].sort(),
    );
    expect(keysOf(byName.task)).toEqual([...always].sort());
    for (const channel of listed.body.items) expect(keysOf(channel)).toEqual(expect.arrayContaining(always));
    const text = JSON.stringify(listed.body);
    for (const secret of ['hunter2-relay-secret', 'sms-provider-secret-key', 'mailer', '/sms/send'])
      expect(text).not.toContain(secret);
  });
});

describe('POST /api/channels/:name/test', () => {
  it('sends a real email through the relay and logs it as a test send', async () => {
    const before = smtp.received.length;
    const answer = await server.adminRequest('POST', '/api/channels/email/test', { to: 'ops@city.example' });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      accepted: true,
      status: 'sent',
      error: null,
      to: 'ops@city.example',
    });
    expect(Object.keys(answer.body).sort()).toEqual(
      [
        'channel',
        'to',
        'accepted',
        'status',
        'error',
        'providerMessageId',
        'idempotencyKey',
        'reason',
      ].sort(),
    );
    expect(smtp.received.length).toBe(before + 1);
    const mail = smtp.received.at(-1);
    expect(mail?.subject).toBe('Rapport test message');
    expect(mail?.to && 'text' in mail.to ? mail.to.text : '').toBe('ops@city.example');
    expect(mail?.from?.text).toContain('hello@city.example');
    expect(mail?.messageId).toBe(answer.body.providerMessageId);
    const log = await server.adminRequest('GET', '/api/decisions?profileId=test-send');
    expect(log.body.items[0]).toMatchObject({
      idempotencyKey: answer.body.idempotencyKey,
      channel: 'email',
      action: 'send',
      code: 'test_send',
      reason: 'test send to ops@city.example: accepted',
      journeyId: null,
    });
  });

  it('shows the SMTP error when the relay refuses the login', async () => {
    const relay = new URL(smtp.url);
    relay.username = 'mailer';
    relay.password = 'wrong-password';
    const other = await startTestServer({ smtpUrl: relay.toString() });
    try {
      const { body: answer } = await other.adminRequest('POST', '/api/channels/email/test', {
        to: 'ops@city.example',
      });
      expect(answer).toMatchObject({ accepted: false, status: 'failed' });
      expect(answer.error).toMatch(/^smtp: 535 .*invalid user name or password/);
    } finally {
      await other.close();
    }
  });

  it('shows the SMTP error when the relay refuses the recipient', async () => {
    smtp.refuse.set('gone@city.example', 550);
    const answer = await server.adminRequest('POST', '/api/channels/email/test', { to: 'gone@city.example' });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ accepted: false, status: 'failed' });
    expect(answer.body.error).toMatch(/^smtp: 550.*mailbox unavailable/);
    const log = await server.adminRequest('GET', '/api/decisions?profileId=test-send&limit=1');
    expect(log.body.items[0]).toMatchObject({ action: 'fail', code: 'test_send' });
    expect(log.body.items[0].reason).toMatch(/^test send to gone@city.example: refused: smtp: 550/);
  });

  it('posts a signed webhook to the URL given, and reports an HTTP error', async () => {
    const key = (await server.adminRequest('GET', '/api/channels/webhook-signing-key')).body.key as string;
    const answer = await server.adminRequest('POST', '/api/channels/webhook/test', {
      to: `${base}/hooks/crm?token=abc`,
    });
    expect(answer.body).toMatchObject({ accepted: true, status: 'sent', to: base });
    const hit = received.find((r) => r.path === '/hooks/crm?token=abc');
    expect(hit).toBeDefined();
    const timestamp = String(hit?.headers['x-rapport-timestamp']);
    const expected = `sha256=${createHmac('sha256', key).update(`${timestamp}.${hit?.body}`).digest('hex')}`;
    expect(hit?.headers['x-rapport-signature']).toBe(expected);
    expect(JSON.parse(hit?.body ?? '{}')).toMatchObject({
      channel: 'webhook',
      id: answer.body.idempotencyKey,
      content: { subject: 'Rapport test message' },
    });
    // The log keeps the receiver's host, not its path and token.
    const log = await server.adminRequest('GET', '/api/decisions?profileId=test-send&limit=1');
    expect(log.body.items[0].reason).toBe(`test send to ${base}: accepted`);

    statusOf.set('/hooks/missing', 404);
    const refused = await server.adminRequest('POST', '/api/channels/webhook/test', {
      to: `${base}/hooks/missing`,
    });
    expect(refused.body).toMatchObject({ accepted: false, status: 'failed', error: 'webhook: HTTP 404' });
  });

  it('sends through a provider at its fixed URL with the number given', async () => {
    const answer = await server.adminRequest('POST', '/api/channels/sms/test', {
      to: '+33 6 12 34 56 78',
      text: 'ping',
    });
    expect(answer.body).toMatchObject({ accepted: true });
    const hit = received.find((r) => r.path.startsWith('/sms/send'));
    expect(JSON.parse(hit?.body ?? '{}')).toMatchObject({
      channel: 'sms',
      to: { phone: '+33 6 12 34 56 78' },
      content: { text: 'ping' },
    });
  });

  it('refuses bad requests naming the field, and sends nothing', async () => {
    const mails = smtp.received.length;
    const notAddress = await server.adminRequest('POST', '/api/channels/email/test', {
      to: 'not-an-address',
    });
    expect(notAddress.status).toBe(400);
    expect(notAddress.body).toMatchObject({ field: 'to' });
    expect(notAddress.body.message).toMatch(/^to: must be an email address/);
    const notUrl = await server.adminRequest('POST', '/api/channels/webhook/test', {
      to: 'ftp://example.org/x',
    });
    expect(notUrl.status).toBe(400);
    expect(notUrl.body.field).toBe('to');
    const missing = await server.adminRequest('POST', '/api/channels/email/test', {});
    expect(missing.status).toBe(400);
    expect(missing.body.message).toContain('to');
    const unknown = await server.adminRequest('POST', '/api/channels/carrier-pigeon/test', { to: 'x' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.field).toBe('name');
    const task = await server.adminRequest('POST', '/api/channels/task/test', { to: 'call-centre' });
    expect(task.status).toBe(400);
    expect(task.body.message).toMatch(/no test send/);
    expect(smtp.received.length).toBe(mails);
  });
});

describe('GET /api/consent-purposes', () => {
  it('lists the configured purposes with the channels that need each', async () => {
    const answer = await server.adminRequest('GET', '/api/consent-purposes');
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ configuredBy: 'RAPPORT_CONSENT_PURPOSES', editable: true });
    expect(Object.keys(answer.body).sort()).toEqual(
      ['configuredBy', 'editable', 'purposes', 'retired', 'rules'].sort(),
    );
    for (const row of answer.body.purposes)
      expect(Object.keys(row).sort()).toEqual(
        ['purpose', 'configured', 'usedBy', 'description', 'source'].sort(),
      );
    const byPurpose = Object.fromEntries(
      answer.body.purposes.map((p: { purpose: string }) => [p.purpose, p]),
    );
    expect(Object.keys(byPurpose)).toEqual(
      expect.arrayContaining(['analytics', 'personalization', 'email', 'sms', 'push', 'phone', 'location']),
    );
    expect(byPurpose.email.usedBy).toEqual(['marketing sends on the email channel']);
    expect(byPurpose.personalization.usedBy).toContain('marketing sends on the webhook channel');
    expect(byPurpose.sms).toMatchObject({ configured: true, usedBy: ['marketing sends on the sms channel'] });
  });
});
