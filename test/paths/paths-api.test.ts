// GET /api/paths against a real server with real storage, on the embedded engine (DuckDB in
// the pipeline worker) and on PostgreSQL: four people's touchpoints sent through /v1/batch,
// one of them merged from an anonymous visitor; the answer's nodes and transitions are
// counted by hand here. Also the top-K "other" grouping with ties, the start touchpoint, the
// segment filter, the default range, bad parameters and the admin token.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { TestClock } from '../../src/pipeline/index.ts';
import { openSegmentStore, type SegmentStore } from '../../src/store/index.ts';
import { createTestDatabase } from '../support/postgres-database.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';

const T0 = Date.parse('2026-03-10T09:00:00.000Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
const RANGE = 'from=2026-03-10&to=2026-03-10';

const clusterUrl = inject('postgresUrl');
const ENGINES = [
  { name: 'embedded (SQLite + DuckDB)', postgres: false, enabled: true },
  { name: `PostgreSQL ${inject('postgresSkipReason')}`, postgres: true, enabled: Boolean(clusterUrl) },
];

const page = (who: Record<string, string>, name: string, minute: number) => ({
  type: 'page',
  ...who,
  name,
  timestamp: at(minute),
});
const event = (who: Record<string, string>, name: string, minute: number) => ({
  type: 'track',
  ...who,
  event: name,
  timestamp: at(minute),
});

const u1 = { userId: 'u1' };
const u2 = { userId: 'u2' };
const u3 = { userId: 'u3' };
const BATCH = [
  page(u1, 'Home', 0),
  page(u1, 'Home', 1),
  event(u1, 'Product Viewed', 2),
  event(u1, 'Order Completed', 3),
  { type: 'identify', ...u1, traits: { plan: 'pro' }, timestamp: at(4) },
  page(u2, 'Home', 0),
  event(u2, 'Product Viewed', 1),
  event(u2, 'Product Viewed', 2),
  page(u2, 'Home', 3),
  page(u3, 'Old', -24 * 60),
  page(u3, 'Pricing', 0),
  event(u3, 'Signed Up', 1),
  // Rapport's bookkeeping, not a touchpoint (as the Segment Entered the segment writes for u1).
  event(u3, 'Journey Step Completed', 2),
  // An anonymous visit, then a sign-up under a user id, then the identify that merges them.
  page({ anonymousId: 'a4' }, 'Home', 0),
  event({ userId: 'u4' }, 'Signed Up', 5),
  { type: 'identify', anonymousId: 'a4', userId: 'u4', timestamp: at(6) },
];

interface Graph {
  people: number;
  nodes: Array<{ id: string; step: number; touchpoint: string; people: number; ended: number }>;
  links: Array<{ source: string; target: string; people: number }>;
}
const nodesOf = (graph: Graph) => graph.nodes.map((n) => `${n.id}=${n.people}/${n.ended}`);
const linksOf = (graph: Graph) => graph.links.map((l) => `${l.source} > ${l.target}=${l.people}`);

for (const engine of ENGINES)
  describe.skipIf(!engine.enabled)(`paths between touchpoints on ${engine.name}`, () => {
    let server: TestServer;
    let store: SegmentStore;
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
      store = await openSegmentStore({ databaseUrl, dataDir: server.dataDir });
      const created = await server.adminRequest('POST', '/api/segments', {
        id: 'buyers',
        text: 'performed "Order Completed"',
      });
      expect(created.status).toBe(201);
      expect((await track(server, '/v1/batch', { batch: BATCH })).status).toBe(200);
      // Until the warehouse has every event and the segment its member (and its own
      // Segment Entered event, which is not a touchpoint, is in the warehouse too).
      for (let round = 0; ; round++) {
        await server.settle();
        const head = await server.server.state.log.headSeq();
        await server.server.pipeline.waitForSegments(head);
        const quiet = (await store.outbox(1)).length === 0 && (await store.getOffset()) === head;
        if (quiet && (await store.memberCounts()).get('buyers') === 1) break;
        if (round > 400) throw new Error('the pipeline did not settle');
        await new Promise((r) => setTimeout(r, 50));
      }
      await server.settle();
    }, 120_000);

    afterAll(async () => {
      await store?.close();
      await server?.close();
      await dropDatabase?.();
    }, 120_000);

    it('counts each step and transition, collapsing repeats and following merges', async () => {
      const { status, body } = await server.admin(`/api/paths?${RANGE}&steps=3&top=10`);
      expect(status).toBe(200);
      expect(body).toMatchObject({ from: '2026-03-10', to: '2026-03-10', steps: 3, top: 10, people: 4 });
      expect(nodesOf(body)).toEqual([
        '1|page:Home=3/0',
        '1|page:Pricing=1/0',
        '2|event:Product Viewed=2/0',
        '2|event:Signed Up=2/2',
        '3|event:Order Completed=1/1',
        '3|page:Home=1/1',
      ]);
      expect(linksOf(body)).toEqual([
        '1|page:Home > 2|event:Product Viewed=2',
        '1|page:Home > 2|event:Signed Up=1',
        '1|page:Pricing > 2|event:Signed Up=1',
        '2|event:Product Viewed > 3|event:Order Completed=1',
        '2|event:Product Viewed > 3|page:Home=1',
      ]);
      expect(body.nodes[0]).toMatchObject({ kind: 'page', name: 'Home' });
    });

    it('keeps the top touchpoints of each step by name and groups the rest as other', async () => {
      const { body } = await server.admin(`/api/paths?${RANGE}&steps=3&top=1`);
      // Ties break by byte order: "event:Order Completed" < "page:Home".
      expect(nodesOf(body)).toEqual([
        '1|page:Home=3/0',
        '1|other=1/0',
        '2|event:Product Viewed=2/0',
        '2|other=2/2',
        '3|event:Order Completed=1/1',
        '3|other=1/1',
      ]);
      expect(linksOf(body)).toEqual([
        '1|page:Home > 2|event:Product Viewed=2',
        '1|page:Home > 2|other=1',
        '1|other > 2|other=1',
        '2|event:Product Viewed > 3|event:Order Completed=1',
        '2|event:Product Viewed > 3|other=1',
      ]);
      expect(body.nodes[1]).toMatchObject({ kind: 'other', touchpoint: 'other' });
    });

    it('starts at a touchpoint, filters by segment, and defaults to the last 30 days', async () => {
      const started = (
        await server.admin(`/api/paths?${RANGE}&start=${encodeURIComponent('event:Product Viewed')}`)
      ).body;
      expect(started.people).toBe(2);
      expect(nodesOf(started)).toEqual([
        '1|event:Product Viewed=2/0',
        '2|event:Order Completed=1/1',
        '2|page:Home=1/1',
      ]);
      const buyers = (await server.admin(`/api/paths?${RANGE}&segment=buyers`)).body;
      expect(linksOf(buyers)).toEqual([
        '1|page:Home > 2|event:Product Viewed=1',
        '2|event:Product Viewed > 3|event:Order Completed=1',
      ]);
      // 30 days ending today (the test clock's 10 March) include u3's visit the day before.
      const month = (await server.admin('/api/paths?steps=2')).body;
      expect(month).toMatchObject({ from: '2026-02-09', to: '2026-03-10', steps: 2, top: 6 });
      expect(linksOf(month)).toContain('1|page:Old > 2|page:Pricing=1');
    });

    it('refuses bad parameters naming the field and its limit, an unknown segment and a missing token', async () => {
      const refused = async (query: string, message: RegExp) => {
        const { status, body } = await server.admin(`/api/paths?${query}`);
        expect(status, query).toBe(400);
        expect(body.message, query).toMatch(message);
      };
      await refused('steps=1', /steps must be >= 2/);
      await refused('steps=11', /steps must be <= 10/);
      await refused('top=0', /top must be >= 1/);
      await refused('top=21', /top must be <= 20/);
      await refused('from=2026-02-30', /^from: "2026-02-30" is not a date/);
      await refused('from=2026-03-10&to=2026-03-01', /^from: 2026-03-10 is after to/);
      await refused('from=2024-01-01&to=2026-03-01', /^from: the range is \d+ days; at most 366/);
      await refused('start=Home', /start must match pattern/);
      expect((await server.admin('/api/paths?segment=nope')).status).toBe(404);
      expect((await server.adminRequest('GET', '/api/paths', undefined, null)).status).toBe(401);
      expect((await server.adminRequest('GET', '/api/paths', undefined, 'rk_admin_wrong')).status).toBe(401);
    });

    it('documents the dashboard routes of this work in the OpenAPI output', async () => {
      const document = (await server.admin('/api/openapi.json')).body;
      const parameters = (path: string) =>
        (document.paths[path]?.get?.parameters ?? []).map((p: { name: string }) => p.name);
      expect(parameters('/api/paths')).toEqual(
        expect.arrayContaining(['from', 'to', 'steps', 'top', 'start', 'segment']),
      );
      expect(parameters('/api/segments/{id}/history')).toEqual(expect.arrayContaining(['id', 'days']));
      expect(parameters('/api/segments')).toContain('trendDays');
      expect(parameters('/api/profiles/{id}/journeys')).toEqual(expect.arrayContaining(['id', 'limit']));
      expect(document.paths['/api/paths'].get.security).toEqual([{ adminToken: [] }]);
    });
  });
