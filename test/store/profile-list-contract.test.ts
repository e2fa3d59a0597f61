// The people explorer's list (StateStore.listProfiles) on both state engines: the same
// planted profiles give the same pages, orders and counts on SQLite and PostgreSQL.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ProfileListQuery, ProfileRow } from '../../src/store/types.ts';
import { ENGINES, type OpenedStores } from './engines.ts';

const T0 = Date.parse('2024-03-01T10:00:00.000Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
const trait = (value: unknown) => ({ value, at: at(1), source: 'web', messageId: 'm' });

function profile(profileId: string, extra: Partial<ProfileRow> = {}): ProfileRow {
  return {
    profileId,
    createdAt: at(0),
    firstSeen: at(0),
    lastSeen: at(1),
    eventCount: 1,
    traits: {},
    groups: {},
    consent: {},
    mergedInto: null,
    ...extra,
  };
}

// Planted: five live people and one merged away; seats is a number for some, missing for one.
const PEOPLE: ProfileRow[] = [
  profile('p-a', {
    traits: { name: trait('Ada Lovelace'), plan: trait('pro'), seats: trait(12) },
    lastSeen: at(50),
    eventCount: 7,
  }),
  profile('p-b', {
    traits: { name: trait('Bob Stone'), plan: trait('free'), seats: trait(3) },
    lastSeen: at(20),
    eventCount: 2,
  }),
  profile('p-c', {
    traits: { name: trait('Cleo Brown'), plan: trait('pro'), seats: trait(100), city: trait('Utrecht') },
    lastSeen: at(40),
    eventCount: 9,
  }),
  profile('p-d', { traits: { name: trait('Dan Lee'), plan: trait('pro') }, lastSeen: at(10), eventCount: 1 }),
  profile('p-e', { traits: { email: trait('eve@example.org'), seats: trait(7) }, lastSeen: at(30) }),
  profile('p-gone', { traits: { name: trait('Ada Twin') }, mergedInto: 'p-a' }),
];

for (const engine of ENGINES) {
  const title = engine.skipReason ? `${engine.name} (${engine.skipReason})` : engine.name;
  describe.skipIf(engine.skipReason !== '')(`people list on ${title}`, () => {
    let stores: OpenedStores;
    beforeEach(async () => {
      stores = await engine.open();
      await stores.state.withProcessorLock('profiles', (tx) =>
        tx.write({ profiles: PEOPLE, identities: [], merges: [] }),
      );
    }, 60_000);
    afterEach(async () => {
      await stores.close();
    });

    const list = async (query: Partial<ProfileListQuery>) => {
      const page = await stores.state.listProfiles({
        order: { column: 'profile_id' },
        descending: false,
        offset: 0,
        limit: 50,
        withTotal: true,
        ...query,
      });
      return { ids: page.rows.map((row) => row.profileId), total: page.total };
    };

    it('lists live profiles only, by id, with the total', async () => {
      expect(await list({})).toEqual({ ids: ['p-a', 'p-b', 'p-c', 'p-d', 'p-e'], total: 5 });
    });

    it('orders by a column either way, ties by id', async () => {
      expect((await list({ order: { column: 'last_seen' }, descending: true })).ids).toEqual([
        'p-a',
        'p-c',
        'p-e',
        'p-b',
        'p-d',
      ]);
      expect((await list({ order: { column: 'event_count' } })).ids).toEqual([
        'p-d',
        'p-e',
        'p-b',
        'p-a',
        'p-c',
      ]);
    });

    it('orders by a numeric trait as numbers, people without it last in both directions', async () => {
      expect((await list({ order: { trait: 'seats' } })).ids).toEqual(['p-b', 'p-e', 'p-a', 'p-c', 'p-d']);
      expect((await list({ order: { trait: 'seats' }, descending: true })).ids).toEqual([
        'p-c',
        'p-a',
        'p-e',
        'p-b',
        'p-d',
      ]);
    });

    it('pages by offset without losing or repeating anyone, the total unchanged', async () => {
      const order = { trait: 'name' } as const;
      const first = await list({ order, limit: 2 });
      const second = await list({ order, limit: 2, offset: 2 });
      const third = await list({ order, limit: 2, offset: 4 });
      expect([...first.ids, ...second.ids, ...third.ids]).toEqual(['p-a', 'p-b', 'p-c', 'p-d', 'p-e']);
      expect([first.total, second.total, third.total]).toEqual([5, 5, 5]);
    });

    it('filters to a set of ids and searches any trait value, case aside, or resolved ids', async () => {
      expect(await list({ profileIds: ['p-a', 'p-c', 'p-gone', 'nobody'] })).toEqual({
        ids: ['p-a', 'p-c'],
        total: 2,
      });
      expect(await list({ profileIds: [] })).toEqual({ ids: [], total: 0 });
      expect(await list({ search: { text: 'UTRECHT', ids: [] } })).toEqual({ ids: ['p-c'], total: 1 });
      expect(await list({ search: { text: 'ada', ids: [] } })).toEqual({ ids: ['p-a'], total: 1 });
      // A number is searched as its text; an id the caller resolved matches too, and comes first.
      expect(await list({ search: { text: '100', ids: ['p-e'] } })).toEqual({
        ids: ['p-e', 'p-c'],
        total: 2,
      });
      expect(
        await list({ search: { text: 'pro', ids: [] }, profileIds: ['p-a', 'p-b', 'p-d'], withTotal: true }),
      ).toEqual({ ids: ['p-a', 'p-d'], total: 2 });
    });

    it('reads on after an id (the export walks the list this way)', async () => {
      expect(await list({ afterId: 'p-b', limit: 2 })).toEqual({ ids: ['p-c', 'p-d'], total: 3 });
    });

    it('puts whom the search names exactly first, then the order', async () => {
      const page = await list({
        search: { text: 'pro', ids: ['p-d'] },
        order: { column: 'last_seen' },
        descending: true,
      });
      expect(page).toEqual({ ids: ['p-d', 'p-a', 'p-c'], total: 3 });
    });

    it('leaves the count out when not asked for it', async () => {
      expect((await list({ withTotal: false })).total).toBeUndefined();
    });
  });
}
