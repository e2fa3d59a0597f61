// GET /api/stats/events over HTTP on the embedded storage and on PostgreSQL: real events sent
// through /v1/batch on chosen days, counted per day and type by the warehouse; dead letters
// from a refused message; empty ranges; bad parameters named; admin token only.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../support/postgres-database.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';

const clusterUrl = inject('postgresUrl');
const ENGINES = [
  { name: 'embedded (SQLite + DuckDB)', postgres: false, enabled: true },
  { name: `PostgreSQL ${inject('postgresSkipReason')}`, postgres: true, enabled: Boolean(clusterUrl) },
];

const DAY = 86_400_000;
const today = new Date().toISOString().slice(0, 10);
const dayBefore = (days: number) => new Date(Date.parse(today) - days * DAY).toISOString().slice(0, 10);
/** Noon of a day, so no time zone handling moves it to a neighbour. */
const noonOf = (date: string, minute = 0) => `${date}T12:${String(minute).padStart(2, '0')}:00.000Z`;

for (const engine of ENGINES)
  describe.skipIf(!engine.enabled)(`GET /api/stats/events on ${engine.name}`, () => {
    let t: TestServer;
    let dropDatabase: (() => Promise<void>) | undefined;
    beforeAll(async () => {
      if (engine.postgres) {
        const database = await createTestDatabase(clusterUrl);
        dropDatabase = database.drop;
        t = await startTestServer({ databaseUrl: database.url });
      } else {
        t = await startTestServer();
      }
      const twoDaysAgo = dayBefore(2);
      const sent = await track(t, '/v1/batch', {
        batch: [
          { type: 'track', userId: 'u1', event: 'Viewed', timestamp: noonOf(twoDaysAgo, 1) },
          { type: 'track', userId: 'u1', event: 'Viewed', timestamp: noonOf(twoDaysAgo, 2) },
          { type: 'track', userId: 'u2', event: 'Bought', timestamp: noonOf(twoDaysAgo, 3) },
          { type: 'identify', userId: 'u2', traits: { plan: 'pro' }, timestamp: noonOf(twoDaysAgo, 4) },
          // The first and last instants of today's neighbours stay on their own days.
          { type: 'page', userId: 'u1', name: 'Home', timestamp: `${dayBefore(3)}T23:59:59.999Z` },
          { type: 'page', userId: 'u1', name: 'Home', timestamp: `${today}T00:00:00.000Z` },
          { type: 'page', anonymousId: 'a1', name: 'Pricing', timestamp: `${today}T00:00:01.000Z` },
        ],
      });
      expect(sent.status).toBe(200);
      // No identifier: refused, kept as today's dead letter.
      expect((await track(t, '/v1/track', { event: 'Lost' })).status).toBe(400);
      await t.settle();
    });
    afterAll(async () => {
      await t?.close();
      await dropDatabase?.();
    });

    it('counts the last N days per day and type, days without events as zeros, and dead letters', async () => {
      const { status, body } = await t.admin('/api/stats/events?by=day&days=3');
      expect(status).toBe(200);
      expect(body).toMatchObject({ from: dayBefore(2), to: today, timeZone: 'UTC' });
      expect(body.days.map((day: { date: string }) => day.date)).toEqual([dayBefore(2), dayBefore(1), today]);
      const [first, second, third] = body.days;
      expect(first).toMatchObject({ total: 4, deadLetters: 0 });
      expect(first.byType).toEqual({ track: 3, identify: 1, page: 0, screen: 0, group: 0, alias: 0 });
      expect(second).toMatchObject({ total: 0, deadLetters: 0 });
      expect(third).toMatchObject({ total: 2, deadLetters: 1 });
      expect(third.byType.page).toBe(2);
      expect(body.totals).toMatchObject({ total: 6, deadLetters: 1 });
      expect(body.totals.byType).toMatchObject({ track: 3, identify: 1, page: 2 });
    });

    it('defaults to the last 30 days and takes from/to (inclusive) instead', async () => {
      const recent = await t.admin('/api/stats/events');
      expect(recent.body.days).toHaveLength(30);
      expect(recent.body.to).toBe(today);
      expect(recent.body.totals.total).toBe(7);
      const window = await t.admin(`/api/stats/events?from=${dayBefore(3)}&to=${dayBefore(2)}`);
      expect(window.body.days.map((day: { total: number }) => day.total)).toEqual([1, 4]);
    });

    it('answers an empty range with zero days, not an error', async () => {
      const { status, body } = await t.admin('/api/stats/events?from=2020-02-27&to=2020-03-01');
      expect(status).toBe(200);
      expect(body.days.map((day: { date: string }) => day.date)).toEqual([
        '2020-02-27',
        '2020-02-28',
        '2020-02-29',
        '2020-03-01',
      ]);
      expect(body.totals).toMatchObject({ total: 0, deadLetters: 0 });
    });

    it('refuses bad parameters with 400 naming the field and the limit', async () => {
      const cases: Array<[string, RegExp]> = [
        ['days=0', /days.*>= 1/],
        ['days=367', /days.*<= 366/],
        ['days=many', /days.*integer/],
        ['from=2026-02-30', /from: "2026-02-30" is not a date/],
        ['to=yesterday', /to.*pattern/],
        ['from=2026-03-02&to=2026-03-01', /from: 2026-03-02 is after to/],
        ['from=2024-01-01&to=2025-12-31', /from: the range is 731 days; at most 366/],
        ['days=3&from=2026-01-01', /days: give either days or from/],
        ['by=week', /by.*allowed values/],
      ];
      for (const [query, message] of cases) {
        const { status, body } = await t.admin(`/api/stats/events?${query}`);
        expect(status, query).toBe(400);
        expect(body.message, query).toMatch(message);
      }
    });

    it('answers only the admin token', async () => {
      const none = await fetch(`${t.url}/api/stats/events`);
      expect(none.status).toBe(401);
      const writeKey = await fetch(`${t.url}/api/stats/events`, {
        headers: { authorization: `Bearer ${t.writeKey}` },
      });
      expect(writeKey.status).toBe(403);
    });
  });
