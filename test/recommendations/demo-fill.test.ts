// `rapport demo` with an admin token fills the recommendations and loyalty pages: a refresh
// with buyers, the example programme run (the points on the leaderboard are the ledger's), and
// the recommendations experiment whose exposures are the refresh's. It also fills the Funnel,
// Segments and Value pages: the lifecycle funnel switched on after the history, with the
// median time in Action the planted truth's; the demo segments live with their previews' sizes;
// value scores written.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEMO_SEGMENTS,
  type DemoSummary,
  defaultStart,
  runDemo,
  simulateWorld,
} from '../../src/simulate/index.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

let t: TestServer;
let summary: DemoSummary;
const WORLD = {
  kind: 'store' as const,
  seed: 4,
  people: 200,
  days: 200,
  // Ending today, as `rapport demo` does, so "in the last 30 days" has people in it.
  start: defaultStart(200),
};

beforeAll(async () => {
  process.env.RAPPORT_LOYALTY_RUN_SECONDS = '0';
  t = await startTestServer();
  summary = await runDemo({
    ...WORLD,
    url: t.url,
    writeKey: t.writeKey,
    adminToken: t.adminToken,
  });
  await t.settle();
  // Until the processors have built the demo's funnel and segments.
  for (let round = 0; round < 600; round++) {
    const { segments } = (await t.admin('/api/segments')).body;
    const { funnels } = (await t.admin('/api/funnels')).body;
    if ([...segments, ...funnels].every((s: { status: string }) => s.status === 'live')) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
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

describe('rapport demo fills the funnel, segments and value pages', () => {
  it('switches the lifecycle funnel on, its median time in Action the planted truth', async () => {
    expect(summary.screens?.funnel).toBe('lifecycle');
    const report = (await t.admin('/api/funnel?funnel=lifecycle')).body;
    const action = report.stages.find((s: { id: string }) => s.id === 'action');
    // The truth: from the first order to the second order (or a subscription), whichever first.
    const stays: number[] = [];
    for (const person of simulateWorld({ ...WORLD, experiments: false }).truth()) {
      const { action: entered, relationship: left } = person.stages;
      if (entered && left && Date.parse(left) > Date.parse(entered))
        stays.push(Date.parse(left) - Date.parse(entered));
    }
    stays.sort((a, b) => a - b);
    const mid = stays.length / 2;
    const median = stays.length % 2 ? stays[Math.floor(mid)]! : (stays[mid - 1]! + stays[mid]!) / 2;
    expect(action.completedStays).toBe(stays.length);
    expect(Math.abs(action.medianTimeInStageMs - median) / median).toBeLessThan(0.1);
  });

  it('saves the demo segments, each live with the members its preview counts', async () => {
    expect(summary.screens?.segments).toEqual(DEMO_SEGMENTS.map((s) => s.id));
    const { segments } = (await t.admin('/api/segments')).body;
    for (const demo of DEMO_SEGMENTS) {
      const saved = segments.find((s: { id: string }) => s.id === demo.id);
      expect(saved.status, demo.id).toBe('live');
      const preview = (await t.adminRequest('POST', '/api/segments/preview', { text: demo.text })).body;
      expect(preview.size, demo.id).toBeGreaterThan(0);
      expect(saved.size, demo.id).toBe(preview.size);
    }
  });

  it('scores value, so the Value page answers', async () => {
    expect(summary.screens?.valueScored).toBeGreaterThan(0);
    const ranking = await t.admin('/api/value/ranking?order=top&limit=5');
    expect(ranking.status).toBe(200);
    expect(ranking.body.items).toHaveLength(5);
  });
});
