// Webhooks against a real node:http receiver: the signature verifies with the published key,
// a 500 then 200 is retried and delivered once, a hanging receiver times out with bounded
// attempts, a 4xx is final, and the per-destination rate limit holds at the receiver.
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutgoingMessage } from '../../src/channels/index.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { eventsNamed, makePerson } from './support.ts';

interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** Receiver's clock, in whole seconds since it started: for the per-second window count. */
  second: number;
}

let server: TestServer;
let receiver: Server;
let base: string;
let profileId: string;
const received: Received[] = [];
/** Per path: the statuses to answer in turn ('hang' never answers); then 200. */
const script = new Map<string, (number | 'hang')[]>();
const started = Date.now();
const hanging: ServerResponse[] = [];

beforeAll(async () => {
  receiver = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      const path = request.url ?? '/';
      received.push({
        path,
        headers: request.headers,
        body,
        second: Math.floor((Date.now() - started) / 1000),
      });
      const next = script.get(path)?.shift() ?? 200;
      if (next === 'hang') {
        hanging.push(response);
        return;
      }
      response.writeHead(next, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  server = await startTestServer();
  profileId = await makePerson(server, 'crm-1', { first_name: 'Grace' });
});

afterAll(async () => {
  for (const response of hanging) response.destroy();
  receiver?.closeAllConnections();
  await new Promise((resolve) => receiver?.close(resolve));
  await server?.close();
});

function message(key: string, path: string): OutgoingMessage {
  return {
    idempotencyKey: key,
    profileId,
    channel: 'webhook',
    journeyId: 'mortgage-cross-sell',
    to: { url: `${base}${path}` },
    content: { text: 'Call Grace about home insurance' },
  };
}

function quickWebhook(options: { timeoutMs?: number; ratePerSecond?: number } = {}) {
  return server.server.channels.webhookProvider({
    name: 'webhook',
    timeoutMs: options.timeoutMs ?? 2000,
    retries: 2,
    minBackoffMs: 10,
    ...(options.ratePerSecond ? { ratePerSecond: options.ratePerSecond, maxRateWaitMs: 60_000 } : {}),
  });
}

const at = (path: string) => received.filter((r) => r.path === path);

describe('webhook channel', () => {
  it('POSTs JSON signed with HMAC-SHA256 over timestamp and body, verifiable with the published key', async () => {
    const result = await server.server.channels.get('webhook')?.deliver(message('w-1', '/signed'));
    expect(result?.status).toBe('sent');
    const [request] = at('/signed');
    const { body: keyBody } = await server.admin('/api/channels/webhook-signing-key');
    const timestamp = String(request?.headers['x-rapport-timestamp']);
    const expected = `sha256=${createHmac('sha256', keyBody.key).update(`${timestamp}.${request?.body}`).digest('hex')}`;
    expect(request?.headers['x-rapport-signature']).toBe(expected);
    expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(300);
    expect(request?.headers['x-rapport-idempotency-key']).toBe('w-1');
    expect(JSON.parse(String(request?.body))).toMatchObject({
      id: 'w-1',
      profileId,
      journeyId: 'mortgage-cross-sell',
      content: { text: 'Call Grace about home insurance' },
    });
    const forged = `sha256=${createHmac('sha256', 'wrong').update(`${timestamp}.${request?.body}`).digest('hex')}`;
    expect(forged).not.toBe(request?.headers['x-rapport-signature']);
    const delivered = await eventsNamed(server, profileId, 'Webhook Delivered');
    expect(delivered.map((e) => e.properties.send_key)).toEqual(['w-1']);
  });

  it('retries a 500 and delivers once, with the same idempotency key on every attempt', async () => {
    script.set('/flaky', [500, 503]);
    const result = await quickWebhook().deliver(message('w-2', '/flaky'));
    expect(result.status).toBe('sent');
    expect(at('/flaky').map((r) => r.headers['x-rapport-idempotency-key'])).toEqual(['w-2', 'w-2', 'w-2']);
    const delivered = await eventsNamed(server, profileId, 'Webhook Delivered');
    expect(delivered.filter((e) => e.properties.send_key === 'w-2')).toHaveLength(1);
  });

  it('a receiver that hangs is timed out, tried a bounded number of times, and handed back as retry', async () => {
    script.set('/hang', ['hang', 'hang', 'hang', 'hang']);
    const result = await quickWebhook({ timeoutMs: 200 }).deliver(message('w-3', '/hang'));
    expect(result.status).toBe('retry');
    expect(result.error).toContain('no answer within 200 ms');
    expect(result.retryAfterMs).toBeGreaterThan(0);
    expect(at('/hang')).toHaveLength(3);
  });

  it('a 4xx is final: no retry, Webhook Failed recorded', async () => {
    script.set('/gone', [410, 200]);
    const result = await quickWebhook().deliver(message('w-4', '/gone'));
    expect(result).toMatchObject({ status: 'failed', error: 'webhook: HTTP 410' });
    expect(at('/gone')).toHaveLength(1);
    const failed = await eventsNamed(server, profileId, 'Webhook Failed');
    expect(failed.map((e) => e.properties.send_key)).toEqual(['w-4']);
  });

  it('holds each destination to its rate: no receiver second sees more than the limit', async () => {
    const channel = quickWebhook({ ratePerSecond: 3 });
    const results = await Promise.all(
      Array.from({ length: 9 }, (_, i) => channel.deliver(message(`w-rate-${i}`, '/rated'))),
    );
    expect(results.every((r) => r.status === 'sent')).toBe(true);
    const perSecond = new Map<number, number>();
    for (const r of at('/rated')) perSecond.set(r.second, (perSecond.get(r.second) ?? 0) + 1);
    expect(at('/rated')).toHaveLength(9);
    // A window that straddles two of the limiter's seconds may see up to twice the rate.
    expect(Math.max(...perSecond.values())).toBeLessThanOrEqual(6);
    expect(perSecond.size).toBeGreaterThanOrEqual(2);
  });

  it('refuses a message without a destination', async () => {
    const result = await server.server.channels.get('webhook')?.deliver({ ...message('w-5', '/x'), to: {} });
    expect(result).toMatchObject({ status: 'failed' });
  });
});
