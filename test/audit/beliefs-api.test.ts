// The assumption audit through a real server on both engines: beliefs with planted truths get the
// right verdict (a share, a follow-up within a window, a difference between groups), a belief
// flips as data arrives and the flip is recorded, and bad claims are refused naming the field
// with nothing kept.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../support/postgres-database.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import {
  INK_WITHIN_30_DAYS,
  LYON,
  PLANTED_PEOPLE,
  PRINTER_BUYERS,
  plantBelievers,
  plantCohort,
} from './planted.ts';

const clusterUrl = inject('postgresUrl');
const ENGINES = [
  { name: 'embedded (SQLite + DuckDB)', postgres: false, enabled: true },
  { name: `PostgreSQL ${inject('postgresSkipReason')}`, postgres: true, enabled: Boolean(clusterUrl) },
];

const signedUp = { kind: 'event', event: 'Signed Up' };
const inLyon = { kind: 'trait', trait: 'city', op: 'equals', value: 'Lyon' };
const ordered = { kind: 'event', event: 'Order Completed' };
const printer = { event: 'Product Added', property: 'product_id', value: 'printer' };
const ink = { event: 'Product Added', property: 'product_id', value: 'ink' };

for (const engine of ENGINES)
  describe.skipIf(!engine.enabled)(`the assumption audit on ${engine.name}`, () => {
    let t: TestServer;
    let database: Awaited<ReturnType<typeof createTestDatabase>> | undefined;

    beforeAll(async () => {
      if (engine.postgres) database = await createTestDatabase(clusterUrl);
      t = await startTestServer(database ? { databaseUrl: database.url } : {});
      await plantBelievers(t);
    }, 120_000);

    afterAll(async () => {
      await t?.close();
      await database?.drop();
    });

    const believe = (statement: string, claim: object) =>
      t.adminRequest('POST', '/api/beliefs', { statement, claim });

    it('a share: "most sign-ups live in Lyon" is contradicted, "at least 5%" supported', async () => {
      const most = await believe('Most of our customers live in Lyon', {
        kind: 'share',
        among: [signedUp],
        have: inLyon,
        direction: 'at_least',
        share: 0.5,
      });
      expect(most.status).toBe(200);
      expect(most.body.result).toMatchObject({
        verdict: 'contradicted',
        people: PLANTED_PEOPLE,
        having: LYON,
      });
      expect(most.body.result.estimate).toBeCloseTo(LYON / PLANTED_PEOPLE, 10);
      expect(most.body.result.high).toBeLessThan(0.2);
      const some = await believe('At least 5% live in Lyon', {
        kind: 'share',
        among: [signedUp],
        have: inLyon,
        direction: 'at_least',
        share: 0.05,
      });
      expect(some.body.result.verdict).toBe('supported');
    });

    it('a follow-up: a third of printer buyers add ink within 30 days', async () => {
      const claim = (share: number) => ({
        kind: 'share',
        among: [{ kind: 'event', ...printer }],
        have: { kind: 'followed_by', first: printer, next: ink, withinDays: 30 },
        direction: 'at_least',
        share,
      });
      const fifth = await believe('At least a fifth of printer buyers buy ink within a month', claim(0.2));
      expect(fifth.body.result).toMatchObject({
        verdict: 'supported',
        people: PRINTER_BUYERS,
        having: INK_WITHIN_30_DAYS,
      });
      const most = await believe('Most printer buyers buy ink within a month', claim(0.6));
      expect(most.body.result.verdict).toBe('contradicted');
      // With a 60-day window the late ink counts too: two thirds.
      const wide = await believe('Printer buyers buy ink within two months', {
        ...claim(0.5),
        have: { kind: 'followed_by', first: printer, next: ink, withinDays: 60 },
      });
      expect(wide.body.result.having).toBe(2 * INK_WITHIN_30_DAYS);
    });

    it('a difference: "people in Lyon order more than the rest" is contradicted (none of them does)', async () => {
      const answer = await believe('Lyon orders more', {
        kind: 'difference',
        among: [signedUp],
        group: inLyon,
        outcome: ordered,
        direction: 'more',
        margin: 0,
      });
      expect(answer.status).toBe(200);
      expect(answer.body.result.group).toEqual({ people: LYON, withOutcome: 0 });
      expect(answer.body.result.rest).toEqual({ people: PLANTED_PEOPLE - LYON, withOutcome: 225 });
      expect(answer.body.result.verdict).toBe('contradicted');
      const less = await believe('Lyon orders less', {
        kind: 'difference',
        among: [signedUp],
        group: inLyon,
        outcome: ordered,
        direction: 'less',
        margin: 0.5,
      });
      // 0% against 85.9%: a gap of 86 points, well above 50.
      expect(less.body.result.verdict).toBe('supported');
    });

    it('a belief flips as data arrives, and the flip is recorded and listed', async () => {
      await plantCohort(t, 0, 4, 3);
      const created = await believe('Most of the late cohort buys', {
        kind: 'share',
        among: [{ kind: 'trait', trait: 'cohort', op: 'equals', value: 'late' }],
        have: ordered,
        direction: 'at_least',
        share: 0.5,
      });
      expect(created.body.result).toMatchObject({ verdict: 'not_enough_data', people: 4, having: 3 });
      expect(created.body.result.peopleToSettle).toBeGreaterThan(4);
      const steady = await t.adminRequest('POST', '/api/beliefs/test');
      expect(steady.body.flipped).toEqual([]);
      await plantCohort(t, 4, 60, 60);
      const retest = await t.adminRequest('POST', '/api/beliefs/test');
      expect(retest.status).toBe(200);
      expect(retest.body.flipped).toHaveLength(1);
      expect(retest.body.flipped[0]).toMatchObject({
        beliefId: created.body.id,
        from: 'not_enough_data',
        to: 'supported',
        people: 64,
      });
      const listed = await t.admin('/api/beliefs');
      const belief = listed.body.beliefs.find((b: { id: string }) => b.id === created.body.id);
      expect(belief.flips).toHaveLength(1);
      expect(listed.body.flips[0].beliefId).toBe(created.body.id);
      // Every other belief kept its verdict.
      expect(listed.body.beliefs.length).toBeGreaterThan(5);
    });

    it('refuses unknown events and traits, unknown fields and bad numbers, keeping nothing', async () => {
      const before = (await t.admin('/api/beliefs')).body.beliefs.length;
      const event = await believe('x', {
        ...{ kind: 'share', among: [], direction: 'at_least', share: 0.5 },
        have: { kind: 'event', event: 'Printer Bought' },
      });
      expect(event.status).toBe(400);
      expect(event.body.error).toBe('RAPPORT_BELIEFS_UNKNOWN_NAME');
      expect(event.body.field).toBe('claim.event');
      expect(event.body.message).toContain('Printer Bought');
      const trait = await believe('x', {
        kind: 'share',
        among: [{ kind: 'trait', trait: 'shoe_size', op: 'is_set' }],
        have: ordered,
        direction: 'at_least',
        share: 0.5,
      });
      expect(trait.status).toBe(400);
      expect(trait.body.message).toContain('shoe_size');
      expect(trait.body.field).toBe('claim.trait');
      const share = await believe('x', {
        kind: 'share',
        among: [],
        have: ordered,
        direction: 'at_least',
        share: 1.5,
      });
      expect(share.status).toBe(400);
      expect(share.body.field).toBe('claim.share');
      const window = await believe('x', {
        kind: 'share',
        among: [],
        have: {
          kind: 'followed_by',
          first: { event: 'Signed Up' },
          next: { event: 'Signed Up' },
          withinDays: 0,
        },
        direction: 'at_least',
        share: 0.5,
      });
      expect(window.status).toBe(400);
      expect(window.body.field).toBe('claim.have.withinDays');
      const unknown = await t.adminRequest('POST', '/api/beliefs', {
        statement: 'x',
        claim: { kind: 'share', among: [], have: ordered, direction: 'at_least', share: 0.5 },
        colour: 'red',
      });
      expect(unknown.status).toBe(400);
      expect(unknown.body.message).toContain('colour');
      expect((await t.adminRequest('DELETE', '/api/beliefs/nope')).status).toBe(404);
      expect((await t.admin('/api/beliefs')).body.beliefs.length).toBe(before);
    });

    it('rewrites and forgets a belief', async () => {
      const created = await believe('Everyone orders', {
        kind: 'share',
        among: [signedUp],
        have: ordered,
        direction: 'at_least',
        share: 0.99,
      });
      expect(created.body.result.verdict).toBe('contradicted');
      const rewritten = await t.adminRequest('PUT', `/api/beliefs/${created.body.id}`, {
        statement: 'Most order',
        claim: { kind: 'share', among: [signedUp], have: ordered, direction: 'at_least', share: 0.5 },
      });
      expect(rewritten.body).toMatchObject({ id: created.body.id, statement: 'Most order' });
      expect(rewritten.body.result.verdict).toBe('supported');
      expect((await t.adminRequest('DELETE', `/api/beliefs/${created.body.id}`)).status).toBe(204);
      const ids = (await t.admin('/api/beliefs')).body.beliefs.map((b: { id: string }) => b.id);
      expect(ids).not.toContain(created.body.id);
    });
    it('my own persona: where one order sits among the planted customers, and unknown features refused', async () => {
      const answer = await t.adminRequest('POST', '/api/beliefs/self', { values: { orders: 1 } });
      expect(answer.status).toBe(200);
      // 300 planted people (75 never ordered) and the late cohort of 64 (one never ordered).
      expect(answer.body.people).toBe(PLANTED_PEOPLE + 64);
      const orders = answer.body.features.find((f: { name: string }) => f.name === 'orders');
      expect(orders.yours).toBe(1);
      expect(orders.below).toBeCloseTo(76 / (PLANTED_PEOPLE + 64), 10);
      const bad = await t.adminRequest('POST', '/api/beliefs/self', { values: { shoe_size: 42 } });
      expect(bad.status).toBe(400);
      expect(bad.body.field).toBe('values.shoe_size');
    });
  });
