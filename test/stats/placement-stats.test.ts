// GET /api/placements/stats over HTTP on the embedded storage and on PostgreSQL: real decisions
// from /v1/decide (impressions), real clicks through the signed /t/p/ redirect, goal events
// through the tracking API before and after the clicks (conversions), zeros for offers no one
// saw, bad parameters, admin token only.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { makePerson } from '../channels/support.ts';
import { createTestDatabase } from '../support/postgres-database.ts';
import { eventually } from '../support/recording-channel.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';

const clusterUrl = inject('postgresUrl');
const ENGINES = [
  { name: 'embedded (SQLite + DuckDB)', postgres: false, enabled: true },
  { name: `PostgreSQL ${inject('postgresSkipReason')}`, postgres: true, enabled: Boolean(clusterUrl) },
];

const today = new Date().toISOString().slice(0, 10);

const definitions = {
  placements: [
    { id: 'receipt', defaultOfferId: 'thanks' },
    { id: 'banner', defaultOfferId: 'unseen' },
  ],
  offers: [
    { id: 'thanks', placement: 'receipt', priority: 0, expectedValue: 0, requiresPersonalization: false },
    {
      id: 'sale',
      placement: 'receipt',
      priority: 50,
      expectedValue: 10,
      requiresPersonalization: false,
      capPerPerson: 2,
      content: { headline: 'Sale', url: 'https://shop.example/sale' },
    },
    { id: 'unseen', placement: 'banner', priority: 0, expectedValue: 0, requiresPersonalization: false },
  ],
};

interface OfferRow {
  placement: string;
  offerId: string;
  impressions: number;
  viewers: number;
  clicks: number;
  clickers: number;
  ctr: number | null;
  conversions: number | null;
  conversionRate: number | null;
}

for (const engine of ENGINES)
  describe.skipIf(!engine.enabled)(`GET /api/placements/stats on ${engine.name}`, () => {
    let t: TestServer;
    let dropDatabase: (() => Promise<void>) | undefined;

    const decide = async (userId: string) => {
      const response = await fetch(`${t.url}/v1/decide?placement=receipt&userId=${userId}`, {
        headers: { authorization: `Basic ${Buffer.from(`${t.writeKey}:`).toString('base64')}` },
      });
      expect(response.status).toBe(200);
      return (await response.json()) as { offer: { id: string } | null; clickUrl?: string };
    };
    const stats = async (query = '') => (await t.admin(`/api/placements/stats${query}`)).body;
    const offerIn = (body: { offers: OfferRow[] }, id: string) => body.offers.find((o) => o.offerId === id);

    beforeAll(async () => {
      if (engine.postgres) {
        const database = await createTestDatabase(clusterUrl);
        dropDatabase = database.drop;
        t = await startTestServer({ databaseUrl: database.url });
      } else {
        t = await startTestServer();
      }
      const saved = await t.adminRequest('PUT', '/api/placements', definitions);
      expect(saved.status).toBe(200);
      for (const userId of ['u1', 'u2', 'u3']) await makePerson(t, userId);
      // u2 bought an hour before seeing anything: not a conversion of the click that follows.
      const anHourAgo = new Date(Date.now() - 3_600_000).toISOString();
      expect(
        (await track(t, '/v1/track', { userId: 'u2', event: 'Order Completed', timestamp: anHourAgo }))
          .status,
      ).toBe(200);
      // u1 sees the sale twice (its cap), then the default; u2 and u3 once each.
      const u1 = [await decide('u1'), await decide('u1'), await decide('u1')];
      expect(u1.map((d) => d.offer?.id)).toEqual(['sale', 'sale', 'thanks']);
      const u2 = await decide('u2');
      expect((await decide('u3')).offer?.id).toBe('sale');
      // u1 clicks one view twice (one click), u2 clicks once.
      for (const url of [u1[0]!.clickUrl!, u1[0]!.clickUrl!, u2.clickUrl!]) {
        expect((await fetch(url, { redirect: 'manual' })).status).toBe(302);
      }
      // Impressions are appended without waiting for their commit: wait until all are in.
      await eventually(
        () => stats(),
        (body) => offerIn(body, 'sale')?.impressions === 4 && offerIn(body, 'sale')?.clicks === 2,
      );
      // After the clicks: u1 buys (a conversion), u3 who never clicked buys (not one).
      for (const userId of ['u1', 'u3']) {
        expect((await track(t, '/v1/track', { userId, event: 'Order Completed' })).status).toBe(200);
      }
      await t.settle();
    }, 120_000);
    afterAll(async () => {
      await t?.close();
      await dropDatabase?.();
    });

    it('counts impressions, viewers, clicks and CTR per offer, the last 30 days by default', async () => {
      const body = await stats();
      expect(body).toMatchObject({ to: today, timeZone: 'UTC', goal: null });
      expect(body.note).toMatch(/last 30 days/);
      expect(offerIn(body, 'sale')).toEqual({
        placement: 'receipt',
        offerId: 'sale',
        impressions: 4,
        viewers: 3,
        clicks: 2,
        clickers: 2,
        ctr: 0.5,
        conversions: null,
        conversionRate: null,
      });
      expect(offerIn(body, 'thanks')).toMatchObject({ impressions: 1, viewers: 1, clicks: 0, ctr: 0 });
      // Defined but never shown: listed with zeros, CTR undefined.
      expect(offerIn(body, 'unseen')).toMatchObject({ placement: 'banner', impressions: 0, ctr: null });
      const receipt = body.placements.find((p: { placement: string }) => p.placement === 'receipt');
      expect(receipt).toEqual({
        placement: 'receipt',
        impressions: 5,
        clicks: 2,
        ctr: 0.4,
        conversions: null,
      });
    });

    it('counts a conversion for a goal event after the click only', async () => {
      const body = await stats('?goal=Order%20Completed&window=7');
      expect(body.goal).toEqual({ event: 'Order Completed', windowDays: 7 });
      expect(offerIn(body, 'sale')).toMatchObject({ clickers: 2, conversions: 1, conversionRate: 0.5 });
      expect(offerIn(body, 'thanks')).toMatchObject({ conversions: 0, conversionRate: null });
      const other = await stats('?goal=Signed%20Up');
      expect(offerIn(other, 'sale')).toMatchObject({ conversions: 0 });
    });

    it('answers an empty range with the defined offers at zero', async () => {
      const body = await stats('?from=2020-01-01&to=2020-01-02&goal=Order%20Completed');
      expect(body).toMatchObject({ from: '2020-01-01', to: '2020-01-02' });
      expect(body.note).toBeUndefined();
      expect(body.offers.map((o: OfferRow) => [o.offerId, o.impressions, o.clicks, o.conversions])).toEqual([
        ['thanks', 0, 0, 0],
        ['sale', 0, 0, 0],
        ['unseen', 0, 0, 0],
      ]);
    });

    it('refuses bad parameters naming the field and the limit, and answers only the admin token', async () => {
      for (const [query, message] of [
        ['window=3', /^window: give a goal event/],
        ['goal=Order&window=91', /window.*<= 90/],
        ['goal=', /goal.*fewer than 1|goal.*must NOT have fewer/],
        ['from=2026-02-31', /^from: "2026-02-31" is not a date/],
        ['from=2020-01-01&to=2021-06-01', /^from: the range is 518 days; at most 366/],
      ] as const) {
        const { status, body } = await t.admin(`/api/placements/stats?${query}`);
        expect(status, query).toBe(400);
        expect(body.message, query).toMatch(message);
      }
      expect((await fetch(`${t.url}/api/placements/stats`)).status).toBe(401);
      const writeKey = await fetch(`${t.url}/api/placements/stats`, {
        headers: { authorization: `Bearer ${t.writeKey}` },
      });
      expect(writeKey.status).toBe(403);
    });
  });
