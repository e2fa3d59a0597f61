// GET /api/attribution against a real server on the embedded engine (DuckDB) and on
// PostgreSQL: five people's touches and orders sent through /v1/batch, one merged from an
// anonymous visitor; the paths and the credit are counted by hand here.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { TestClock } from '../../src/pipeline/index.ts';
import { openSegmentStore } from '../../src/store/index.ts';
import { createTestDatabase } from '../support/postgres-database.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';

const T0 = Date.parse('2026-03-10T12:00:00.000Z');
const at = (hours: number) => new Date(T0 + hours * 3600_000).toISOString();
const RANGE = 'from=2026-03-10&to=2026-03-10';

const clusterUrl = inject('postgresUrl');
const ENGINES = [
  { name: 'embedded (SQLite + DuckDB)', postgres: false, enabled: true },
  { name: `PostgreSQL ${inject('postgresSkipReason')}`, postgres: true, enabled: Boolean(clusterUrl) },
];

const order = (who: Record<string, string>, hours: number, properties: Record<string, unknown>) => ({
  type: 'track',
  ...who,
  event: 'Order Completed',
  properties,
  timestamp: at(hours),
});
const BATCH = [
  // u1: a paid search visit, then opens an email, then orders for 100.
  {
    type: 'page',
    userId: 'u1',
    name: 'Home',
    context: { campaign: { medium: 'cpc', source: 'google' } },
    timestamp: at(-72),
  },
  {
    type: 'track',
    userId: 'u1',
    event: 'Email Sent',
    properties: { channel: 'email', journey_id: 'j1' },
    timestamp: at(-30),
  },
  {
    type: 'track',
    userId: 'u1',
    event: 'Email Opened',
    properties: { channel: 'email', journey_id: 'j1' },
    timestamp: at(-24),
  },
  order({ userId: 'u1' }, 0, { revenue: 100 }),
  // u2: arrives from Facebook, browses within the site, orders without a revenue.
  {
    type: 'page',
    userId: 'u2',
    properties: { url: 'https://shop.example/', referrer: 'https://www.facebook.com/' },
    timestamp: at(-48),
  },
  {
    type: 'page',
    userId: 'u2',
    properties: { url: 'https://shop.example/p', referrer: 'https://shop.example/' },
    timestamp: at(-47),
  },
  order({ userId: 'u2' }, 1, {}),
  // u3: an imported ad click, no order.
  {
    type: 'track',
    userId: 'u3',
    event: 'Ad Clicked',
    properties: { channel: 'display', campaign: 'spring' },
    timestamp: at(-5),
  },
  // An anonymous visit from Google, the order under a user id, the identify that merges them.
  {
    type: 'page',
    anonymousId: 'a4',
    properties: { referrer: 'https://www.google.com/' },
    timestamp: at(-10),
  },
  order({ userId: 'u4' }, 2, { revenue: 50 }),
  { type: 'identify', anonymousId: 'a4', userId: 'u4', timestamp: at(3) },
  // u5: an email open 40 days earlier, beyond the 30-day lookback.
  {
    type: 'track',
    userId: 'u5',
    event: 'Email Opened',
    properties: { channel: 'email' },
    timestamp: at(-40 * 24),
  },
  order({ userId: 'u5' }, 3, { revenue: 20 }),
];

for (const engine of ENGINES)
  describe.skipIf(!engine.enabled)(`attribution over Rapport's data on ${engine.name}`, () => {
    let server: TestServer;
    let dropDatabase: (() => Promise<void>) | undefined;

    beforeAll(async () => {
      let databaseUrl: string | undefined;
      if (engine.postgres) {
        const database = await createTestDatabase(clusterUrl);
        dropDatabase = database.drop;
        databaseUrl = database.url;
      }
      const clock = new TestClock(new Date('2026-03-10T23:00:00.000Z'));
      server = await startTestServer(databaseUrl ? { databaseUrl } : {}, { clock });
      const created = await server.adminRequest('POST', '/api/segments', {
        id: 'buyers',
        text: 'performed "Order Completed"',
      });
      expect(created.status).toBe(201);
      expect((await track(server, '/v1/batch', { batch: BATCH })).status).toBe(200);
      // Until the warehouse has every event and the segment its four buyers.
      const store = await openSegmentStore({ databaseUrl, dataDir: server.dataDir });
      try {
        for (let round = 0; ; round++) {
          await server.settle();
          const head = await server.server.state.log.headSeq();
          await server.server.pipeline.waitForSegments(head);
          if ((await store.memberCounts()).get('buyers') === 4) break;
          if (round > 400) throw new Error('the pipeline did not settle');
          await new Promise((r) => setTimeout(r, 50));
        }
      } finally {
        await store.close();
      }
      await server.settle();
    }, 120_000);

    afterAll(async () => {
      await server?.close();
      await dropDatabase?.();
    }, 120_000);

    it('builds the paths and credits them under every model', async () => {
      const { status, body } = await server.admin(`/api/attribution?${RANGE}`);
      expect(status).toBe(200);
      expect(body).toMatchObject({
        from: '2026-03-10',
        to: '2026-03-10',
        conversion: 'Order Completed',
        lookbackDays: 30,
        conversions: 4,
        conversionsWithoutRevenue: 1,
        conversionsWithoutTouches: 1,
        paths: 4,
        value: 150,
      });
      // The whole answer the Measure page reads (the response schema decides what is serialised).
      expect(Object.keys(body).sort()).toEqual(
        [
          'from',
          'to',
          'conversion',
          'lookbackDays',
          'order',
          'withNulls',
          'people',
          'conversions',
          'value',
          'conversionsWithoutRevenue',
          'conversionsWithoutTouches',
          'paths',
          'channels',
          'models',
          'query',
          'segment',
          'groupBy',
        ].sort(),
      );
      expect(Object.keys(body.models).sort()).toEqual(
        ['first', 'last', 'linear', 'markov', 'position', 'shapley', 'time-decay'].sort(),
      );
      expect(Object.keys(body.models.last.email).sort()).toEqual(['conversions', 'value']);
      const conversions = (model: string) =>
        Object.fromEntries(
          Object.entries(body.models[model] as Record<string, { conversions: number }>).map(
            ([name, credit]) => [name, Number(credit.conversions.toFixed(6))],
          ),
        );
      expect(conversions('last')).toEqual({
        display: 0,
        email: 1,
        'organic search': 1,
        'organic social': 1,
        'paid search': 0,
      });
      expect(conversions('first')).toMatchObject({ 'paid search': 1, email: 0, 'organic search': 1 });
      expect(conversions('linear')).toMatchObject({ 'paid search': 0.5, email: 0.5 });
      expect(body.models.last.email.value).toBe(100);
      // With nulls, display only ever led to a person who did not convert.
      expect(conversions('markov').display).toBe(0);
      expect(body.channels).toEqual(
        expect.arrayContaining([
          { channel: 'email', reach: 1, touches: 2, engaged: 1 },
          { channel: 'display', reach: 1, touches: 1, engaged: 1 },
        ]),
      );
      expect(body.query).toContain('FROM events e');
    });

    it('a shorter lookback drops the older touches; bad parameters name the field', async () => {
      const { body } = await server.admin(`/api/attribution?${RANGE}&lookbackDays=2`);
      // u1's paid search visit was 3 days before the order.
      expect(body.models.first['paid search']).toBeUndefined();
      expect(body.models.first.email.conversions).toBe(1);
      const bad = await server.admin(`/api/attribution?${RANGE}&order=5`);
      expect(bad.status).toBe(400);
      expect(bad.body.message).toContain('order');
      const unauthorised = await server.adminRequest('GET', `/api/attribution?${RANGE}`, undefined, null);
      expect(unauthorised.status).toBe(401);
    });

    it('imports spend idempotently, with bad rows named, and sets what a send costs', async () => {
      const csv = [
        'day,channel,campaign,amount,currency',
        '2026-03-10,Paid Search,,40,EUR',
        '2026-03-09,paid search,,10,EUR',
        '2026-03-10,display,spring,25,EUR',
        '2026-03-10,tv,,100,EUR',
        '2026-03-10,display,,-5,EUR',
        '2026-03-10,email,,3,USD',
        '2026-13-01,display,,1,EUR',
      ].join('\n');
      for (let round = 0; round < 2; round++) {
        const imported = await server.adminRequest('POST', '/api/attribution/spend', { csv });
        expect(imported.status).toBe(200);
        expect(imported.body).toMatchObject({ read: 7, imported: 4, currency: 'EUR' });
        expect(
          imported.body.rejected.map((row: { line: number; field: string }) => `${row.line}:${row.field}`),
        ).toEqual(['6:amount', '8:day', '7:currency']);
        expect(imported.body.rejected[0].reason).toContain('negative');
      }
      const rows = await server.adminRequest('POST', '/api/attribution/spend', {
        currency: 'eur',
        rows: [
          { day: '2026-03-08', channel: 'display', amount: 7 },
          { day: '2026-03-08', channel: '', amount: 1 },
        ],
      });
      expect(rows.body).toMatchObject({ read: 2, imported: 1, rejected: [{ line: 1, field: 'channel' }] });
      const both = await server.adminRequest('POST', '/api/attribution/spend', { csv, rows: [] });
      expect(both.status).toBe(400);
      const cost = await server.adminRequest('PUT', '/api/attribution/send-costs/Email', { cost: 0.5 });
      expect(cost.body).toEqual({ email: 0.5 });
      expect((await server.adminRequest('PUT', '/api/attribution/send-costs/sms', { cost: -1 })).status).toBe(
        400,
      );
    });

    it('the ROI table: credit under the chosen model against spend and send costs', async () => {
      const row = (body: { rows: { channel: string }[] }, channel: string) =>
        body.rows.find((entry) => entry.channel === channel);
      const last = await server.admin(`/api/attribution/roi?${RANGE}&model=last`);
      expect(last.status).toBe(200);
      expect(last.body).toMatchObject({ model: 'last', currency: 'EUR', conversions: 4, value: 150 });
      expect(row(last.body, 'email')).toMatchObject({
        sends: 1,
        conversions: 1,
        value: 100,
        spend: 0,
        sendCost: 0.5,
        cost: 0.5,
        roas: 200,
        roi: 199,
        costPerConversion: 0.5,
        incrementalConversions: null,
      });
      // Only the 10th's spend is in the range.
      expect(row(last.body, 'paid search')).toMatchObject({ conversions: 0, spend: 40, roas: 0, roi: -1 });
      expect(row(last.body, 'organic search')).toMatchObject({ cost: 0, roas: null, roi: null });
      expect(last.body.unmatchedSpend).toEqual([{ channel: 'tv', amount: 100 }]);
      expect(last.body.spendQuery).toContain('attribution_spend');
      const first = await server.admin(`/api/attribution/roi?${RANGE}&model=first`);
      expect(row(first.body, 'paid search')).toMatchObject({
        conversions: 1,
        value: 100,
        roas: 2.5,
        roi: 1.5,
      });
      const byCampaign = await server.admin(`/api/attribution/roi?${RANGE}&model=last&groupBy=campaign`);
      expect(row(byCampaign.body, 'display / spring')).toMatchObject({ spend: 25, reach: 1 });
      expect(row(byCampaign.body, 'email / j1')).toMatchObject({ value: 100, sendCost: 0.5 });
      // The buyers segment leaves out u3, the only one who saw the display ad.
      const buyers = await server.admin(`/api/attribution/roi?${RANGE}&model=last&segment=buyers`);
      expect(buyers.body.segment).toBe('buyers');
      expect(row(buyers.body, 'display')).toBeUndefined();
      expect(buyers.body.unmatchedSpend).toEqual([
        { channel: 'display', amount: 25 },
        { channel: 'tv', amount: 100 },
      ]);
      expect((await server.admin(`/api/attribution/roi?${RANGE}&segment=nobody`)).status).toBe(404);
    });

    it('asked at once, as the Measure page asks, the ROI table credits what the model comparison does', async () => {
      // The two routes share one read of the touchpoints while it runs, and the ROI table runs
      // only its own model: neither may change a number.
      const models = ['markov', 'shapley', 'first', 'last', 'linear', 'position', 'time-decay'];
      const [all, ...tables] = await Promise.all([
        server.admin(`/api/attribution?${RANGE}`),
        ...models.map((model) => server.admin(`/api/attribution/roi?${RANGE}&model=${model}`)),
      ]);
      expect(all.status).toBe(200);
      models.forEach((model, i) => {
        const table = tables[i]!.body;
        expect(table.conversions).toBe(all.body.conversions);
        const credited = Object.fromEntries(
          table.rows.map((r: { channel: string; conversions: number }) => [r.channel, r.conversions]),
        );
        for (const [channel, credit] of Object.entries(
          all.body.models[model] as Record<string, { conversions: number }>,
        ))
          expect(credited[channel], `${model} ${channel}`).toBeCloseTo(credit.conversions, 9);
      });
    });
  });
