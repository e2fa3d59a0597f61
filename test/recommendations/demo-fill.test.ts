// `rapport demo` with an admin token fills the recommendations and loyalty pages: a refresh
// with buyers, the example programme run (the points on the leaderboard are the ledger's), and
// the recommendations experiment whose exposures are the refresh's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoSummary, runDemo } from '../../src/simulate/index.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

let t: TestServer;
let summary: DemoSummary;

beforeAll(async () => {
  process.env.RAPPORT_LOYALTY_RUN_SECONDS = '0';
  t = await startTestServer();
  const days = 200;
  const start = new Date(Date.UTC(2026, 0, 1));
  summary = await runDemo({
    kind: 'store',
    seed: 4,
    people: 200,
    days,
    start,
    url: t.url,
    writeKey: t.writeKey,
    adminToken: t.adminToken,
  });
  await t.settle();
}, 300_000);

afterAll(async () => t?.close());

describe('rapport demo with an admin token', () => {
  it('refreshes recommendations and runs the example loyalty programme', async () => {
    expect(summary.pages).not.toBeNull();
    const status = (await t.admin('/api/recommendations/status')).body;
    expect(status.last.people).toBeGreaterThan(0);
    expect(status.last.withRecommendations).toBe(summary.pages!.peopleWithRecommendations);
    const programme = (await t.admin('/api/loyalty/programme')).body;
    expect(programme.earnRules.map((rule: { id: string }) => rule.id)).toContain('orders');
    const board = (await t.admin('/api/loyalty/leaderboard?limit=500')).body;
    const earned = board.reduce((sum: number, row: { earned: number }) => sum + row.earned, 0);
    expect(earned).toBe(summary.pages!.loyaltyPointsEarned);
    expect(earned).toBeGreaterThan(0);
  });

  it('defines the recommendations experiment over the refresh’s exposures', async () => {
    const experiment = await t.admin('/api/experiments/recommendations');
    expect(experiment.status).toBe(200);
    expect(experiment.body.arms.map((arm: { id: string }) => arm.id)).toEqual(['holdout', 'recommendations']);
  });
});
