// "Is this the medium they prefer?": the pure report (intervals, flags, counting) and
// GET /api/attribution/channel-preference on the simulated store, on the embedded engine and on
// PostgreSQL. The world plants each person's preferred channel (they open it 4× as often); half
// the identified people also state it (an identify with `preferred_channel`, as a survey
// would), and a segment per stated channel groups them. Reach, opens, clicks and conversions are
// counted again here from the world's own message stream; the learned preference must find the
// planted channel in each segment.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  channelPreferenceReport,
  preferenceFlag,
  proportionInterval,
} from '../../src/attribution/preference.ts';
import { type PersonTruth, simulateWorld } from '../../src/simulate/index.ts';
import { openSegmentStore } from '../../src/store/index.ts';
import { createTestDatabase } from '../support/postgres-database.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';

describe('the channel-preference report, pure', () => {
  it('gives the Jeffreys interval (SciPy: beta.ppf([0.025, 0.975], k + 0.5, n − k + 0.5))', () => {
    const [low, high] = proportionInterval(3, 20)!;
    expect(low).toBeCloseTo(0.044131342, 6);
    expect(high).toBeCloseTo(0.348577711, 6);
    const [low45, high45] = proportionInterval(45, 100)!;
    expect(low45).toBeCloseTo(0.355076942, 6);
    expect(high45).toBeCloseTo(0.547771008, 6);
    // At the edges the interval reaches 0 or 1 (the usual convention); no one asked: no interval.
    expect(proportionInterval(0, 10)![0]).toBe(0);
    expect(proportionInterval(0, 10)![1]).toBeCloseTo(0.217196268, 6);
    expect(proportionInterval(10, 10)![1]).toBe(1);
    expect(proportionInterval(0, 0)).toBeNull();
  });

  it('flags spend on a medium few prefer, and a preferred medium with little spend', () => {
    expect(preferenceFlag(0.6, [0.1, 0.25])).toBe('spend-not-preferred');
    expect(preferenceFlag(0.6, [0.2, 0.31])).toBeNull();
    expect(preferenceFlag(0.1, [0.25, 0.4])).toBe('preferred-starved');
    expect(preferenceFlag(0, [0.01, 0.4])).toBe('preferred-starved');
    expect(preferenceFlag(null, [0.5, 0.6])).toBeNull();
  });

  it('counts people, not sends, and learns each person’s channel among those that reached them', () => {
    const report = channelPreferenceReport({
      deliveries: [
        // p1 opens sms 8 of 10, email 1 of 10: prefers sms.
        { person: 'p1', channel: 'sms', sent: 10, engaged: 8, clicked: 3 },
        { person: 'p1', channel: 'email', sent: 10, engaged: 1, clicked: 0 },
        // p2 opens email 6 of 10: prefers email; p3 had email only, never opened: still email.
        { person: 'p2', channel: 'email', sent: 10, engaged: 6, clicked: 0 },
        { person: 'p3', channel: 'email', sent: 4, engaged: 0, clicked: 0 },
      ],
      stated: new Map([
        ['p1', 'sms'],
        ['p4', 'push'],
      ]),
      converted: new Set(['p1', 'p3', 'p5']),
      // Display reaches nobody through a message: its spend is left out of the shares.
      spend: { email: 90, sms: 10, display: 500 },
    });
    expect(report).toMatchObject({ people: 4, withHistory: 3, withStated: 2 });
    const rows = Object.fromEntries(report.channels.map((row) => [row.channel, row]));
    expect(rows.email).toMatchObject({
      reach: 3,
      opened: 2,
      clicked: 0,
      converted: 2,
      preferred: 2,
      stated: 0,
      spend: 90,
      spendShare: 0.9,
    });
    expect(rows.email!.preferredShare).toBeCloseTo(2 / 3);
    expect(rows.sms).toMatchObject({
      reach: 1,
      opened: 1,
      clicked: 1,
      converted: 1,
      preferred: 1,
      stated: 1,
    });
    expect(rows.sms!.statedShare).toBe(0.5);
    expect(rows.push).toMatchObject({
      reach: 0,
      preferred: 0,
      stated: 1,
      conversionRate: null,
      spendShare: 0,
    });
  });
});

const DAY = 86_400_000;
const PEOPLE = 240;
const DAYS = 360;
const STATED = ['email', 'push', 'sms'] as const;
const SENT = new Set([
  'Email Sent',
  'Webhook Delivered',
  'Email Delivered',
  'Push Notification Received',
  'Message Sent',
  'Message Delivered',
]);
const ENGAGED = new Set([
  'Email Opened',
  'Email Link Clicked',
  'Message Opened',
  'Message Clicked',
  'Message Replied',
  'Push Notification Tapped',
]);
const CLICKS = new Set(['Email Link Clicked', 'Message Clicked', 'Message Replied']);

interface Message {
  type: string;
  event?: string;
  userId?: string;
  anonymousId?: string;
  properties?: Record<string, unknown>;
}

function channelOf(message: Message): string | null {
  const named = message.properties?.channel;
  if (typeof named === 'string' && ['email', 'sms', 'push', 'webhook'].includes(named)) return named;
  if (message.event?.startsWith('Email ')) return 'email';
  if (message.event?.startsWith('Push Notification ')) return 'push';
  return null;
}

interface Expected {
  reach: Set<string>;
  opened: Set<string>;
  clicked: Set<string>;
}

const clusterUrl = inject('postgresUrl');
const ENGINES = [
  { name: 'embedded (SQLite + DuckDB)', postgres: false, enabled: true },
  { name: `PostgreSQL ${inject('postgresSkipReason')}`, postgres: true, enabled: Boolean(clusterUrl) },
];

for (const engine of ENGINES)
  describe.skipIf(!engine.enabled)(`channel preference on the simulated store, ${engine.name}`, () => {
    let server: TestServer;
    let dropDatabase: (() => Promise<void>) | undefined;
    let truths: PersonTruth[];
    let range: string;
    const expected = new Map<string, Expected>();
    const buyers = new Set<string>();

    beforeAll(async () => {
      let databaseUrl: string | undefined;
      if (engine.postgres) {
        const database = await createTestDatabase(clusterUrl);
        dropDatabase = database.drop;
        databaseUrl = database.url;
      }
      server = await startTestServer(databaseUrl ? { databaseUrl } : {});
      const start = new Date(Math.floor((Date.now() - DAYS * DAY) / DAY) * DAY);
      range = `from=${start.toISOString().slice(0, 10)}&to=${new Date().toISOString().slice(0, 10)}`;
      const world = simulateWorld({ kind: 'store', seed: 31, people: PEOPLE, start, days: DAYS });
      truths = [...world.truth()];
      const userOfDevice = new Map<string, string>();
      for (const truth of truths)
        for (const id of truth.anonymousIds) if (truth.userId) userOfDevice.set(id, truth.userId);
      let batch: unknown[] = [];
      const flush = async () => {
        if (batch.length > 0) expect((await track(server, '/v1/batch', { batch })).status).toBe(200);
        batch = [];
      };
      for (const message of world.messages() as Iterable<Message>) {
        batch.push(message);
        if (batch.length === 500) await flush();
        const person = message.userId ?? userOfDevice.get(message.anonymousId ?? '');
        if (!person || message.type !== 'track' || !message.event) continue;
        if (message.event === 'Order Completed') buyers.add(person);
        const channel = channelOf(message);
        if (!channel || !(SENT.has(message.event) || ENGAGED.has(message.event))) continue;
        const entry = expected.get(channel) ?? { reach: new Set(), opened: new Set(), clicked: new Set() };
        entry.reach.add(person);
        if (ENGAGED.has(message.event)) entry.opened.add(person);
        if (CLICKS.has(message.event)) entry.clicked.add(person);
        expected.set(channel, entry);
      }
      // The survey: half the identified people say which channel they prefer (the planted one).
      for (const truth of truths) {
        if (truth.userId === null || truth.index % 2 !== 0) continue;
        batch.push({
          type: 'identify',
          userId: truth.userId,
          traits: { preferred_channel: truth.preferredChannel },
          timestamp: new Date(Date.now() - DAY).toISOString(),
        });
      }
      await flush();
      for (const channel of STATED) {
        const created = await server.adminRequest('POST', '/api/segments', {
          id: `said-${channel}`,
          text: `trait preferred_channel = "${channel}"`,
        });
        expect(created.status).toBe(201);
      }
      const store = await openSegmentStore({ databaseUrl, dataDir: server.dataDir });
      try {
        for (let round = 0; ; round++) {
          await server.settle();
          const counts = await store.memberCounts();
          const want = STATED.map((channel) => statedBy(channel).length);
          if (STATED.every((channel, i) => counts.get(`said-${channel}`) === want[i])) break;
          if (round > 600) throw new Error('the segments did not fill');
          await new Promise((r) => setTimeout(r, 100));
        }
      } finally {
        await store.close();
      }
      await server.settle();
    }, 600_000);

    afterAll(async () => {
      await server?.close();
      await dropDatabase?.();
    }, 120_000);

    const statedBy = (channel: string) =>
      truths.filter((t) => t.userId !== null && t.index % 2 === 0 && t.preferredChannel === channel);

    it('counts reach, opens, clicks and conversions as the message stream has them', async () => {
      const { status, body } = await server.admin(`/api/attribution/channel-preference?${range}`);
      expect(status).toBe(200);
      for (const channel of ['email', 'push', 'sms']) {
        const row = body.channels.find((r: { channel: string }) => r.channel === channel);
        const want = expected.get(channel)!;
        expect(row, channel).toMatchObject({
          reach: want.reach.size,
          opened: want.opened.size,
          clicked: want.clicked.size,
          converted: [...want.reach].filter((person) => buyers.has(person)).length,
        });
      }
      // Everyone who stated a preference is counted under the channel they stated.
      const surveyed = truths.filter((t) => t.userId !== null && t.index % 2 === 0);
      expect(body.withStated).toBe(surveyed.length);
      for (const channel of ['email', 'web', 'push', 'sms']) {
        const row = body.channels.find((r: { channel: string }) => r.channel === channel);
        expect(row?.stated ?? 0, channel).toBe(surveyed.filter((t) => t.preferredChannel === channel).length);
      }
      expect(body.queries.deliveries).toContain('count(DISTINCT send)');
    });

    it('finds the planted channel as the one each stated segment prefers, by a clear margin', async () => {
      const figures: Record<string, unknown> = {};
      for (const channel of STATED) {
        const { status, body } = await server.admin(
          `/api/attribution/channel-preference?${range}&segment=said-${channel}`,
        );
        expect(status).toBe(200);
        expect(body.people).toBe(statedBy(channel).length);
        const rows = body.channels as {
          channel: string;
          preferredShare: number;
          preferredInterval: number[];
          statedShare: number;
        }[];
        const planted = rows.find((row) => row.channel === channel)!;
        figures[channel] = rows.map((row) => `${row.channel} ${row.preferredShare?.toFixed(2)}`);
        // Everyone in the segment said this channel.
        expect(planted.statedShare).toBe(1);
        // The learned preference puts the planted channel first, and its interval above every other's.
        expect(rows[0]!.channel, JSON.stringify(figures)).toBe(channel);
        expect(planted.preferredShare, JSON.stringify(figures)).toBeGreaterThan(0.5);
        for (const other of rows.filter((row) => row.channel !== channel && row.preferredInterval))
          expect(other.preferredInterval[1], JSON.stringify(figures)).toBeLessThan(
            planted.preferredInterval[0]!,
          );
      }
      if (process.env.SHOW_FIGURES) console.info('learned preference per stated segment', figures);
    });

    it('answers 404 naming the segment for an unknown one', async () => {
      const { status, body } = await server.admin(
        `/api/attribution/channel-preference?${range}&segment=nope`,
      );
      expect(status).toBe(404);
      expect(body.message).toContain('nope');
    });
  });
