// Bad input against the real server over HTTP: every request gets a clear 4xx naming the field
// or limit (so real clients do not retry it), the server keeps answering, the good messages of
// a mixed batch land on their profiles, and every bad message is kept as a dead letter.
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { Analytics } from '@segment/analytics-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePayload } from '../../src/events/index.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';
import { startRecordingProxy } from './recording-proxy.ts';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t?.close();
});

const tag = () => randomBytes(5).toString('hex');

type Reply = Awaited<ReturnType<typeof track>>;

/** POSTs raw bytes (not re-encoded) with the test write key. */
async function post(
  path: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
): Promise<Reply> {
  return track(t, path, typeof body === 'string' ? body : new Uint8Array(body), headers);
}

async function expectAlive(): Promise<void> {
  const health = await fetch(`${t.url}/health`);
  expect(health.status).toBe(200);
}

/** The dead letter whose stored body mentions marker (a unique messageId or id). */
async function deadLetterWith(marker: string): Promise<{ code: string; field: string; reason: string }> {
  const list = await t.admin('/api/dead-letters?limit=500');
  const found = list.body.items.filter((d: { body: string }) => d.body.includes(marker));
  expect(found, `dead letter for ${marker}`).toHaveLength(1);
  return found[0];
}

async function storedMessage(messageId: string): Promise<Record<string, any>> {
  const records = await t.server.state.log.read(0, 100_000);
  const record = records.find((r) => r.messageId === messageId);
  expect(record, messageId).toBeDefined();
  return JSON.parse(record?.json ?? '{}');
}

const ROUTES = [
  ['track', '/v1/track'],
  ['identify', '/v1/identify'],
  ['page', '/v1/page'],
  ['screen', '/v1/screen'],
  ['group', '/v1/group'],
  ['alias', '/v1/alias'],
  ['batch', '/v1/batch'],
  ['track', '/v1/t'],
  ['batch', '/v1/b'],
  ['batch', '/v1/import'],
] as const;

type RouteType = (typeof ROUTES)[number][0];
type MessageType = Exclude<RouteType, 'batch'>;

function validMessage(type: MessageType, userId: string, messageId: string): Record<string, unknown> {
  const base = { messageId, userId };
  switch (type) {
    case 'track':
      return { ...base, event: 'Signed Up' };
    case 'identify':
      return { ...base, traits: { plan: 'pro' } };
    case 'page':
    case 'screen':
      return { ...base, name: 'Home' };
    case 'group':
      return { ...base, groupId: 'g-1' };
    case 'alias':
      return { ...base, previousId: `prev-${messageId}` };
  }
}

/** The request body for a route: the message itself, or a batch of one (as type track). */
function bodyFor(route: RouteType, message: Record<string, unknown>): Record<string, unknown> {
  return route === 'batch' ? { batch: [{ type: 'track', ...message }] } : message;
}

function messageFor(route: RouteType, userId: string, messageId: string) {
  return validMessage(route === 'batch' ? 'track' : route, userId, messageId);
}

describe.each(ROUTES)('%s route %s', (route, path) => {
  it('malformed JSON → 400 naming the body', async () => {
    const reply = await post(path, '{"userId": "u", "event": ');
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ error: 'RAPPORT_INGEST_MALFORMED_BODY', field: 'body' });
    expect(reply.body.message).toMatch(/body is not valid JSON/);
    await expectAlive();
  });

  it('empty body → 400 naming the body', async () => {
    for (const empty of ['', '   \n']) {
      const reply = await post(path, empty);
      expect(reply.status).toBe(400);
      expect(reply.body).toMatchObject({ error: 'RAPPORT_INGEST_MALFORMED_BODY', field: 'body' });
      expect(reply.body.message).toMatch(/body is empty/);
    }
    await expectAlive();
  });

  it('userId as an object → 400 naming userId, kept as a dead letter', async () => {
    const id = `uobj-${tag()}`;
    const message = { ...messageFor(route, 'x', id), userId: { id: 1 } };
    const reply = await post(path, JSON.stringify(bodyFor(route, message)));
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ error: 'RAPPORT_INGEST_INVALID_MESSAGE', field: 'userId' });
    expect(reply.body.message).toMatch(/^userId: /);
    const dead = await deadLetterWith(id);
    expect(dead).toMatchObject({ field: 'userId', code: 'RAPPORT_INGEST_INVALID_MESSAGE' });
    expect(dead.reason).toMatch(/userId must be/);
    await expectAlive();
  });

  it('neither userId nor anonymousId → 400 naming userId, kept as a dead letter', async () => {
    const id = `noid-${tag()}`;
    const { userId: _dropped, ...message } = messageFor(route, 'x', id);
    const reply = await post(path, JSON.stringify(bodyFor(route, message)));
    expect(reply.status).toBe(400);
    expect(reply.body.field).toBe('userId');
    expect(reply.body.message).toMatch(/userId .*required/);
    expect((await deadLetterWith(id)).field).toBe('userId');
    await expectAlive();
  });

  it('unknown write key → 401, nothing stored', async () => {
    const before = await t.server.state.log.countEntries();
    const deadBefore = await t.server.state.log.countDeadLetters();
    const reply = await track(
      { url: t.url, writeKey: 'rk_write_nobody_0000' },
      path,
      bodyFor(route, messageFor(route, 'u-401', `k-${tag()}`)),
    );
    expect(reply.status).toBe(401);
    expect(reply.body.error).toBe('RAPPORT_INGEST_UNKNOWN_WRITE_KEY');
    expect(await t.server.state.log.countEntries()).toBe(before);
    expect(await t.server.state.log.countDeadLetters()).toBe(deadBefore);
  });

  it('a message over 32 KB → 413 naming the 32 KB limit, kept as a dead letter', async () => {
    const id = `big-${tag()}`;
    const message = { ...messageFor(route, 'u-big', id), context: { blob: 'x'.repeat(40 * 1024) } };
    const reply = await post(path, JSON.stringify(bodyFor(route, message)));
    expect(reply.status).toBe(413);
    expect(reply.body.error).toBe('RAPPORT_INGEST_MESSAGE_TOO_LARGE');
    expect(reply.body.message).toMatch(/limit is 32768 bytes \(32 KB\)/);
    expect((await deadLetterWith(id)).reason).toMatch(/32 KB/);
    await expectAlive();
  });
});

describe('wrong types name the field', () => {
  it.each([
    ['/v1/track', { event: 42 }, 'event', { userId: 'u' }],
    ['/v1/identify', { traits: ['a', 'b'] }, 'traits', { userId: 'u' }],
    ['/v1/group', { traits: [1] }, 'traits', { userId: 'u', groupId: 'g' }],
    ['/v1/page', { name: { a: 1 } }, 'name', { userId: 'u' }],
    ['/v1/track', { event: 'E', properties: [1, 2] }, 'properties', { userId: 'u' }],
  ] as const)('%s %j → 400 naming %s', async (path, wrong, field, rest) => {
    const id = `type-${tag()}`;
    const reply = await post(path, JSON.stringify({ messageId: id, ...rest, ...wrong }));
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ error: 'RAPPORT_INGEST_INVALID_MESSAGE', field });
    expect(reply.body.message).toMatch(new RegExp(`^${field}: ${field} must be`));
    expect((await deadLetterWith(id)).field).toBe(field);
    await expectAlive();
  });
});

describe('a mixed batch', () => {
  it('lands every good message on its profile and dead-letters each bad one with its reason', async () => {
    const run = tag();
    const user = `mixed-${run}`;
    const id = (name: string) => `${name}-${run}`;
    // JSON.stringify cannot write 10,000 levels, so the deep value is spliced into the text.
    const deep = 'DEEP-PLACEHOLDER';
    const deepText = `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`;
    const good = [
      { type: 'identify', messageId: id('g-identify'), userId: user, traits: { plan: 'pro' } },
      { type: 'track', messageId: id('g-track'), userId: user, event: 'Good' },
      {
        type: 'track',
        messageId: id('g-1990'),
        userId: user,
        event: 'Old',
        timestamp: '1990-03-04T05:06:07.890Z',
      },
    ];
    const bad = [
      [{ type: 'track', messageId: id('b-event'), userId: user, event: 42 }, 'event', /event must be/],
      [
        { type: 'identify', messageId: id('b-traits'), userId: user, traits: [1] },
        'traits',
        /traits must be/,
      ],
      [{ type: 'track', messageId: id('b-user'), userId: { x: 1 }, event: 'E' }, 'userId', /userId must be/],
      [{ type: 'track', messageId: id('b-noid'), event: 'E' }, 'userId', /required/],
      [
        {
          type: 'track',
          messageId: id('b-big'),
          userId: user,
          event: 'E',
          properties: { s: 'x'.repeat(33_000) },
        },
        '',
        /32 KB/,
      ],
      [
        { type: 'track', messageId: id('b-deep'), userId: user, event: 'E', properties: deep },
        'properties.a.a',
        /nested \d+ levels deep; the limit is \d+ levels/,
      ],
      [
        { type: 'track', messageId: id('b-time'), userId: user, event: 'E', timestamp: 'yesterday at noon' },
        'timestamp',
        /timestamp must be an ISO-8601 date/,
      ],
    ] as const;
    const batch = [good[0], bad[0][0], good[1], bad[1][0], bad[2][0], bad[3][0], bad[4][0], good[2]];
    batch.push(bad[5][0], bad[6][0]);
    const reply = await post('/v1/batch', JSON.stringify({ batch }).replace(`"${deep}"`, deepText));
    expect(reply.status).toBe(200);
    expect(reply.body.accepted).toBe(good.length);
    expect(reply.body.rejected).toHaveLength(bad.length);
    for (const [message, field, reason] of bad) {
      const index = batch.indexOf(message);
      const rejection = reply.body.rejected.find((r: { index: number }) => r.index === index);
      expect(rejection, message.messageId).toBeDefined();
      expect(rejection.field.startsWith(field), `${message.messageId}: ${rejection.field}`).toBe(true);
      expect(rejection.reason).toMatch(reason);
      const dead = await deadLetterWith(message.messageId);
      expect(dead.field).toBe(rejection.field);
      expect(dead.reason).toBe(rejection.reason);
    }
    await expectAlive();

    await t.settle();
    const profile = await t.admin(`/api/profiles/lookup?userId=${user}`);
    expect(profile.status).toBe(200);
    expect(profile.body.eventCount).toBe(good.length);
    expect(profile.body.lastEvents.map((e: { messageId: string }) => e.messageId).sort()).toEqual(
      good.map((m) => m.messageId).sort(),
    );
    expect(profile.body.traits.plan).toBe('pro');
  });
});

describe('identifier limits', () => {
  it('twelve identifies with 4,000-character userIds → 400 naming userId and the limit; a good one beside them lands', async () => {
    const run = tag();
    const long = Array.from({ length: 12 }, (_, i) => ({
      type: 'identify',
      messageId: `long-${i}-${run}`,
      userId: `${i}${randomBytes(2000).toString('hex')}`.slice(0, 4000),
    }));
    const alone = await post('/v1/batch', JSON.stringify({ batch: long }));
    expect(alone.status).toBe(400);
    expect(alone.body.rejected).toHaveLength(12);
    expect(alone.body.rejected[0]).toMatchObject({
      code: 'RAPPORT_INGEST_FIELD_TOO_LONG',
      field: 'userId',
      reason: 'userId is 4000 characters; the limit is 255 characters',
    });
    expect((await deadLetterWith(`long-0-${run}`)).field).toBe('userId');

    const good = {
      type: 'identify',
      messageId: `short-${run}`,
      userId: `short-${run}`,
      traits: { plan: 'pro' },
    };
    const mixed = await post('/v1/batch', JSON.stringify({ batch: [...long.slice(0, 3), good] }));
    expect(mixed.status).toBe(200);
    expect(mixed.body.accepted).toBe(1);
    await t.settle();
    expect((await t.admin(`/api/profiles/lookup?userId=short-${run}`)).status).toBe(200);
    await expectAlive();
  });
});

describe('whole-request limits', () => {
  it('a request over 500 KB → 413 naming the limit; nothing stored', async () => {
    const before = await t.server.state.log.countEntries();
    const body = JSON.stringify({
      batch: Array.from({ length: 20 }, (_, i) => ({
        type: 'track',
        userId: `u-${i}`,
        event: 'E',
        properties: { s: 'x'.repeat(30 * 1024) },
      })),
    });
    expect(body.length).toBeGreaterThan(500 * 1024);
    const reply = await post('/v1/batch', body);
    expect(reply.status).toBe(413);
    expect(reply.body).toMatchObject({ error: 'RAPPORT_INGEST_REQUEST_TOO_LARGE', limit: 500 * 1024 });
    expect(reply.body.message).toMatch(/500 KB/);
    expect(await t.server.state.log.countEntries()).toBe(before);
    await expectAlive();
  });

  it('a gzip bomb (10 MB of zeros) → 413 naming the limit, and the server stays up', async () => {
    const bomb = gzipSync(Buffer.alloc(10 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(500 * 1024);
    const reply = await post('/v1/batch', bomb, { 'content-encoding': 'gzip' });
    expect(reply.status).toBe(413);
    expect(reply.body.error).toBe('RAPPORT_INGEST_REQUEST_TOO_LARGE');
    expect(reply.body.message).toMatch(/uncompressed; the limit is 512000 bytes \(500 KB\)/);
    await expectAlive();
    // And a well-formed gzip body still works afterwards.
    const ok = await post('/v1/track', gzipSync(JSON.stringify({ userId: 'gz', event: 'Zipped' })), {
      'content-encoding': 'gzip',
    });
    expect(ok.status).toBe(200);
  });

  it('a batch over 2,500 messages → 413 naming the limit; nothing stored', async () => {
    const before = await t.server.state.log.countEntries();
    const batch = Array.from({ length: 2501 }, () => ({ type: 'track', userId: 'u', event: 'E' }));
    const reply = await post('/v1/batch', JSON.stringify({ batch }));
    expect(reply.status).toBe(413);
    expect(reply.body).toMatchObject({ error: 'RAPPORT_INGEST_BATCH_TOO_LONG', limit: 2500, field: 'batch' });
    expect(reply.body.message).toMatch(/2501 messages; the limit is 2500/);
    expect(await t.server.state.log.countEntries()).toBe(before);
    await expectAlive();
  });

  it('a 1 MB string: over the request limit on the wire, over the message limit once parsed', async () => {
    const reply = await post(
      '/v1/track',
      JSON.stringify({ userId: 'u', event: 'E', properties: { s: 'y'.repeat(1 << 20) } }),
    );
    // 1 MB cannot pass the 500 KB request limit, so the request limit answers first…
    expect(reply.status).toBe(413);
    expect(reply.body.error).toBe('RAPPORT_INGEST_REQUEST_TOO_LARGE');
    await expectAlive();
    // …and a message carrying it (e.g. a server with a larger request limit) fails the message limit.
    const parsed = parsePayload(
      { userId: 'u', event: 'E', properties: { s: 'y'.repeat(1 << 20) } },
      'track',
      { receivedAt: new Date() },
    );
    expect(parsed.accepted).toEqual([]);
    expect(parsed.rejected[0]).toMatchObject({ code: 'RAPPORT_INGEST_MESSAGE_TOO_LARGE' });
    expect(parsed.rejected[0]?.reason).toMatch(/32 KB/);
  });
});

describe('nesting, encoding and strings', () => {
  it('10,000 levels of nesting → 400 naming the depth, kept as a dead letter, server up', async () => {
    const id = `deep-${tag()}`;
    const body = `{"messageId":"${id}","userId":"u-deep","event":"E","properties":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}`;
    const reply = await post('/v1/track', body);
    expect(reply.status).toBe(400);
    expect(reply.body.error).toBe('RAPPORT_INGEST_MESSAGE_TOO_DEEP');
    expect(reply.body.field).toMatch(/^properties\.a\.a/);
    expect(reply.body.message).toMatch(/nested \d+ levels deep; the limit is \d+ levels/);
    expect((await deadLetterWith(id)).code).toBe('RAPPORT_INGEST_MESSAGE_TOO_DEEP');
    await expectAlive();
  });

  it('200,000 nested arrays inside 500 KB → 400 naming the depth, server up', async () => {
    const id = `deeparr-${tag()}`;
    const body = `{"batch":[{"type":"track","messageId":"${id}","userId":"u-deep","event":"E","properties":{"x":${'['.repeat(200_000)}${']'.repeat(200_000)}}}]}`;
    expect(body.length).toBeLessThan(500 * 1024);
    const reply = await post('/v1/batch', body);
    expect(reply.status).toBe(400);
    expect(reply.body.error).toBe('RAPPORT_INGEST_MESSAGE_TOO_DEEP');
    expect((await deadLetterWith(id)).field).toMatch(/^properties\.x\[0\]/);
    await expectAlive();
  });

  it('invalid UTF-8 bytes → 400 naming UTF-8', async () => {
    const body = Buffer.concat([
      Buffer.from('{"userId":"u-utf","event":"'),
      Buffer.from([0xc3, 0x28, 0xff]),
      Buffer.from('"}'),
    ]);
    const reply = await post('/v1/track', body);
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ error: 'RAPPORT_INGEST_INVALID_UTF8', field: 'body' });
    expect(reply.body.message).toMatch(/UTF-8/);
    await expectAlive();
  });

  it('lone surrogate escapes and \\u0000 are stored as U+FFFD, not rejected', async () => {
    const id = `sur-${tag()}`;
    const body = `{"messageId":"${id}","userId":"u-sur","event":"E\\u0000","properties":{"s":"a\\ud800b","t":"\\udc00","z":"x\\u0000y","\\ud83dkey":"v","pair":"\\ud83d\\ude00"}}`;
    const reply = await post('/v1/track', body);
    expect(reply.status).toBe(200);
    expect(reply.body.accepted).toBe(1);
    const stored = await storedMessage(id);
    expect(stored.event).toBe('E\uFFFD');
    expect(stored.properties).toEqual({
      s: 'a\uFFFDb',
      t: '\uFFFD',
      z: 'x\uFFFDy',
      '\uFFFDkey': 'v',
      pair: '😀',
    });
  });
});

describe('timestamps', () => {
  it('1990 is accepted and stored as sent', async () => {
    const id = `t1990-${tag()}`;
    const reply = await post(
      '/v1/track',
      JSON.stringify({ messageId: id, userId: 'u-t', event: 'Old', timestamp: '1990-06-01T12:00:00.000Z' }),
    );
    expect(reply.status).toBe(200);
    const stored = await storedMessage(id);
    expect(stored.timestamp).toBe('1990-06-01T12:00:00.000Z');
    expect(stored.originalTimestamp).toBe('1990-06-01T12:00:00.000Z');
  });

  it('the year 2300 is clamped to receivedAt, the original kept', async () => {
    const id = `t2300-${tag()}`;
    const reply = await post(
      '/v1/track',
      JSON.stringify({ messageId: id, userId: 'u-t', event: 'Future', timestamp: '2300-01-01T00:00:00Z' }),
    );
    expect(reply.status).toBe(200);
    const stored = await storedMessage(id);
    expect(stored.timestamp).toBe(stored.receivedAt);
    expect(stored.originalTimestamp).toBe('2300-01-01T00:00:00Z');
    expect(stored.context.rapport.timestampClamped).toBe(true);
  });

  it('an unparseable timestamp → 400 naming the field', async () => {
    for (const [field, value] of [
      ['timestamp', 'next tuesday'],
      ['timestamp', 1_700_000_000],
      ['sentAt', '2024-13-45T99:00:00Z'],
      ['originalTimestamp', '2024-02-30'],
    ] as const) {
      const id = `tbad-${tag()}`;
      const reply = await post(
        '/v1/track',
        JSON.stringify({ messageId: id, userId: 'u-t', event: 'E', [field]: value }),
      );
      expect(reply.status, field).toBe(400);
      expect(reply.body.field).toBe(field);
      expect(reply.body.message).toMatch(new RegExp(`${field} must be an ISO-8601 date`));
      expect((await deadLetterWith(id)).field).toBe(field);
    }
    await expectAlive();
  });
});

describe('status codes real clients act on', () => {
  it('every bad-input answer is a 4xx that the Segment SDK does not retry', async () => {
    // Segment's publisher retries 408, 410, 429, 460 and 5xx; RudderStack's retries 429 and 5xx.
    const retried = (status: number) => [408, 410, 429, 460].includes(status) || status >= 500;
    const replies = [
      await post('/v1/track', '{'),
      await post('/v1/track', ''),
      await post('/v1/track', JSON.stringify({ event: 'E' })),
      await post('/v1/track', Buffer.from([0x7b, 0xff, 0x7d])),
      await post('/v1/batch', gzipSync(Buffer.alloc(2 * 1024 * 1024)), { 'content-encoding': 'gzip' }),
      await post(
        '/v1/track',
        `{"userId":"u","event":"E","properties":${'['.repeat(5000)}${']'.repeat(5000)}}`,
      ),
    ];
    for (const reply of replies) {
      expect(reply.status).toBeGreaterThanOrEqual(400);
      expect(reply.status).toBeLessThan(500);
      expect(retried(reply.status)).toBe(false);
    }
  });

  it('the Segment SDK sends a rejected batch once and does not retry it', async () => {
    const proxy = await startRecordingProxy(t.url);
    try {
      const analytics = new Analytics({ writeKey: t.writeKey, host: proxy.url, flushAt: 1, maxRetries: 3 });
      const errors: unknown[] = [];
      analytics.on('error', (error) => errors.push(error));
      // Nesting the SDK does not check and the server refuses.
      let deep: unknown = 1;
      for (let i = 0; i < 40; i++) deep = [deep];
      analytics.track({ userId: 'u-sdk-400', event: 'Deep', properties: { deep } });
      await analytics.closeAndFlush({ timeout: 20_000 });
      expect(proxy.requests.map((r) => r.status)).toEqual([400]);
      expect(errors).toHaveLength(1);
    } finally {
      await proxy.close();
    }
  });

  it('a server that is shutting down answers 503 with Retry-After, and the Segment SDK retries', async () => {
    const closing = await startTestServer();
    const proxy = await startRecordingProxy(closing.url);
    try {
      await closing.server.ingestLog.close();
      const reply = await track(closing, '/v1/track', { userId: 'u-503', event: 'E' });
      expect(reply.status).toBe(503);
      expect(reply.body.error).toBe('RAPPORT_INGEST_UNAVAILABLE');
      expect(Number(reply.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await fetch(`${closing.url}/health`)).status).toBe(200);

      const analytics = new Analytics({
        writeKey: closing.writeKey,
        host: proxy.url,
        flushAt: 1,
        maxRetries: 1,
      });
      analytics.on('error', () => {});
      analytics.track({ userId: 'u-503', event: 'E' });
      await analytics.closeAndFlush({ timeout: 30_000 });
      expect(proxy.requests.map((r) => r.status)).toEqual([503, 503]);
      expect(proxy.requests[1]?.headers['x-retry-count']).toBe('1');
    } finally {
      await proxy.close();
      await closing.close();
    }
  });
});
