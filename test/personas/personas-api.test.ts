// Personas from data through a real server, on both engines: three kinds of people planted in
// the events (a few big orders; many small orders; browsing and email but no orders) are found
// again (adjusted Rand index against the planted kinds), each card says what sets its persona
// apart, every person gets the `persona` computed property a segment can use, a refit keeps the
// personas' ids, and bad requests are refused naming the field.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adjustedRandIndex } from '../../src/personas/index.ts';
import { createTestDatabase } from '../support/postgres-database.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';
import { plantPeople } from './planted.ts';

const clusterUrl = inject('postgresUrl');
const ENGINES = [
  { name: 'embedded (SQLite + DuckDB)', postgres: false, enabled: true },
  { name: `PostgreSQL ${inject('postgresSkipReason')}`, postgres: true, enabled: Boolean(clusterUrl) },
];
for (const engine of ENGINES)
  describe.skipIf(!engine.enabled)(`personas on ${engine.name}`, () => {
    let t: TestServer;
    let database: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
    const planted = new Map<string, string>();

    beforeAll(async () => {
      if (engine.postgres) database = await createTestDatabase(clusterUrl);
      t = await startTestServer(database ? { databaseUrl: database.url } : {});
      for (const [userId, kind] of await plantPeople(t)) planted.set(userId, kind);
      await t.settle();
    }, 120_000);

    afterAll(async () => {
      await t?.close();
      await database?.drop();
    });

    const profileIds = new Map<string, string>();

    /** userId → the persona id stored on the person's profile (the `persona` computed property). */
    async function assigned(): Promise<Map<string, string>> {
      if (profileIds.size === 0) {
        for (const userId of planted.keys()) {
          const profile = await t.admin(`/api/profiles/lookup?userId=${userId}`);
          profileIds.set(userId, profile.body.profileId ?? profile.body.profile?.profileId);
        }
      }
      const rows = await t.server.state.computedPropertiesOf([...profileIds.values()]);
      const persona = new Map(
        rows.filter((r) => r.name === 'persona').map((r) => [r.profileId, String(r.value)]),
      );
      return new Map([...profileIds].map(([userId, id]) => [userId, persona.get(id) ?? 'none']));
    }

    it('finds the three planted kinds of people, k chosen by silhouette', async () => {
      const answer = await t.adminRequest('POST', '/api/personas/fit', {});
      expect(answer.status).toBe(200);
      const fit = answer.body;
      expect(fit.k).toBe(3);
      expect(fit.people).toBe(150);
      expect([...fit.sizes].sort()).toEqual([50, 50, 50]);
      const people = await assigned();
      const ids = [...planted.keys()];
      const ari = adjustedRandIndex(
        ids.map((id) => planted.get(id)!),
        ids.map((id) => people.get(id)!),
      );
      expect(ari).toBeGreaterThan(0.95);
      // Each card says what sets its persona apart: the browsers' views far above everyone's,
      // the big spenders' few orders worth hundreds each.
      const cardOf = (userId: string) =>
        fit.personas.find((p: { id: string }) => p.id === people.get(userId));
      const browsers = cardOf('person-2');
      const views = browsers.standsOut.find((s: { feature: string }) => s.feature === 'views');
      expect(views?.direction ?? 'missing').toBe('higher');
      expect(browsers.description).toContain('views');
      const spenders = cardOf('person-0');
      expect(spenders.means.revenue / spenders.means.orders).toBeGreaterThan(400);
      expect(spenders.means.orders).toBeLessThan(3);
      // Each card's typical journey and preferred channel, from its people's events: the browsers'
      // only tracked event is Email Opened and most of their engagement is page views (30-50
      // against 6-10 opens); the spenders only order.
      expect(browsers.typicalJourney).toEqual({ steps: ['Email Opened'], share: 1 });
      expect(browsers.preferredChannel.channel).toBe('web');
      expect(browsers.preferredChannel.share).toBeGreaterThan(0.74);
      expect(browsers.preferredChannel.share).toBeLessThan(0.9);
      expect(spenders.typicalJourney).toEqual({ steps: ['Order Completed'], share: 1 });
    }, 120_000);

    it('keeps the persona ids on a refit, and the last fit is readable', async () => {
      const before = await assigned();
      const again = await t.adminRequest('POST', '/api/personas/fit', { k: 3 });
      expect(again.status).toBe(200);
      expect(await assigned()).toEqual(before);
      const latest = await t.admin('/api/personas');
      expect(latest.body.fittedAt).toBe(again.body.fittedAt);
    }, 120_000);

    it('makes each persona a segment: computed persona = "…" has the persona\'s size', async () => {
      const fit = (await t.admin('/api/personas')).body;
      const persona = fit.personas[0];
      const preview = await t.adminRequest('POST', '/api/segments/preview', {
        text: `computed persona = "${persona.id}"`,
      });
      expect(preview.status).toBe(200);
      expect(preview.body.size).toBe(persona.size);
    });

    it('refuses bad requests naming the field, and stores nothing from them', async () => {
      const before = (await t.admin('/api/personas')).body.fittedAt;
      const unknown = await t.adminRequest('POST', '/api/personas/fit', { traits: ['no_such_trait'] });
      expect(unknown.status).toBe(400);
      expect(unknown.body.error).toBe('RAPPORT_PERSONAS_UNKNOWN_TRAIT');
      const tooMany = await t.adminRequest('POST', '/api/personas/fit', { k: 13 });
      expect(tooMany.status).toBe(400);
      expect(JSON.stringify(tooMany.body)).toContain('k');
      const extra = await t.adminRequest('POST', '/api/personas/fit', { clusters: 3 });
      expect(extra.status).toBe(400);
      expect((await t.admin('/api/personas')).body.fittedAt).toBe(before);
    });
  });
