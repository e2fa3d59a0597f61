// Profile 360, list/search, timeline and consent over HTTP, on the embedded storage and on
// PostgreSQL: a real server, real stores, messages through the tracking API.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { analyticsConsentFilter } from '../../src/profiles/index.ts';
import { createTestDatabase } from '../support/postgres-database.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';

const clusterUrl = inject('postgresUrl');
const ENGINES = [
  { name: 'embedded (SQLite + DuckDB)', postgres: false, enabled: true },
  { name: `PostgreSQL ${inject('postgresSkipReason')}`, postgres: true, enabled: Boolean(clusterUrl) },
];

const at = (minutes: number) =>
  new Date(Date.parse('2024-05-01T10:00:00.000Z') + minutes * 60_000).toISOString();

for (const engine of ENGINES)
  describe.skipIf(!engine.enabled)(`profiles API on ${engine.name}`, () => {
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
    });
    afterAll(async () => {
      await t?.close();
      await dropDatabase?.();
    });

    const batch = async (messages: unknown[]) => {
      const sent = await track(t, '/v1/batch', { batch: messages });
      expect(sent.status).toBe(200);
      await t.settle();
      return sent.body;
    };
    const profileIdOf = async (userId: string) =>
      (await t.admin(`/api/profiles/lookup?userId=${encodeURIComponent(userId)}`)).body.profileId as string;

    describe('consent', () => {
      it('takes decisions from categoryPreferences, the consent event and identify traits, latest first', async () => {
        // Sent newest first: the result must not depend on arrival order.
        await batch([
          {
            type: 'identify',
            userId: 'c-1',
            traits: { consent: { sms: 'granted' }, name: 'Ann' },
            timestamp: at(5),
          },
          {
            type: 'track',
            userId: 'c-1',
            event: 'Segment Consent Preference Updated',
            context: { consent: { categoryPreferences: { email: false, Analytics: true } } },
            timestamp: at(3),
          },
          {
            type: 'page',
            userId: 'c-1',
            name: 'Home',
            context: { consent: { categoryPreferences: { email: true, sms: false } } },
            timestamp: at(1),
          },
        ]);
        const id = await profileIdOf('c-1');
        const { body } = await t.adminRequest('GET', `/api/profiles/${id}/consent`);
        expect(body.consent.email).toMatchObject({
          state: 'denied',
          allowed: false,
          at: at(3),
          source: 'test-source',
        });
        expect(body.consent.sms).toMatchObject({ state: 'granted', allowed: true, at: at(5) });
        expect(body.consent.analytics).toMatchObject({ state: 'granted', allowed: true });
        expect(body.consent.push).toEqual({
          state: 'unknown',
          allowed: false,
          at: null,
          source: null,
          messageId: null,
        });
        expect(body.history.map((h: any) => `${h.purpose}:${h.state}`).sort()).toEqual([
          'analytics:granted',
          'email:denied',
          'email:granted',
          'sms:denied',
          'sms:granted',
        ]);
        const profile = await t.admin(`/api/profiles/${id}`);
        expect(profile.body.traits).toEqual({ name: 'Ann' });
        expect(profile.body.consent.email.state).toBe('denied');
      });

      it('lands a message with bad consent entries, warns about each, and applies the good ones', async () => {
        const sent = await batch([
          {
            type: 'track',
            userId: 'c-2',
            event: 'Clicked',
            messageId: 'bad-consent-1',
            context: { consent: { categoryPreferences: { email: 'maybe', telepathy: true, push: true } } },
          },
        ]);
        expect(sent.accepted).toBe(1);
        expect(sent.warnings.map((w: any) => [w.messageId, w.field])).toEqual([
          ['bad-consent-1', 'context.consent.categoryPreferences.email'],
          ['bad-consent-1', 'context.consent.categoryPreferences.telepathy'],
        ]);
        expect(sent.warnings[1].reason).toMatch(
          /unknown purpose "telepathy"; configured purposes: analytics/,
        );
        const consent = (await t.adminRequest('GET', `/api/profiles/${await profileIdOf('c-2')}/consent`))
          .body;
        expect(consent.consent.push.state).toBe('granted');
        expect(consent.consent.email.state).toBe('unknown');
        expect(consent.history).toHaveLength(1);
      });

      it('records admin decisions through the log with source admin-api, and refuses bad ones whole', async () => {
        await batch([{ type: 'identify', userId: 'c-3', traits: { name: 'Bo' } }]);
        const id = await profileIdOf('c-3');
        const bad = await t.adminRequest('PUT', `/api/profiles/${id}/consent`, {
          purposes: { email: 'granted', sms: 'yes please' },
        });
        expect(bad.status).toBe(400);
        expect(bad.body).toMatchObject({ error: 'RAPPORT_CONSENT_INVALID', field: 'purposes.sms' });
        const unknown = await t.adminRequest('PUT', `/api/profiles/${id}/consent`, {
          purposes: { fax: 'denied' },
        });
        expect(unknown.status).toBe(400);
        expect(unknown.body.message).toMatch(/unknown purpose "fax"/);
        expect(
          (
            await t.adminRequest('PUT', '/api/profiles/no-such-profile/consent', {
              purposes: { email: 'denied' },
            })
          ).status,
        ).toBe(404);
        const ok = await t.adminRequest('PUT', `/api/profiles/${id}/consent`, {
          purposes: { email: 'granted', sms: false },
          note: 'asked by phone, call ref 1184',
        });
        expect(ok.status).toBe(202);
        expect(ok.body).toMatchObject({
          profileId: id,
          purposes: { email: 'granted', sms: 'denied' },
          status: 'queued',
        });
        await t.settle();
        const consent = (await t.adminRequest('GET', `/api/profiles/${id}/consent`)).body;
        expect(consent.consent.email).toMatchObject({
          state: 'granted',
          source: 'admin-api',
          messageId: ok.body.messageId,
        });
        expect(consent.consent.sms.state).toBe('denied');
        expect(consent.history.every((h: any) => h.source === 'admin-api')).toBe(true);
        // Nothing of the refused requests was applied.
        expect(consent.history).toHaveLength(2);
        // The note the decision was recorded with is in its history.
        expect(consent.history.map((h: any) => h.note)).toEqual([
          'asked by phone, call ref 1184',
          'asked by phone, call ref 1184',
        ]);
      });

      it('carries consent across a merge: the latest decision per purpose wins', async () => {
        await batch([
          {
            type: 'identify',
            userId: 'c-4',
            traits: { consent: { email: 'granted', sms: 'denied' } },
            timestamp: at(1),
          },
          {
            type: 'track',
            anonymousId: 'anon-c-4',
            event: 'Viewed',
            context: { consent: { categoryPreferences: { email: false, sms: true } } },
            timestamp: at(2),
          },
          {
            type: 'track',
            anonymousId: 'anon-c-4',
            event: 'Old',
            context: { consent: { categoryPreferences: { push: true } } },
            timestamp: at(0),
          },
        ]);
        await batch([{ type: 'alias', userId: 'c-4', previousId: 'anon-c-4', timestamp: at(3) }]);
        const id = await profileIdOf('c-4');
        const profile = (await t.admin(`/api/profiles/${id}`)).body;
        expect(profile.mergedFrom).toHaveLength(1);
        expect(profile.consent.email.state).toBe('denied');
        expect(profile.consent.sms.state).toBe('granted');
        expect(profile.consent.push.state).toBe('granted');
        const history = (await t.adminRequest('GET', `/api/profiles/${id}/consent`)).body.history;
        expect(history).toHaveLength(5);
      });

      it('leaves profiles that denied analytics out of analytics queries by default', async () => {
        await batch([
          { type: 'track', userId: 'an-yes', event: 'Counted' },
          {
            type: 'track',
            userId: 'an-no',
            event: 'Counted',
            context: { consent: { categoryPreferences: { analytics: false } } },
          },
          { type: 'track', userId: 'an-no', event: 'Counted' },
        ]);
        const engineName = engine.postgres ? 'postgres' : 'duckdb';
        const count = async (respect: boolean) => {
          const filter = await analyticsConsentFilter(t.server.state, engineName, '$2', respect);
          const rows = await t.server.pipeline.query(
            `SELECT count(*) AS n FROM events WHERE name = $1 AND ${filter.sql}`,
            ['Counted', filter.value],
          );
          return rows[0]?.n;
        };
        expect(await count(true)).toBe(1);
        expect(await count(false)).toBe(3);
      });
    });

    describe('360, timeline, list and search', () => {
      it('shows traits with sources, identities, consent and computed properties', async () => {
        await batch([
          {
            type: 'identify',
            userId: 's-1',
            anonymousId: 'anon-s-1',
            traits: { email: 'S1@Example.com', plan: 'pro', seats: 12 },
          },
        ]);
        const id = await profileIdOf('s-1');
        await t.server.state.setComputedProperties([
          { profileId: id, name: 'value_score', value: 0.82, computedAt: at(0) },
          { profileId: id, name: 'lifecycle_stage', value: 'active', computedAt: at(0) },
        ]);
        const profile = (await t.admin(`/api/profiles/${id}`)).body;
        expect(profile.traitSources.plan).toMatchObject({ source: 'test-source' });
        expect(profile.identities.map((i: any) => `${i.kind}:${i.value}`).sort()).toEqual([
          'anonymous_id:anon-s-1',
          'email:s1@example.com',
          'user_id:s-1',
        ]);
        expect(profile.computedProperties).toEqual({
          value_score: { value: 0.82, computedAt: at(0) },
          lifecycle_stage: { value: 'active', computedAt: at(0) },
        });
        expect(Object.keys(profile.consent)).toEqual([
          'analytics',
          'personalization',
          'email',
          'sms',
          'push',
          'phone',
          'location',
        ]);
      });

      // The response schemas (src/profiles/schema.ts) decide what the serialiser sends: every
      // field the handlers set is in them, so none is dropped on the way out.
      it('answers every field the handlers set, nested ones too', async () => {
        await batch([
          {
            type: 'identify',
            userId: 'k-1',
            anonymousId: 'anon-k-1',
            traits: { plan: 'pro' },
            timestamp: at(1),
          },
          { type: 'group', userId: 'k-1', groupId: 'acme-k', traits: { name: 'Acme' }, timestamp: at(2) },
          { type: 'track', userId: 'k-1', event: 'Viewed', properties: { sku: 'a' }, timestamp: at(3) },
          { type: 'page', anonymousId: 'anon-k-2', name: 'Home', timestamp: at(0) },
        ]);
        await batch([{ type: 'alias', userId: 'k-1', previousId: 'anon-k-2', timestamp: at(4) }]);
        const id = await profileIdOf('k-1');
        await t.server.state.setComputedProperties([
          { profileId: id, name: 'value_score', value: 0.5, computedAt: at(5) },
        ]);
        const put = await t.adminRequest('PUT', `/api/profiles/${id}/consent`, {
          purposes: { email: 'granted' },
          note: 'by phone',
        });
        expect(put.status).toBe(202);
        expect(Object.keys(put.body).sort()).toEqual(['messageId', 'profileId', 'purposes', 'status']);
        await t.settle();
        const keys = (value: object) => Object.keys(value).sort();

        const profile = (await t.admin(`/api/profiles/${id}?events=5`)).body;
        expect(keys(profile)).toEqual(
          [
            'computedProperties',
            'consent',
            'createdAt',
            'eventCount',
            'firstSeen',
            'groups',
            'identities',
            'lastEvents',
            'lastSeen',
            'lifecycleStage',
            'mergedFrom',
            'merges',
            'profileId',
            'segments',
            'stages',
            'traitSources',
            'traits',
          ].filter((key) => key in profile || !['lifecycleStage', 'segments', 'stages'].includes(key)),
        );
        expect(profile.groups['acme-k']).toEqual({
          groupId: 'acme-k',
          traits: { name: 'Acme' },
          at: at(2),
          messageId: expect.any(String),
        });
        expect(keys(profile.traitSources.plan)).toEqual(['at', 'messageId', 'source']);
        expect(keys(profile.identities[0])).toEqual(['firstSeen', 'kind', 'value']);
        expect(profile.mergedFrom).toHaveLength(1);
        expect(keys(profile.merges[0])).toEqual([
          'at',
          'id',
          'loserId',
          'messageId',
          'outcome',
          'reason',
          'winnerId',
        ]);
        expect(keys(profile.consent.email)).toEqual(['allowed', 'at', 'messageId', 'source', 'state']);
        expect(profile.computedProperties.value_score).toEqual({ value: 0.5, computedAt: at(5) });
        const viewed = profile.lastEvents.find((e: any) => e.name === 'Viewed');
        expect(viewed).toEqual({
          messageId: expect.any(String),
          type: 'track',
          name: 'Viewed',
          timestamp: at(3),
          properties: { sku: 'a' },
        });

        const listed = (await t.admin('/api/profiles?q=k-1')).body;
        expect(keys(listed)).toEqual(['items', 'nextCursor']);
        expect(keys(listed.items[0])).toEqual([
          'eventCount',
          'firstSeen',
          'identities',
          'lastSeen',
          'profileId',
          'traits',
        ]);
        expect(keys(listed.items[0].identities[0])).toEqual(['kind', 'value']);

        const timeline = (await t.admin(`/api/profiles/${id}/events?name=Viewed`)).body;
        expect(keys(timeline)).toEqual(['items', 'nextCursor', 'profileId']);
        expect(timeline.items[0]).toEqual({
          seq: expect.any(Number),
          messageId: viewed.messageId,
          type: 'track',
          name: 'Viewed',
          timestamp: at(3),
          receivedAt: expect.any(String),
          properties: { sku: 'a' },
          profileId: expect.any(String),
        });

        const consent = (await t.admin(`/api/profiles/${id}/consent`)).body;
        expect(keys(consent)).toEqual(['consent', 'history', 'profileId']);
        expect(keys(consent.consent.email)).toEqual(['allowed', 'at', 'messageId', 'source', 'state']);
        const noted = consent.history.find((h: any) => h.note === 'by phone');
        expect(keys(noted)).toEqual([
          'at',
          'id',
          'messageId',
          'note',
          'profileId',
          'purpose',
          'source',
          'state',
        ]);

        const erased = await t.adminRequest('DELETE', `/api/profiles/${id}`);
        expect(erased.status).toBe(202);
        const jobKeys = [
          'completedAt',
          'error',
          'id',
          'requestedAt',
          'status',
          'steps',
          'suppressedCount',
          'updatedAt',
        ];
        expect(keys(erased.body)).toEqual(jobKeys);
        expect(keys(erased.body.steps[0])).toEqual(['count', 'doneAt', 'name', 'status']);
        const job = (await t.admin(`/api/erasure-jobs/${erased.body.id}`)).body;
        expect(keys(job)).toEqual(jobKeys);
        expect(job.steps.map((step: any) => step.name)).toEqual(erased.body.steps.map((s: any) => s.name));
      });

      it('pages the timeline newest first with filters, across merged profiles', async () => {
        await batch([
          ...Array.from({ length: 7 }, (_, i) => ({
            type: 'track',
            userId: 't-1',
            event: i % 2 ? 'Odd' : 'Even',
            timestamp: at(i),
          })),
          { type: 'page', anonymousId: 'anon-t-1', name: 'Landing', timestamp: at(-5) },
        ]);
        await batch([{ type: 'alias', userId: 't-1', previousId: 'anon-t-1', timestamp: at(10) }]);
        const id = await profileIdOf('t-1');
        const seen: string[] = [];
        let cursor: string | null = null;
        do {
          const query: string = `limit=3${cursor ? `&cursor=${cursor}` : ''}`;
          const page = await t.admin(`/api/profiles/${id}/events?${query}`);
          expect(page.status).toBe(200);
          // Only what this test sent: internal events (a realtime processor's) may be there too.
          const sent = page.body.items.filter((e: any) => ['Even', 'Odd', 'Landing', null].includes(e.name));
          seen.push(...sent.map((e: any) => `${e.type}:${e.name ?? ''}`));
          cursor = page.body.nextCursor;
        } while (cursor);
        expect(seen).toEqual([
          'alias:',
          'track:Even',
          'track:Odd',
          'track:Even',
          'track:Odd',
          'track:Even',
          'track:Odd',
          'track:Even',
          'page:Landing',
        ]);
        const odd = await t.admin(`/api/profiles/${id}/events?name=Odd&from=${at(2)}&to=${at(6)}`);
        expect(odd.body.items.map((e: any) => e.timestamp)).toEqual([at(5), at(3)]);
        const pages = await t.admin(`/api/profiles/${id}/events?type=page`);
        expect(pages.body.items).toHaveLength(1);
        expect((await t.admin(`/api/profiles/${id}/events?cursor=nonsense`)).status).toBe(400);
        expect((await t.admin(`/api/profiles/${id}/events?from=yesterday`)).status).toBe(400);
        expect((await t.admin('/api/profiles/nobody/events')).status).toBe(404);
      });

      it('lists and searches by identifier, traits and last seen, with a cursor', async () => {
        await batch([
          {
            type: 'identify',
            userId: 'l-1',
            traits: { tier: 'gold-l', email: 'l1@example.com' },
            timestamp: at(100),
          },
          { type: 'identify', userId: 'l-2', traits: { tier: 'gold-l', age: 40 }, timestamp: at(200) },
          { type: 'identify', userId: 'l-3', traits: { tier: 'silver-l', age: 40 }, timestamp: at(300) },
        ]);
        const ids = async (query: string) =>
          (await t.admin(`/api/profiles?${query}`)).body.items.map(
            (p: any) => p.identities.find((i: any) => i.kind === 'user_id')?.value,
          );
        expect(await ids('q=l-2')).toEqual(['l-2']);
        expect(await ids('q=L1@example.com')).toEqual(['l-1']);
        expect(await ids(`q=${await profileIdOf('l-3')}`)).toEqual(['l-3']);
        expect(await ids('q=nobody-at-all')).toEqual([]);
        expect((await ids('trait.tier=gold-l')).sort()).toEqual(['l-1', 'l-2']);
        expect((await ids('trait.tier=gold-l&trait.age=40')).sort()).toEqual(['l-2']);
        // Narrowed through the search index (any value containing "gold-l", case aside), then
        // compared exactly: a case or a part of the value is no match.
        expect(await ids('trait.tier=GOLD-L')).toEqual([]);
        expect(await ids('trait.tier=old-l')).toEqual([]);
        expect((await ids(`trait.age=40&lastSeenAfter=${at(250)}`)).sort()).toEqual(['l-3']);
        const all: string[] = [];
        let cursor: string | null = null;
        do {
          const page: any = await t.admin(`/api/profiles?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
          all.push(...page.body.items.map((p: any) => p.profileId));
          cursor = page.body.nextCursor;
        } while (cursor);
        expect(new Set(all).size).toBe(all.length);
        expect(all).toEqual([...all].sort());
        expect(all.length).toBe(await t.server.state.countProfiles());
        expect((await t.admin('/api/profiles?limit=0')).status).toBe(400);
        expect((await t.admin('/api/profiles?cursor=%%%')).status).toBe(400);
      });
    });
  });
