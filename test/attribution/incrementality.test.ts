// Incrementality in the ROI view: a journey split with a holdout, its planted lift recovered
// with an interval, and ROI on incremental revenue beside ROI on attributed revenue. On a real
// server, on the embedded engine and on PostgreSQL. The split's log entries (`Journey Step
// Completed` with `outcome` `arm A` or `holdout`, the shape the conductor logs) are sent
// through /v1/batch so the planted rates are exact: 300 treated people convert at 30%, 100
// held out at 15%, each order 50, and the treated got the journey's email. The orders carry
// their amount as `revenue`, `total` or `value` in turn (Segment's e-commerce spec; attribution
// reads all three), so incremental revenue must read the same properties to match.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { incrementOf } from '../../src/experiments/index.ts';
import { TestClock } from '../../src/pipeline/index.ts';
import { createTestDatabase } from '../support/postgres-database.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';

const T0 = Date.parse('2026-03-10T12:00:00.000Z');
const at = (hours: number) => new Date(T0 + hours * 3600_000).toISOString();
const TREATED = 300;
const HELD = 100;
const TREATED_RATE = 0.3;
const HELD_RATE = 0.15;
const ORDER = 50;
const SPEND = 1000;

// Welch's interval on the difference of means × the treated people, from SciPy (jstat's t
// quantile agrees to about 1e-6, hence 4 decimals):
// conversions with variance p(1 − p) (as the experiments' statistics); revenue with
// scipy.stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95) on the 0/50 values.
const CONVERSIONS_INTERVAL = [18.72194701567999, 71.27805298432001];
const REVENUE_INTERVAL = [931.0180811433592, 3568.9819188566407];

function batch(): unknown[] {
  const out: unknown[] = [];
  const split = (userId: string, outcome: string) => ({
    type: 'track',
    userId,
    event: 'Journey Step Completed',
    properties: { journeyId: 'promo', stepId: 'split', outcome },
    timestamp: at(0),
  });
  let orders = 0;
  const order = (userId: string) => ({
    type: 'track',
    userId,
    event: 'Order Completed',
    properties: { [['revenue', 'total', 'value'][orders++ % 3]!]: ORDER },
    timestamp: at(24),
  });
  for (let i = 0; i < TREATED; i++) {
    const userId = `t${i}`;
    out.push(split(userId, 'arm A'));
    for (const event of ['Email Sent', 'Email Opened'])
      out.push({
        type: 'track',
        userId,
        event,
        properties: { channel: 'email', journey_id: 'promo' },
        timestamp: at(1),
      });
    if (i < TREATED * TREATED_RATE) out.push(order(userId));
  }
  for (let i = 0; i < HELD; i++) {
    out.push(split(`h${i}`, 'holdout'));
    if (i < HELD * HELD_RATE) out.push(order(`h${i}`));
  }
  return out;
}

describe('incrementOf, pure', () => {
  it('is the difference of means times the treated people, with Welch’s interval', () => {
    const rows = [
      { arm: 'A', n: 300, sum: 90, sumSquares: 90, preSum: 0, preSumSquares: 0, sumProducts: 0 },
      { arm: 'holdout', n: 100, sum: 15, sumSquares: 15, preSum: 0, preSumSquares: 0, sumProducts: 0 },
    ];
    const conversions = incrementOf('proportion', rows);
    expect(conversions.incremental).toBeCloseTo(45, 9);
    expect(conversions.interval![0]).toBeCloseTo(CONVERSIONS_INTERVAL[0]!, 4);
    expect(conversions.interval![1]).toBeCloseTo(CONVERSIONS_INTERVAL[1]!, 4);
    // No holdout: nothing to measure against.
    expect(incrementOf('proportion', [rows[0]!]).incremental).toBeNull();
  });
});

const clusterUrl = inject('postgresUrl');
const ENGINES = [
  { name: 'embedded (SQLite + DuckDB)', postgres: false, enabled: true },
  { name: `PostgreSQL ${inject('postgresSkipReason')}`, postgres: true, enabled: Boolean(clusterUrl) },
];

for (const engine of ENGINES)
  describe.skipIf(!engine.enabled)(`incremental ROI from a journey holdout on ${engine.name}`, () => {
    let server: TestServer;
    let dropDatabase: (() => Promise<void>) | undefined;

    beforeAll(async () => {
      let databaseUrl: string | undefined;
      if (engine.postgres) {
        const database = await createTestDatabase(clusterUrl);
        dropDatabase = database.drop;
        databaseUrl = database.url;
      }
      server = await startTestServer(databaseUrl ? { databaseUrl } : {}, {
        clock: new TestClock(new Date('2026-03-12T12:00:00.000Z')),
      });
      expect((await track(server, '/v1/batch', { batch: batch() })).status).toBe(200);
      const spend = await server.adminRequest('POST', '/api/attribution/spend', {
        currency: 'EUR',
        rows: [{ day: '2026-03-10', channel: 'email', campaign: 'promo', amount: SPEND }],
      });
      expect(spend.body.imported).toBe(1);
      await server.settle();
    }, 300_000);

    afterAll(async () => {
      await server?.close();
      await dropDatabase?.();
    }, 120_000);

    it('recovers the planted lift and puts ROI on incremental revenue beside ROI on attributed revenue', async () => {
      const { status, body } = await server.admin(
        '/api/attribution/roi?from=2026-03-10&to=2026-03-11&model=last&groupBy=campaign',
      );
      expect(status).toBe(200);
      expect(body.holdouts).toHaveLength(1);
      const promo = body.holdouts[0];
      expect(promo).toMatchObject({
        journeyId: 'promo',
        stepId: 'split',
        channels: ['email'],
        treatedPeople: TREATED,
        heldOutPeople: HELD,
        attributedConversions: TREATED * TREATED_RATE,
        attributedRevenue: TREATED * TREATED_RATE * ORDER,
        cost: SPEND,
      });
      expect(promo.treatedRate).toBeCloseTo(TREATED_RATE, 9);
      expect(promo.heldOutRate).toBeCloseTo(HELD_RATE, 9);
      const lift = (TREATED_RATE - HELD_RATE) * TREATED;
      expect(promo.incrementalConversions).toBeCloseTo(lift, 6);
      expect(promo.incrementalRevenue).toBeCloseTo(lift * ORDER, 6);
      expect(promo.incrementalConversionsInterval[0]).toBeCloseTo(CONVERSIONS_INTERVAL[0]!, 4);
      expect(promo.incrementalConversionsInterval[1]).toBeCloseTo(CONVERSIONS_INTERVAL[1]!, 4);
      expect(promo.incrementalRevenueInterval[0]).toBeCloseTo(REVENUE_INTERVAL[0]!, 3);
      expect(promo.incrementalRevenueInterval[1]).toBeCloseTo(REVENUE_INTERVAL[1]!, 3);
      // The model credits the email with every treated order (4,500); the holdout says it caused 2,250.
      expect(promo.attributedRoi).toBeCloseTo((4500 - SPEND) / SPEND, 9);
      expect(promo.incrementalRoi).toBeCloseTo((lift * ORDER - SPEND) / SPEND, 6);
      expect(promo.incrementalRoiInterval[0]).toBeCloseTo((REVENUE_INTERVAL[0]! - SPEND) / SPEND, 4);
      // The journey's one campaign row carries its incremental conversions.
      const row = body.rows.find((r: { channel: string }) => r.channel === 'email / promo');
      expect(row.incrementalConversions).toBeCloseTo(lift, 6);
    });

    it('grouped per channel, still reports the journey against its campaign rows', async () => {
      const { body } = await server.admin('/api/attribution/roi?from=2026-03-10&to=2026-03-11&model=last');
      expect(body.holdouts[0]).toMatchObject({ attributedConversions: 90, cost: SPEND });
      expect(
        body.rows.find((r: { channel: string }) => r.channel === 'email').incrementalConversions,
      ).toBeNull();
    });

    it('counts only splits in the range: none before it', async () => {
      const { body } = await server.admin('/api/attribution/roi?from=2026-03-01&to=2026-03-09');
      expect(body.holdouts).toEqual([]);
    });
  });
