// The real Segment and RudderStack node SDKs, unchanged, pointed at a real Rapport server
// through a recording proxy (so the test sees what actually crossed the wire: paths, auth,
// gzip). Each client tells the same story: an anonymous visit, an identify that names the
// visitor, a purchase, a second anonymous device, and an alias that joins that device.
import { randomBytes } from 'node:crypto';
import RudderAnalytics from '@rudderstack/rudder-sdk-node';
import { Analytics } from '@segment/analytics-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.ts';
import { bodyOf, type RecordingProxy, startRecordingProxy } from './recording-proxy.ts';

let t: TestServer;
let proxy: RecordingProxy;
beforeAll(async () => {
  t = await startTestServer();
  proxy = await startRecordingProxy(t.url);
});
afterAll(async () => {
  await proxy?.close();
  await t?.close();
});

interface Person {
  anonymousId: string;
  secondDevice: string;
  userId: string;
  email: string;
}

function person(prefix: string): Person {
  const tag = randomBytes(4).toString('hex');
  return {
    anonymousId: `${prefix}-anon-${tag}`,
    secondDevice: `${prefix}-device2-${tag}`,
    userId: `${prefix}-user-${tag}`,
    email: `${prefix}.${tag}@Example.com`,
  };
}

/** The calls both SDKs make, in order; each SDK maps them onto its own API. */
interface Client {
  identify(message: {
    userId?: string;
    anonymousId?: string;
    traits: Record<string, unknown>;
    timestamp: Date;
  }): void;
  page(message: { userId?: string; anonymousId?: string; name: string; timestamp: Date }): void;
  track(message: {
    userId: string;
    event: string;
    properties: Record<string, unknown>;
    timestamp: Date;
  }): void;
  alias(message: { userId: string; previousId: string; timestamp: Date }): void;
}

function tellTheStory(client: Client, p: Person): void {
  // Each call a second after the last, stated explicitly, as a person's visit would be. The
  // SDKs stamp Date.now(), so calls made in one tick are a tie (profiles break it by messageId,
  // so the result does not depend on arrival order); and Segment's clock-skew correction adds
  // each request's own latency (receivedAt - sentAt), so calls a millisecond apart sent in
  // different requests can swap order. Either would make "the later identify wins" a coin toss.
  const start = Date.now() - 10_000;
  let step = 0;
  const next = () => new Date(start + 1_000 * step++);
  client.identify({ anonymousId: p.anonymousId, traits: { plan: 'free' }, timestamp: next() });
  client.page({ anonymousId: p.anonymousId, name: 'Pricing', timestamp: next() });
  client.identify({
    userId: p.userId,
    anonymousId: p.anonymousId,
    traits: { email: p.email, name: 'Ada', plan: 'pro' },
    timestamp: next(),
  });
  client.track({ userId: p.userId, event: 'Order Completed', properties: { total: 42 }, timestamp: next() });
  client.page({ anonymousId: p.secondDevice, name: 'Docs', timestamp: next() });
  client.alias({ userId: p.userId, previousId: p.secondDevice, timestamp: next() });
}

interface SentMessage {
  type: string;
  messageId: string;
  userId?: string;
  anonymousId?: string;
  previousId?: string;
}

/** Every message the proxy saw for this person, in the order sent. */
function messagesFor(p: Person, since: number): SentMessage[] {
  const mine = (m: SentMessage) =>
    m.userId === p.userId || m.anonymousId === p.anonymousId || m.anonymousId === p.secondDevice;
  return proxy.requests
    .slice(since)
    .flatMap((request) => (bodyOf(request).batch ?? []) as SentMessage[])
    .filter(mine);
}

async function expectOneJoinedProfile(p: Person, sent: SentMessage[]): Promise<void> {
  await t.settle();
  const byUser = await t.admin(`/api/profiles/lookup?userId=${encodeURIComponent(p.userId)}`);
  expect(byUser.status).toBe(200);
  const profile = byUser.body;

  // Every id the person used resolves to the same profile.
  for (const query of [
    `anonymousId=${encodeURIComponent(p.anonymousId)}`,
    `anonymousId=${encodeURIComponent(p.secondDevice)}`,
    `email=${encodeURIComponent(p.email)}`,
  ]) {
    const other = await t.admin(`/api/profiles/lookup?${query}`);
    expect(other.status, query).toBe(200);
    expect(other.body.profileId, query).toBe(profile.profileId);
  }

  // Events counted: everything the SDK sent landed on this one profile.
  expect(sent.map((m) => m.type)).toEqual(['identify', 'page', 'identify', 'track', 'page', 'alias']);
  expect(profile.eventCount).toBe(sent.length);
  // The anonymous history (the visit before identify, and the second device) is joined.
  const eventIds = profile.lastEvents.map((e: { messageId: string }) => e.messageId).sort();
  expect(eventIds).toEqual(sent.map((m) => m.messageId).sort());

  // Traits, each with where and by which message it was set; the later identify wins.
  const namingIdentify = sent.find((m) => m.type === 'identify' && m.userId === p.userId) as SentMessage;
  expect(profile.traits).toMatchObject({ email: p.email, name: 'Ada', plan: 'pro' });
  for (const trait of ['email', 'name', 'plan']) {
    expect(profile.traitSources[trait], trait).toMatchObject({
      source: 'test-source',
      messageId: namingIdentify.messageId,
    });
  }
  expect(
    profile.identities.map((i: { kind: string; value: string }) => `${i.kind}:${i.value}`).sort(),
  ).toEqual(
    [
      `anonymous_id:${p.anonymousId}`,
      `anonymous_id:${p.secondDevice}`,
      `email:${p.email.toLowerCase()}`,
      `user_id:${p.userId}`,
    ].sort(),
  );

  // The alias merge is recorded, and the second device's profile points at the survivor.
  const alias = sent.find((m) => m.type === 'alias') as SentMessage;
  const merges = profile.merges.filter((m: { messageId: string }) => m.messageId === alias.messageId);
  expect(merges).toHaveLength(1);
  expect(merges[0]).toMatchObject({ outcome: 'merged', winnerId: profile.profileId, reason: 'alias' });
  expect(profile.mergedFrom).toEqual([merges[0].loserId]);
  expect(profile.merges.filter((m: { outcome: string }) => m.outcome === 'refused')).toEqual([]);
}

describe('real SDKs against a real server', () => {
  it('@segment/analytics-node: batches land and build one joined profile', async () => {
    const p = person('seg');
    const since = proxy.requests.length;
    const errors: unknown[] = [];
    const analytics = new Analytics({
      writeKey: t.writeKey,
      host: proxy.url,
      path: '/v1/batch',
      flushAt: 50,
      flushInterval: 60_000,
      maxRetries: 0,
    });
    analytics.on('error', (error) => errors.push(error));
    tellTheStory(
      {
        identify: (m) => analytics.identify(m as Parameters<Analytics['identify']>[0]),
        page: (m) => analytics.page(m as Parameters<Analytics['page']>[0]),
        track: (m) => analytics.track(m),
        alias: (m) => analytics.alias(m),
      },
      p,
    );
    await analytics.closeAndFlush({ timeout: 20_000 });
    expect(errors).toEqual([]);

    const requests = proxy.requests.slice(since);
    expect(requests.length).toBeGreaterThan(0);
    for (const request of requests) {
      expect(request.url).toBe('/v1/batch');
      expect(request.status).toBe(200);
      expect(request.headers.authorization).toBe(`Basic ${Buffer.from(`${t.writeKey}:`).toString('base64')}`);
    }
    await expectOneJoinedProfile(p, messagesFor(p, since));
  });

  it('@rudderstack/rudder-sdk-node: gzip-compressed batches land and build one joined profile', async () => {
    const p = person('rudder');
    const since = proxy.requests.length;
    const errors: unknown[] = [];
    const analytics = new RudderAnalytics(t.writeKey, {
      dataPlaneUrl: proxy.url,
      gzip: true,
      flushAt: 50,
      flushInterval: 60_000,
      retryCount: 0,
      logLevel: 'error',
      errorHandler: (error) => errors.push(error),
    });
    tellTheStory(
      {
        identify: (m) => analytics.identify(m as RudderAnalytics.IdentifyParams),
        page: (m) => analytics.page(m as RudderAnalytics.PageParams),
        track: (m) => analytics.track(m as RudderAnalytics.TrackParams),
        alias: (m) => analytics.alias(m),
      },
      p,
    );
    // The SDK sends the first message at once, the rest on flush(), flushAt at a time. In this
    // default mode it posts with axios from memory; Redis/bull is only loaded by
    // createPersistenceQueue(), which is never called here.
    await analytics.flush();
    expect(errors).toEqual([]);

    const requests = proxy.requests.slice(since);
    expect(requests.length).toBeGreaterThan(0);
    for (const request of requests) {
      expect(request.url).toBe('/v1/batch');
      expect(request.status).toBe(200);
      // Really compressed on the wire: the header and the gzip magic bytes.
      expect(request.headers['content-encoding']).toBe('gzip');
      expect([...request.raw.subarray(0, 2)]).toEqual([0x1f, 0x8b]);
      expect(request.headers.authorization).toBe(`Basic ${Buffer.from(`${t.writeKey}:`).toString('base64')}`);
    }
    await expectOneJoinedProfile(p, messagesFor(p, since));
  });
});
