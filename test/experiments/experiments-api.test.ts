// Experiments end to end on a real server, on the embedded engines (SQLite + DuckDB) and on
// PostgreSQL: an experiment saved through the API (bad ones refused naming the field), people
// assigned through POST /v1/assign (deterministic, sticky for a userId, an exposure logged once),
// their purchases sent through /v1/batch, and the results counted in the warehouse: per arm the
// people and conversions counted here by hand, a merged person counted once, and the statistics
// equal to compare() on those hand counts.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { inGlobalHoldout } from '../../src/conductor/index.ts';
import { assignArm, banditSummary, compare, type Experiment } from '../../src/experiments/index.ts';
import { TestClock } from '../../src/pipeline/index.ts';
import { openSegmentStore } from '../../src/store/index.ts';
import { createTestDatabase } from '../support/postgres-database.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';

const T0 = Date.parse('2026-03-10T09:00:00.000Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

const clusterUrl = inject('postgresUrl');
const ENGINES = [
  { name: 'embedded (SQLite + DuckDB)', postgres: false, enabled: true },
  { name: `PostgreSQL ${inject('postgresSkipReason')}`, postgres: true, enabled: Boolean(clusterUrl) },
];

const EXPERIMENT: Experiment = {
  id: 'checkout-button',
  name: 'Green checkout button',
  hypothesis: 'A green button makes more people finish their order',
  owner: 'ada@example.com',
  status: 'running',
  attachment: { kind: 'standalone' },
  arms: [
    { id: 'control', name: 'Blue', weight: 0.5 },
    { id: 'green', name: 'Green', weight: 0.5 },
  ],
  primaryMetric: { name: 'purchases', kind: 'conversion', event: 'Order Completed', windowHours: 72 },
  guardrailMetrics: [
    { name: 'revenue', kind: 'sum', event: 'Order Completed', property: 'revenue', windowHours: 72 },
  ],
};

const PEOPLE = Array.from({ length: 60 }, (_, i) => `user-${i}`);
/** Who buys: a third of everyone, and in the green arm every other person too. */
const buys = (i: number, arm: string) => i % 3 === 0 || (arm === 'green' && i % 2 === 0);

for (const engine of ENGINES)
  describe.skipIf(!engine.enabled)(`experiments on ${engine.name}`, () => {
    let server: TestServer;
    let dropDatabase: (() => Promise<void>) | undefined;
    let databaseUrlOf: string | undefined;
    const armOf = new Map<string, string>();
    const clock = new TestClock(new Date(T0));

    async function settle(): Promise<void> {
      for (let round = 0; round < 400; round++) {
        await server.settle();
        const head = await server.server.state.log.headSeq();
        await server.server.pipeline.waitForSegments(head);
        if ((await server.server.state.log.headSeq()) === head) return;
      }
      throw new Error('the pipeline did not settle');
    }

    beforeAll(async () => {
      let databaseUrl: string | undefined;
      if (engine.postgres) {
        const database = await createTestDatabase(clusterUrl);
        dropDatabase = database.drop;
        databaseUrl = database.url;
      }
      server = await startTestServer(databaseUrl ? { databaseUrl } : {}, { clock });
      databaseUrlOf = databaseUrl;
      // The metric's event must have been seen before a metric may name it.
      await track(server, '/v1/batch', {
        batch: [{ type: 'track', userId: 'someone-else', event: 'Order Completed', timestamp: at(-600) }],
      });
      await settle();
    }, 120_000);

    afterAll(async () => {
      await server?.close();
      await dropDatabase?.();
    }, 120_000);

    it('refuses weights that do not sum up and metrics naming unknown events, naming the field', async () => {
      const weights = await server.adminRequest('PUT', `/api/experiments/${EXPERIMENT.id}`, {
        ...EXPERIMENT,
        arms: [
          { id: 'control', name: 'Blue', weight: 0.5 },
          { id: 'green', name: 'Green', weight: 0.6 },
        ],
      });
      expect(weights.status).toBe(400);
      expect(weights.body.field).toBe('arms');
      const unknown = await server.adminRequest('PUT', `/api/experiments/${EXPERIMENT.id}`, {
        ...EXPERIMENT,
        primaryMetric: { ...EXPERIMENT.primaryMetric, event: 'Order Complete' },
      });
      expect(unknown.status).toBe(400);
      expect(unknown.body.field).toBe('primaryMetric.event');
      const shape = await server.adminRequest('PUT', `/api/experiments/${EXPERIMENT.id}`, {
        ...EXPERIMENT,
        arms: [],
      });
      expect(shape.status).toBe(400);
      expect(shape.body.field).toBe('arms');
    });

    it('assigns deterministically, logs one exposure per person, and counts the results in the warehouse', async () => {
      const saved = await server.adminRequest('PUT', `/api/experiments/${EXPERIMENT.id}`, EXPERIMENT);
      expect(saved.status).toBe(200);
      for (const userId of PEOPLE) {
        const answer = await track(server, '/v1/assign', { experimentId: EXPERIMENT.id, userId });
        expect(answer.status).toBe(200);
        expect(answer.body.inExperiment).toBe(true);
        // The same as the pure function: no stored assignment, any server answers the same.
        expect(answer.body.variationId).toBe(assignArm(EXPERIMENT, `u:${userId}`).id);
        armOf.set(userId, answer.body.variationId);
      }
      // Asked again (another device of the same user): the same arm, and no second exposure.
      const again = await track(server, '/v1/assign', { experimentId: EXPERIMENT.id, userId: PEOPLE[0] });
      expect(again.body.variationId).toBe(armOf.get(PEOPLE[0] as string));

      // A visitor assigned anonymously who then signs in as a user who already had a profile:
      // the two profiles merge and the person is counted once.
      await track(server, '/v1/batch', {
        batch: [{ type: 'track', userId: 'merged-user', event: 'Signed Up', timestamp: at(-30) }],
      });
      const anonymous = await track(server, '/v1/assign', {
        experimentId: EXPERIMENT.id,
        anonymousId: 'visitor-1',
      });
      const visitorArm = anonymous.body.variationId as string;
      await track(server, '/v1/batch', {
        batch: [
          { type: 'identify', anonymousId: 'visitor-1', userId: 'merged-user', timestamp: at(5) },
          {
            type: 'track',
            userId: 'merged-user',
            event: 'Order Completed',
            properties: { revenue: 10 },
            timestamp: at(6),
          },
        ],
      });

      const batch = PEOPLE.flatMap((userId, i) => {
        const arm = armOf.get(userId) as string;
        if (!buys(i, arm)) return [];
        // Two orders for some: conversion counts the person once, revenue adds both.
        const orders = i % 5 === 0 ? 2 : 1;
        return Array.from({ length: orders }, (_, k) => ({
          type: 'track',
          userId,
          event: 'Order Completed',
          properties: { revenue: 10 + i },
          timestamp: at(10 + k),
        }));
      });
      // A purchase after the window is not counted.
      batch.push({
        type: 'track',
        userId: PEOPLE[1] as string,
        event: 'Order Completed',
        properties: { revenue: 999 },
        timestamp: at(73 * 60),
      });
      expect((await track(server, '/v1/batch', { batch })).status).toBe(200);
      await settle();

      const exposures = await server.server.pipeline.query(
        "SELECT count(*) AS n FROM events WHERE name = 'Experiment Viewed'",
      );
      expect(Number(exposures[0]?.n)).toBe(PEOPLE.length + 1);

      const { status, body } = await server.admin(`/api/experiments/${EXPERIMENT.id}/results`);
      expect(status).toBe(200);
      const expected = new Map<string, { n: number; sum: number; revenue: number; revenueSquares: number }>();
      for (const arm of ['control', 'green'])
        expected.set(arm, { n: 0, sum: 0, revenue: 0, revenueSquares: 0 });
      PEOPLE.forEach((userId, i) => {
        const arm = armOf.get(userId) as string;
        const totals = expected.get(arm)!;
        totals.n += 1;
        if (buys(i, arm)) {
          const revenue = (i % 5 === 0 ? 2 : 1) * (10 + i);
          totals.sum += 1;
          totals.revenue += revenue;
          totals.revenueSquares += revenue * revenue;
        }
      });
      const visitor = expected.get(visitorArm)!;
      visitor.n += 1;
      visitor.sum += 1;
      visitor.revenue += 10;
      visitor.revenueSquares += 100;

      const purchases = body.metrics[0];
      expect(purchases).toMatchObject({ name: 'purchases', role: 'primary' });
      const control = expected.get('control')!;
      const green = expected.get('green')!;
      expect(purchases.arms.map((a: { arm: string; n: number }) => [a.arm, a.n])).toEqual([
        ['control', control.n],
        ['green', green.n],
      ]);
      expect(purchases.arms[0].value).toBeCloseTo(control.sum / control.n, 12);
      expect(purchases.arms[1].value).toBeCloseTo(green.sum / green.n, 12);
      const truth = compare({
        type: 'proportion',
        control: { n: control.n, sum: control.sum },
        variant: { n: green.n, sum: green.sum },
      });
      expect(purchases.arms[1].effect).toBeCloseTo(truth.effect, 12);
      expect(purchases.arms[1].ci[0]).toBeCloseTo(truth.ci[0], 12);
      expect(purchases.arms[1].pValue).toBeCloseTo(truth.pValue as number, 12);
      // Two p-values (purchases, revenue): Holm doubles the smaller at least.
      expect(body.correction).toBe('holm-bonferroni');
      expect(purchases.arms[1].adjustedPValue).toBeGreaterThanOrEqual(purchases.arms[1].pValue);

      const revenue = body.metrics[1];
      expect(revenue.arms[0].value).toBeCloseTo(control.revenue / control.n, 9);
      expect(revenue.arms[1].value).toBeCloseTo(green.revenue / green.n, 9);
      const revenueTruth = compare({
        type: 'mean',
        control: { n: control.n, sum: control.revenue, sumSquares: control.revenueSquares },
        variant: { n: green.n, sum: green.revenue, sumSquares: green.revenueSquares },
      });
      expect(revenue.arms[1].effect).toBeCloseTo(revenueTruth.effect, 9);

      expect(body.srm.counts).toEqual({ control: control.n, green: green.n });
      expect(body.srm.mismatch).toBe(false);
      expect(typeof body.verdict).toBe('string');
      expect(JSON.stringify(body)).not.toMatch(/NaN/);
    });

    it('answers the control without an exposure when the experiment is not running', async () => {
      await server.adminRequest('PUT', '/api/experiments/paused', {
        ...EXPERIMENT,
        id: 'paused',
        status: 'draft',
      });
      const answer = await track(server, '/v1/assign', { experimentId: 'paused', userId: 'user-7' });
      expect(answer.body).toMatchObject({
        variationId: 'control',
        inExperiment: false,
        reason: 'not_running',
      });
      const unknown = await track(server, '/v1/assign', { experimentId: 'nope', userId: 'user-7' });
      expect(unknown.status).toBe(404);
      const nobody = await track(server, '/v1/assign', { experimentId: 'paused' });
      expect(nobody.status).toBe(400);
      const noKey = await fetch(`${server.url}/v1/assign`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ experimentId: 'paused', userId: 'x' }),
      });
      expect(noKey.status).toBe(401);
    });

    it("reads a journey split's arms and holdout from its Journey Step Completed events", async () => {
      // 30 people through split "s1" of journey "onboarding": 10 held out, 10 in each arm;
      // arm b converts 8 of 10, arm a 4 of 10, the holdout 2 of 10.
      const converts = { holdout: 2, a: 4, b: 8 } as const;
      const batch: unknown[] = [];
      (['holdout', 'a', 'b'] as const).forEach((arm, k) => {
        for (let i = 0; i < 10; i++) {
          const userId = `journeyer-${arm}-${i}`;
          batch.push({
            type: 'track',
            userId,
            event: 'Journey Step Completed',
            properties: {
              journeyId: 'onboarding',
              stepId: 's1',
              stepType: 'split',
              outcome: arm === 'holdout' ? 'holdout' : `arm ${arm}`,
            },
            timestamp: at(100 + k),
          });
          if (i < converts[arm]) {
            batch.push({
              type: 'track',
              userId,
              event: 'Order Completed',
              properties: { revenue: 5 },
              timestamp: at(200),
            });
          }
        }
      });
      expect((await track(server, '/v1/batch', { batch })).status).toBe(200);
      await settle();
      const journeyExperiment = {
        ...EXPERIMENT,
        id: 'onboarding-split',
        attachment: { kind: 'journey', journeyId: 'onboarding', stepId: 's1' },
        arms: [
          { id: 'a', name: 'A', weight: 1 / 3 },
          { id: 'b', name: 'B', weight: 1 / 3 },
          { id: 'holdout', name: 'Holdout', weight: 1 / 3 },
        ],
        guardrailMetrics: [],
      };
      expect(
        (await server.adminRequest('PUT', '/api/experiments/onboarding-split', journeyExperiment)).status,
      ).toBe(200);
      const { body } = await server.admin('/api/experiments/onboarding-split/results');
      const arms = body.metrics[0].arms.map((a: { arm: string; n: number; value: number }) => [
        a.arm,
        a.n,
        a.value,
      ]);
      expect(arms).toEqual([
        ['a', 10, 0.4],
        ['b', 10, 0.8],
        ['holdout', 10, 0.2],
      ]);
      // The journey's lift: the two arms pooled (12 of 20) against the holdout (2 of 10).
      expect(body.journeyHoldout.treated).toEqual({ n: 20, value: 0.6 });
      expect(body.journeyHoldout.heldOut).toEqual({ n: 10, value: 0.2 });
      const truth = compare({ type: 'proportion', control: { n: 10, sum: 2 }, variant: { n: 20, sum: 12 } });
      expect(body.journeyHoldout.effect).toBeCloseTo(truth.effect, 12);
      expect(body.journeyHoldout.pValue).toBeCloseTo(truth.pValue as number, 12);
    });

    it("runs Thompson sampling over a placement's offers from their impressions and clicks", async () => {
      const promotion = (event: string, offer: string, i: number) => ({
        type: 'track',
        userId: `viewer-${offer}-${i}`,
        event,
        properties: { promotion_id: offer, placement: 'home', creative: 'home', position: 'home' },
        timestamp: at(-60),
      });
      const batch = [
        ...Array.from({ length: 50 }, (_, i) => promotion('Promotion Viewed', 'offer-a', i)),
        ...Array.from({ length: 2 }, (_, i) => promotion('Promotion Clicked', 'offer-a', i)),
        ...Array.from({ length: 40 }, (_, i) => promotion('Promotion Viewed', 'offer-b', i)),
        ...Array.from({ length: 10 }, (_, i) => promotion('Promotion Clicked', 'offer-b', i)),
      ];
      expect((await track(server, '/v1/batch', { batch })).status).toBe(200);
      await settle();
      const { status, body } = await server.admin('/api/bandits/home');
      expect(status).toBe(200);
      const arms = body.arms.map((a: { id: string; impressions: number; clicks: number }) => [
        a.id,
        a.impressions,
        a.clicks,
      ]);
      expect(arms.sort()).toEqual([
        ['offer-a', 50, 2],
        ['offer-b', 40, 10],
      ]);
      const truth = banditSummary(
        body.arms.map((a: { id: string; impressions: number; clicks: number }) => ({
          id: a.id,
          impressions: a.impressions,
          clicks: a.clicks,
        })),
      );
      expect(body.leader).toBe('offer-b');
      expect(body.explorationShare).toBe(truth.explorationShare);
      expect(body.explorationShare).toBeLessThan(0.05);
      expect((await server.admin('/api/bandits/nowhere')).status).toBe(404);
    });

    it("measures the programme's lift against the global holdout, split in SQL as arbitration splits", async () => {
      const none = await server.admin('/api/holdout/lift?event=Order%20Completed');
      expect(none.status).toBe(200);
      expect(none.body).toBeNull();
      const policy = await server.adminRequest('PUT', '/api/arbitration-policy', {
        caps: [],
        defaultTimeZone: 'UTC',
        globalHoldout: { percent: 50 },
      });
      expect(policy.status).toBe(200);
      clock.set(new Date(T0 + 4 * 86_400_000));
      const { status, body } = await server.admin('/api/holdout/lift?event=Order%20Completed&days=5');
      expect(status).toBe(200);
      // The truth: every canonical person active in the window, hashed in JavaScript.
      const segments = await openSegmentStore({ databaseUrl: databaseUrlOf, dataDir: server.dataDir });
      const profileMap = await segments.profileMap();
      await segments.close();
      const rows = await server.server.pipeline.query('SELECT profile_id, name FROM events');
      const people = new Map<string, number>();
      for (const row of rows) {
        const person = profileMap.get(String(row.profile_id)) ?? String(row.profile_id);
        people.set(person, Math.max(people.get(person) ?? 0, row.name === 'Order Completed' ? 1 : 0));
      }
      const side = (held: boolean) => {
        const members = [...people].filter(([person]) => inGlobalHoldout(person, { percent: 50 }) === held);
        return { n: members.length, value: members.reduce((s, [, v]) => s + v, 0) / members.length };
      };
      expect(body.percent).toBe(50);
      expect(body.treated.n).toBe(side(false).n);
      expect(body.heldOut.n).toBe(side(true).n);
      expect(body.treated.n + body.heldOut.n).toBe(people.size);
      expect(people.size).toBeGreaterThan(PEOPLE.length);
      expect(body.treated.value).toBeCloseTo(side(false).value, 12);
      expect(body.heldOut.value).toBeCloseTo(side(true).value, 12);
      const unknown = await server.admin('/api/holdout/lift?event=Nope');
      expect(unknown.status).toBe(400);
      expect(unknown.body.field).toBe('event');
    });
  });
