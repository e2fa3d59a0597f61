// GET /api/messages/stats over HTTP on the embedded storage and on PostgreSQL: real sends
// through the outbox and arbitration (a journey send, API sends that are sent, capped into a
// deferral or a drop, refused for consent, failed by the channel), and engagement events sent
// through /v1/batch the way providers report them. Checks every count against what was done.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../support/postgres-database.ts';
import { eventually, RecordingChannel } from '../support/recording-channel.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';

const clusterUrl = inject('postgresUrl');
const ENGINES = [
  { name: 'embedded (SQLite + DuckDB)', postgres: false, enabled: true },
  { name: `PostgreSQL ${inject('postgresSkipReason')}`, postgres: true, enabled: Boolean(clusterUrl) },
];

const today = new Date().toISOString().slice(0, 10);

const welcome = {
  format: 1,
  id: 'welcome',
  version: 1,
  name: 'welcome',
  reentry: { mode: 'once' },
  defaultTimeZone: 'UTC',
  entry: { kind: 'event', event: 'Signed Up' },
  start: 'hello',
  steps: [
    {
      id: 'hello',
      type: 'send',
      channel: 'email',
      purpose: 'email',
      template: { subject: 'Hi', body: 'Welcome' },
      next: 'done',
    },
    { id: 'done', type: 'exit' },
  ],
};

for (const engine of ENGINES)
  describe.skipIf(!engine.enabled)(`GET /api/messages/stats on ${engine.name}`, () => {
    let t: TestServer;
    let dropDatabase: (() => Promise<void>) | undefined;
    const email = new RecordingChannel('email');
    let journeySendKey = '';

    async function person(userId: string, consent: boolean | undefined) {
      const context = consent === undefined ? {} : { consent: { categoryPreferences: { email: consent } } };
      expect(
        (await track(t, '/v1/identify', { userId, traits: { email: `${userId}@x.example` }, context }))
          .status,
      ).toBe(200);
      await t.settle();
    }

    /** Waits until the decision log has `count` decisions, so each step sees the one before. */
    async function decisionsReach(count: number) {
      return eventually(
        () =>
          t
            .adminRequest('GET', '/api/decisions?limit=100')
            .then((r) => r.body.items as Array<Record<string, unknown>>),
        (items) => items.length >= count,
      );
    }

    async function send(userId: string, key: string, extra: Record<string, unknown> = {}) {
      const sent = await t.adminRequest('POST', '/api/messages', {
        userId,
        channel: 'email',
        kind: 'marketing',
        template: { subject: 'News', body: 'x' },
        idempotencyKey: key,
        ...extra,
      });
      expect(sent.status).toBe(202);
    }

    beforeAll(async () => {
      const options = {
        channels: [email],
        conductorPollMs: 50,
        arbitrationPolicy: {
          caps: [{ channel: 'email' as const, period: 'day' as const, limit: 1 }],
          quietHours: undefined,
          defaultTimeZone: 'UTC',
        },
      };
      if (engine.postgres) {
        const database = await createTestDatabase(clusterUrl);
        dropDatabase = database.drop;
        t = await startTestServer({ databaseUrl: database.url }, options);
      } else {
        t = await startTestServer({}, options);
      }
      expect((await t.adminRequest('POST', '/api/journeys', welcome)).status).toBeLessThan(300);
      await person('ann', true);
      await person('bob', true);
      await person('cat', undefined);
      await person('dan', false);
      await person('eve', true);
      // 1. A journey send to ann.
      expect((await track(t, '/v1/track', { userId: 'ann', event: 'Signed Up' })).status).toBe(200);
      const [journeySend] = await decisionsReach(1);
      expect(journeySend).toMatchObject({ action: 'send', journeyId: 'welcome' });
      journeySendKey = String(journeySend!.idempotencyKey);
      // 2. bob: sent, then over the cap of one a day: deferred, then dropped.
      await send('bob', 'bob-1');
      await decisionsReach(2);
      await send('bob', 'bob-2', { onCapped: 'defer' });
      await decisionsReach(3);
      await send('bob', 'bob-3', { onCapped: 'drop' });
      await decisionsReach(4);
      // 3. No consent asked (cat) and consent denied (dan): dropped.
      await send('cat', 'cat-1');
      await send('dan', 'dan-1');
      await decisionsReach(6);
      // 4. The channel refuses eve's message for good.
      email.script.push({ status: 'failed', error: '550 no such mailbox' });
      await send('eve', 'eve-1');
      const all = await decisionsReach(7);
      expect(all.map((d) => `${d.action}:${d.code}`).sort()).toEqual([
        'defer:fatigue_cap',
        'drop:consent_denied',
        'drop:consent_unknown',
        'drop:fatigue_cap',
        'fail:failed',
        'send:send',
        'send:send',
      ]);
      // 5. Engagement as channels and providers report it (two opens of one message count once).
      const engagement = (event: string, key: string, properties: Record<string, unknown>) => ({
        type: 'track',
        userId: 'ann',
        event,
        properties: { channel: 'email', send_key: key, ...properties },
      });
      const journey = { journey_id: 'welcome' };
      expect(
        (
          await track(t, '/v1/batch', {
            batch: [
              engagement('Email Opened', journeySendKey, journey),
              engagement('Email Opened', journeySendKey, journey),
              engagement('Email Link Clicked', journeySendKey, { ...journey, link_url: 'https://x.example' }),
              engagement('Email Bounced', 'api:bob-1', { smtp_code: 550 }),
              engagement('Webhook Delivered', 'api:hook-1', { channel: 'webhook' }),
            ],
          })
        ).status,
      ).toBe(200);
      await t.settle();
    }, 120_000);
    afterAll(async () => {
      await t?.close();
      await dropDatabase?.();
    });

    it('counts today by default and says so', async () => {
      const { status, body } = await t.adminRequest('GET', '/api/messages/stats');
      expect(status).toBe(200);
      expect(body).toMatchObject({
        from: today,
        to: today,
        timeZone: 'UTC',
        note: 'no from or to given: today (UTC)',
      });
      expect(body.totals).toEqual({
        sent: 2,
        delivered: 1,
        opened: 1,
        clicked: 1,
        bounced: 1,
        failed: 1,
        suppressed: 3,
        deferred: 1,
      });
    });

    it('splits by channel and by journey', async () => {
      const { body } = await t.adminRequest('GET', `/api/messages/stats?from=${today}&to=${today}`);
      expect(body.note).toBeUndefined();
      const byChannel = Object.fromEntries(
        body.byChannel.map((row: { channel: string }) => [row.channel, row]),
      );
      expect(byChannel.email).toMatchObject({
        sent: 2,
        opened: 1,
        clicked: 1,
        bounced: 1,
        failed: 1,
        suppressed: 3,
        deferred: 1,
        delivered: 0,
      });
      expect(byChannel.webhook).toMatchObject({ delivered: 1, sent: 0 });
      const byJourney = Object.fromEntries(
        body.byJourney.map((row: { journeyId: string | null }) => [String(row.journeyId), row]),
      );
      expect(byJourney.welcome).toMatchObject({ sent: 1, opened: 1, clicked: 1, suppressed: 0 });
      expect(byJourney.null).toMatchObject({ sent: 1, bounced: 1, failed: 1, suppressed: 3, deferred: 1 });
    });

    it('gives the reasons for drops and deferrals with counts, most first', async () => {
      const { body } = await t.adminRequest('GET', '/api/messages/stats');
      expect(body.reasons[0]).toEqual({ outcome: 'suppressed', code: 'consent_denied', messages: 1 });
      expect(body.reasons).toHaveLength(4);
      expect(body.reasons).toEqual(
        expect.arrayContaining([
          { outcome: 'suppressed', code: 'consent_unknown', messages: 1 },
          { outcome: 'suppressed', code: 'fatigue_cap', messages: 1 },
          { outcome: 'deferred', code: 'fatigue_cap', messages: 1 },
        ]),
      );
    });

    it('answers an empty range with zeros', async () => {
      const { status, body } = await t.adminRequest(
        'GET',
        '/api/messages/stats?from=2020-01-01&to=2020-01-31',
      );
      expect(status).toBe(200);
      expect(Object.values(body.totals).every((n) => n === 0)).toBe(true);
      expect(body).toMatchObject({ byChannel: [], byJourney: [], reasons: [] });
    });

    it('refuses bad parameters naming the field, and answers only the admin token', async () => {
      for (const [query, message] of [
        ['from=2026-13-01', /^from: "2026-13-01" is not a date/],
        ['to=today', /to.*pattern/],
        ['from=2026-03-02&to=2026-03-01', /^from: 2026-03-02 is after to/],
        ['from=2020-01-01&to=2021-06-01', /^from: the range is 518 days; at most 366/],
      ] as const) {
        const { status, body } = await t.adminRequest('GET', `/api/messages/stats?${query}`);
        expect(status, query).toBe(400);
        expect(body.message, query).toMatch(message);
      }
      expect((await fetch(`${t.url}/api/messages/stats`)).status).toBe(401);
      const writeKey = await fetch(`${t.url}/api/messages/stats`, {
        headers: { authorization: `Bearer ${t.writeKey}` },
      });
      expect(writeKey.status).toBe(403);
    });
  });
