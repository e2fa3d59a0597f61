// The people explorer over HTTP on both engines, against planted people whose traits and
// orders are known: totals, orders, pages, searches, the rule filter, the CSV export, and a
// segment saved from the explorer's filter holding the same people.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../support/postgres-database.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';

const clusterUrl = inject('postgresUrl');
const ENGINES = [
  { name: 'embedded (SQLite + DuckDB)', postgres: false, enabled: true },
  { name: `PostgreSQL ${inject('postgresSkipReason')}`, postgres: true, enabled: Boolean(clusterUrl) },
];

const at = (minutes: number) =>
  new Date(Date.parse('2024-05-01T10:00:00.000Z') + minutes * 60_000).toISOString();

interface Planted {
  userId: string;
  name: string;
  email: string;
  city: string;
  seats: number;
  orders: number;
}

// Twelve people: seats and orders chosen so every order below is decided by the truth alone.
const PEOPLE: Planted[] = Array.from({ length: 12 }, (_, i) => ({
  userId: `shopper-${String(i + 1).padStart(2, '0')}`,
  name:
    ['Ada Lovelace', 'Bob Stone', 'Cleo Brown', 'Dan Lee', 'Eve Park', 'Fay Wong'][i % 6] +
    (i >= 6 ? ' II' : ''),
  email: `person${i + 1}@example.org`,
  city: i % 3 === 0 ? 'Utrecht' : 'Leiden',
  seats: ((i * 7) % 12) + 1,
  orders: i % 4,
}));
PEOPLE[11]!.name = '=HYPERLINK("http://x")';

const buyers = (min: number) => PEOPLE.filter((p) => p.orders >= min);

for (const engine of ENGINES)
  describe.skipIf(!engine.enabled)(`people explorer on ${engine.name}`, () => {
    let t: TestServer;
    let dropDatabase: (() => Promise<void>) | undefined;
    const idOf = new Map<string, string>();
    beforeAll(async () => {
      if (engine.postgres) {
        const database = await createTestDatabase(clusterUrl);
        dropDatabase = database.drop;
        t = await startTestServer({ databaseUrl: database.url });
      } else {
        t = await startTestServer();
      }
      const batch = PEOPLE.flatMap((p, i) => [
        {
          type: 'identify',
          userId: p.userId,
          traits: { name: p.name, email: p.email, city: p.city, seats: p.seats },
          timestamp: at(i),
        },
        ...Array.from({ length: p.orders }, (_, k) => ({
          type: 'track',
          userId: p.userId,
          event: 'Order Completed',
          properties: { revenue: 10 },
          timestamp: at(100 + i * 10 + k),
        })),
      ]);
      expect((await track(t, '/v1/batch', { batch })).status).toBe(200);
      await t.settle();
      for (const p of PEOPLE) {
        const { body } = await t.admin(`/api/profiles/lookup?userId=${p.userId}`);
        idOf.set(p.userId, body.profileId);
      }
    }, 120_000);
    afterAll(async () => {
      await t?.close();
      await dropDatabase?.();
    });

    const search = async (body: Record<string, unknown>) => {
      const answer = await t.adminRequest('POST', '/api/people/search', body);
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      return answer.body as {
        total: number;
        items: Array<{ profileId: string; traits: Record<string, unknown> }>;
        ruleText: string | null;
      };
    };
    const users = (items: Array<{ traits: Record<string, unknown> }>) => items.map((p) => p.traits.email);

    it('counts everyone and sorts by a numeric trait, ties by id', async () => {
      const page = await search({ sort: 'trait:seats', descending: true, limit: 200 });
      expect(page.total).toBe(12);
      const seats = page.items.map((p) => p.traits.seats);
      expect(seats).toEqual([...PEOPLE.map((p) => p.seats)].sort((a, b) => b - a));
    });

    it('pages by offset: every person once, the total on each page', async () => {
      const seen: string[] = [];
      for (let offset = 0; offset < 12; offset += 5) {
        const page = await search({ sort: 'trait:name', offset, limit: 5 });
        expect(page.total).toBe(12);
        seen.push(...page.items.map((p) => p.profileId));
      }
      expect(new Set(seen).size).toBe(12);
      expect(seen.length).toBe(12);
    });

    it('searches by part of a name, an email, a profile id or any trait value', async () => {
      expect(users((await search({ q: 'lovelace' })).items).sort()).toEqual([
        'person1@example.org',
        'person7@example.org',
      ]);
      expect(users((await search({ q: 'person5@example.org' })).items)).toEqual(['person5@example.org']);
      const id = idOf.get('shopper-03') as string;
      expect((await search({ q: id })).items.map((p) => p.profileId)).toEqual([id]);
      expect((await search({ q: 'utrecht' })).total).toBe(PEOPLE.filter((p) => p.city === 'Utrecht').length);
    });

    it('finds text inside any trait value through the index, kept current as traits change', async () => {
      // Three letters or more go through the trigram index; fewer read every profile's text.
      const leiden = PEOPLE.filter((p) => p.city === 'Leiden').length;
      expect((await search({ q: 'LEID' })).total).toBe(leiden);
      expect((await search({ q: 'eid' })).total).toBe(leiden);
      expect((await search({ q: 'ei' })).total).toBe(leiden);
      // A match stays inside one value: the end of a city and the start of a name do not join.
      expect((await search({ q: 'example.org\nutrecht' })).total).toBe(0);
      expect((await search({ q: 'example.orgutrecht' })).total).toBe(0);
      // Quotes and FTS syntax are text.
      expect(users((await search({ q: '"http://x"' })).items)).toEqual(['person12@example.org']);
      expect((await search({ q: 'NOT OR' })).total).toBe(0);
      // A trait written later is found; the value it replaced is not.
      const moved = PEOPLE[1] as Planted;
      const write = await track(t, '/v1/identify', {
        userId: moved.userId,
        traits: { city: 'Maastricht-aan-Zee' },
      });
      expect(write.status).toBe(200);
      await t.settle();
      expect(users((await search({ q: 'aan-zee' })).items)).toEqual([moved.email]);
      expect((await search({ q: 'leiden' })).total).toBe(leiden - 1);
      const back = await track(t, '/v1/identify', { userId: moved.userId, traits: { city: moved.city } });
      expect(back.status).toBe(200);
      await t.settle();
      expect((await search({ q: 'aan-zee' })).total).toBe(0);
      expect((await search({ q: 'leiden' })).total).toBe(leiden);
    });

    it('filters by a segment rule and says the rule as a segment would hold it', async () => {
      const rule = {
        kind: 'performed',
        event: 'Order Completed',
        where: [],
        count: { op: 'gte', value: 2 },
        window: { kind: 'ever' },
      };
      const page = await search({ rule, limit: 200 });
      expect(page.total).toBe(buyers(2).length);
      expect(users(page.items).sort()).toEqual(
        buyers(2)
          .map((p) => p.email)
          .sort(),
      );
      expect(page.ruleText).toContain('Order Completed');
      const both = await search({ rule, q: 'utrecht' });
      expect(both.total).toBe(buyers(2).filter((p) => p.city === 'Utrecht').length);
    });

    it('refuses a bad sort, a rule that does not parse and an unknown field with a 400 naming it', async () => {
      const sort = await t.adminRequest('POST', '/api/people/search', { sort: 'shoe size' });
      expect(sort.status).toBe(400);
      expect(sort.body.message).toMatch(/^sort:/);
      const rule = await t.adminRequest('POST', '/api/people/search', { text: 'performed "Order' });
      expect(rule.status).toBe(400);
      const field = await t.adminRequest('POST', '/api/people/search', { limits: 3 });
      expect(field.status).toBe(400);
      expect(field.body.message).toContain('limits');
    });

    it('exports everyone the filter matches as CSV, traits as columns, formulas defused', async () => {
      const response = await fetch(`${t.url}/api/people/export`, {
        method: 'POST',
        headers: { authorization: `Bearer ${t.adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          text: 'performed "Order Completed" at least 1 times',
          traits: ['city', 'seats'],
        }),
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/csv');
      const lines = (await response.text()).trim().split('\n');
      expect(lines[0]).toBe('profile_id,name,email,first_seen,last_seen,event_count,trait.city,trait.seats');
      expect(lines.length - 1).toBe(buyers(1).length);
      const last = PEOPLE[11] as Planted;
      const row = lines.find((line) => line.includes(last.email));
      expect(row).toContain(`"'=HYPERLINK(""http://x"")"`);
      expect(row).toContain(`,${last.city},${last.seats}`);
    });

    it('exports the CSV in the order the list is sorted (a trait, a column, either direction)', async () => {
      const csvNames = async (body: object) => {
        const response = await fetch(`${t.url}/api/people/export`, {
          method: 'POST',
          headers: { authorization: `Bearer ${t.adminToken}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        expect(response.status).toBe(200);
        return (await response.text())
          .trim()
          .split('\n')
          .slice(1)
          .map((line) => line.split(',')[2]);
      };
      const bySeats = [...PEOPLE].sort((a, b) => b.seats - a.seats).map((p) => p.email);
      expect(await csvNames({ sort: 'trait:seats', descending: true })).toEqual(bySeats);
      expect(await csvNames({ sort: 'trait:seats' })).toEqual([...bySeats].reverse());
      // The default is the table's: newest first (each person's last event).
      const listed = await search({ limit: 200 });
      expect(await csvNames({})).toEqual(users(listed.items));
      const byFirstSeen = await search({ sort: 'firstSeen', q: 'leiden', limit: 200 });
      expect(await csvNames({ sort: 'firstSeen', q: 'leiden' })).toEqual(users(byFirstSeen.items));
      const bad = await t.adminRequest('POST', '/api/people/export', { sort: 'shoe size' });
      expect(bad.status).toBe(400);
      expect(bad.body.message).toMatch(/^sort:/);
    });

    it("gives a person's survey answers for the 360, newest first, and 404 for nobody", async () => {
      const survey = {
        id: 'quick-nps',
        title: 'How are we doing?',
        questions: [{ id: 'nps', kind: 'nps', text: 'How likely are you to recommend us?', required: true }],
      };
      expect((await t.adminRequest('POST', '/api/surveys', survey)).status).toBe(200);
      const profileId = idOf.get('shopper-02') as string;
      const link = await t.adminRequest('POST', '/api/survey-links', { surveyId: survey.id, profileId });
      expect(link.status).toBe(200);
      const answered = await fetch(link.body.url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'q_nps=9',
      });
      expect(answered.status).toBe(200);
      const mine = await t.admin(`/api/people/${profileId}/surveys`);
      expect(mine.status).toBe(200);
      expect(mine.body.items).toEqual([
        expect.objectContaining({ surveyId: 'quick-nps', answers: { nps: 9 } }),
      ]);
      const other = await t.admin(`/api/people/${idOf.get('shopper-03')}/surveys`);
      expect(other.body.items).toEqual([]);
      expect((await t.admin('/api/people/no-such-person/surveys')).status).toBe(404);
    });

    it('saves the filter as a segment that holds exactly the people the explorer counted', async () => {
      const text = 'performed "Order Completed" at least 2 times';
      const counted = await search({ text, limit: 200 });
      const created = await t.adminRequest('POST', '/api/segments', {
        name: 'From the explorer',
        text: counted.ruleText,
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      let size = -1;
      for (let round = 0; round < 600 && size !== counted.total; round++) {
        await t.settle();
        await t.server.pipeline.waitForSegments(await t.server.state.log.headSeq());
        const segment = (await t.admin(`/api/segments/${created.body.id}`)).body;
        if (segment.status === 'live') size = segment.size;
        else await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(size).toBe(counted.total);
      const members = (await t.admin(`/api/segments/${created.body.id}/members?limit=100`)).body.members;
      expect(members.map((m: { profileId: string }) => m.profileId).sort()).toEqual(
        counted.items.map((p) => p.profileId).sort(),
      );
      // The saved segment as a filter gives the same list again.
      const inSegment = await search({ rule: { kind: 'in_segment', segment: created.body.id } });
      expect(inSegment.total).toBe(counted.total);
    });
  });
