// What the value routes send, field by field, on the embedded storage and on PostgreSQL: each
// answer is serialised by its TypeBox response schema (src/value/schema.ts), which the dashboard
// imports as its type, so a field the schema leaves out never reaches the page. These are the
// fields the value page reads; a route that stops sending one (or starts sending another, a
// profile's raw scores, say) fails here.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { simulateWorld } from '../../src/simulate/index.ts';
import { createTestDatabase } from '../support/postgres-database.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';

const clusterUrl = inject('postgresUrl');
const ENGINES = [
  { name: 'embedded (SQLite + DuckDB)', postgres: false, enabled: true },
  { name: `PostgreSQL ${inject('postgresSkipReason')}`, postgres: true, enabled: Boolean(clusterUrl) },
];

const DAY = 86_400_000;
const PEOPLE = 200;
const DAYS = 300;

const sorted = (keys: string[]) => [...keys].sort();
const keysOf = (value: unknown) => sorted(Object.keys(value as object));

const HOLDOUT_ROW = [
  'bucket',
  'customers',
  'actual',
  'predicted',
  'actualPerCustomer',
  'predictedPerCustomer',
  'relativeError',
];

for (const engine of ENGINES)
  describe.skipIf(!engine.enabled)(`the value routes' answers on ${engine.name}`, () => {
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
      const start = new Date(Math.floor((Date.now() - DAYS * DAY) / DAY) * DAY);
      const world = simulateWorld({ kind: 'store', seed: 8, people: PEOPLE, start, days: DAYS });
      let batch: unknown[] = [];
      for (const message of world.messages()) {
        batch.push(message);
        if (batch.length === 500) {
          expect((await track(t, '/v1/batch', { batch })).status).toBe(200);
          batch = [];
        }
      }
      if (batch.length > 0) expect((await track(t, '/v1/batch', { batch })).status).toBe(200);
      await t.settle();
      const refresh = await fetch(`${t.url}/api/value/refresh`, {
        method: 'POST',
        headers: { authorization: `Bearer ${t.adminToken}` },
      });
      expect(refresh.status).toBe(200);
    }, 300_000);

    afterAll(async () => {
      await t?.close();
      await dropDatabase?.();
    });

    it('ranking: every customer with rank, score, explanation, CLV, churn risk and lead score', async () => {
      const { status, body } = await t.admin('/api/value/ranking?limit=5');
      expect(status).toBe(200);
      expect(keysOf(body)).toEqual(sorted(['computedAt', 'customers', 'items']));
      expect(body.items).toHaveLength(5);
      for (const item of body.items) {
        expect(keysOf(item)).toEqual(
          sorted(['profileId', 'rank', 'score', 'explanation', 'clv', 'churnRisk', 'leadScore']),
        );
        expect(typeof item.explanation).toBe('string');
      }
    });

    it('renewals and budget: totals, months and the chosen customers', async () => {
      const renewals = await t.admin('/api/value/renewals?months=2');
      expect(renewals.status).toBe(200);
      expect(keysOf(renewals.body)).toEqual(
        sorted(['computedAt', 'from', 'totalRevenue', 'totalAtRisk', 'totalRiskUnknown', 'months']),
      );
      expect(renewals.body.months).toHaveLength(2);
      for (const month of renewals.body.months)
        expect(keysOf(month)).toEqual(
          sorted(['month', 'renewals', 'revenue', 'revenueAtRisk', 'revenueRiskUnknown']),
        );

      const budget = await t.admin('/api/value/budget?amount=100&costPerCustomer=10');
      expect(budget.status).toBe(200);
      expect(keysOf(budget.body)).toEqual(
        sorted([
          'computedAt',
          'amount',
          'costPerCustomer',
          'spent',
          'remaining',
          'valueAtRiskCovered',
          'savableCovered',
          'effect',
          'effectSource',
          'candidates',
          'chosen',
        ]),
      );
      expect(budget.body.chosen.length).toBeGreaterThan(0);
      for (const choice of budget.body.chosen)
        expect(keysOf(choice)).toEqual(
          sorted(['profileId', 'value', 'pAlive', 'churnRisk', 'cost', 'valueAtRisk', 'savable']),
        );
    });

    it('distribution and scatter: the charts’ numbers, percentiles and points', async () => {
      const distribution = await t.admin('/api/value/distribution?metric=clv&bins=5');
      expect(distribution.status).toBe(200);
      expect(keysOf(distribution.body)).toEqual(
        sorted([
          'metric',
          'computedAt',
          'scale',
          'profiles',
          'count',
          'withoutValue',
          'mean',
          'min',
          'max',
          'percentiles',
          'bins',
        ]),
      );
      expect(keysOf(distribution.body.percentiles)).toEqual(sorted(['p10', 'p50', 'p90', 'p99']));
      expect(distribution.body.bins).toHaveLength(5);
      for (const bin of distribution.body.bins) expect(keysOf(bin)).toEqual(sorted(['from', 'to', 'count']));

      const scatter = await t.admin('/api/value/scatter?limit=20');
      expect(scatter.status).toBe(200);
      expect(keysOf(scatter.body)).toEqual(
        sorted(['computedAt', 'total', 'sampled', 'limit', 'every', 'points']),
      );
      expect(scatter.body.points.length).toBeGreaterThan(0);
      for (const point of scatter.body.points)
        expect(keysOf(point)).toEqual(sorted(['profileId', 'clv', 'pAlive']));
    });

    it('validation: the model check with its groups, buckets, total, verdict and errors', async () => {
      const { status, body } = await t.admin('/api/value/validation');
      expect(status).toBe(200);
      expect(keysOf(body)).toEqual(sorted(['computedAt', 'note', 'validation']));
      expect(body.validation, body.note).not.toBeNull();
      const validation = body.validation;
      expect(keysOf(validation)).toEqual(
        sorted([
          'calibrationEnd',
          'holdoutEnd',
          'holdoutDays',
          'unit',
          'customers',
          'params',
          'groups',
          'buckets',
          'total',
          'verdict',
          'errors',
          'warnings',
        ]),
      );
      // The fitted BG/NBD parameters, by name (an open map in the schema).
      expect(keysOf(validation.params)).toEqual(sorted(['r', 'alpha', 'a', 'b']));
      expect(keysOf(validation.groups[0])).toEqual(
        sorted(['group', 'customers', 'meanPredicted', 'meanActual', 'minPredicted', 'maxPredicted']),
      );
      for (const row of [...validation.buckets, validation.total])
        expect(keysOf(row)).toEqual(sorted(HOLDOUT_ROW));
      expect(keysOf(validation.errors)).toEqual(
        sorted(['meanAbsoluteError', 'rootMeanSquaredError', 'correlation']),
      );
    });
  });
