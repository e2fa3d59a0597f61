// The demo's planted journey-arm experiments, end to end on a real server: two journeys split
// 1,200 identified people (the server picks each arm), the simulated people react to their arm
// with the planted rates, and GET /api/experiments/:id/results counts each arm as the plant's
// truth says, finds the planted lift inside its interval (and not zero), finds no effect where
// none was planted, and the win-back journey's lift over its holdout. A third journey (the promo
// email) holds 20% out and plants orders: the Measure page's "Did it cause it?" table
// (GET /api/attribution/roi's holdouts) recovers its lift within its interval.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEMO_JOURNEY_EXPERIMENTS,
  defineDemoExperiments,
  type JourneyPlantTruth,
  PLANTED_PROMO_ORDER,
  PLANTED_PROMO_RATES,
  PLANTED_WINBACK_LIFT,
  PLANTED_WINBACK_RATES,
  plantJourneyExperiments,
} from '../../src/simulate/index.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';

const PEOPLE = Array.from({ length: 1200 }, (_, i) => `lapsed-${i}`);

describe('the demo plants journey-arm experiments with known lifts', () => {
  let server: TestServer;
  let truth: JourneyPlantTruth;

  beforeAll(async () => {
    server = await startTestServer();
    for (let i = 0; i < PEOPLE.length; i += 500) {
      const batch = PEOPLE.slice(i, i + 500).map((userId) => ({ type: 'identify', userId, traits: {} }));
      expect((await track(server, '/v1/batch', { batch })).status).toBe(200);
    }
    await server.settle();
    truth = await plantJourneyExperiments({
      url: server.url,
      writeKey: server.writeKey,
      adminToken: server.adminToken,
      userIds: PEOPLE,
      seed: 5,
    });
    await server.settle();
    const defined = await defineDemoExperiments(server.url, server.adminToken, DEMO_JOURNEY_EXPERIMENTS);
    expect(defined).toEqual(['demo-winback-coupon', 'demo-survey-length', 'demo-promo-holdout']);
  }, 600_000);

  afterAll(async () => {
    await server?.close();
  });

  it('recovers the planted win-back lift within its interval, and the journey’s lift over its holdout', async () => {
    const { status, body } = await server.admin('/api/experiments/demo-winback-coupon/results');
    expect(status).toBe(200);
    const planted = truth['demo-winback-coupon']!;
    const arms = body.metrics[0].arms as { arm: string; n: number; value: number; ci: [number, number] }[];
    for (const arm of arms) {
      expect(arm.n).toBe(planted[arm.arm]!.n);
      expect(arm.value).toBeCloseTo(planted[arm.arm]!.converted / planted[arm.arm]!.n, 12);
    }
    // The split's shares (45 / 45 / 10) hold: no sample-ratio mismatch.
    expect(body.srm.mismatch).toBe(false);
    const coupon = arms.find((a) => a.arm === 'coupon')!;
    expect(PLANTED_WINBACK_LIFT).toBeCloseTo(0.5, 12);
    expect(coupon.ci[0]).toBeGreaterThan(0);
    expect(coupon.ci[0]).toBeLessThan(PLANTED_WINBACK_LIFT);
    expect(coupon.ci[1]).toBeGreaterThan(PLANTED_WINBACK_LIFT);
    expect(body.verdict).toMatch(/^Coupon wins on win-back purchase/);
    // The rates found are the planted ones, within sampling error (3 standard errors).
    const control = arms.find((a) => a.arm === 'control')!;
    for (const [arm, rate] of [
      [coupon, PLANTED_WINBACK_RATES.coupon],
      [control, PLANTED_WINBACK_RATES.control],
    ] as const) {
      expect(Math.abs(arm.value - rate)).toBeLessThan(3 * Math.sqrt((rate * (1 - rate)) / arm.n));
    }
    // Holdout lift: both arms pooled (25% planted) against the held out (20%).
    expect(body.journeyHoldout.heldOut.n).toBe(planted.holdout!.n);
    const pooled = (PLANTED_WINBACK_RATES.control + PLANTED_WINBACK_RATES.coupon) / 2;
    const plantedHoldoutLift = pooled / PLANTED_WINBACK_RATES.holdout - 1;
    expect(body.journeyHoldout.ci[0]).toBeLessThan(plantedHoldoutLift);
    expect(body.journeyHoldout.ci[1]).toBeGreaterThan(plantedHoldoutLift);
  });

  it('finds no effect where none was planted', async () => {
    const { body } = await server.admin('/api/experiments/demo-survey-length/results');
    const planted = truth['demo-survey-length']!;
    const long = body.metrics[0].arms[1];
    expect(long.arm).toBe('long');
    expect(long.n).toBe(planted.long!.n);
    expect(long.ci[0]).toBeLessThan(0);
    expect(long.ci[1]).toBeGreaterThan(0);
    expect(body.verdict).toMatch(/^No clear difference yet for Long on survey answered/);
  });

  it('the promo journey fills "Did it cause it?": its planted lift in orders and revenue recovered within the interval', async () => {
    const { status, body } = await server.admin('/api/attribution/roi?model=last&groupBy=campaign');
    expect(status).toBe(200);
    const promo = body.holdouts.find((h: { journeyId: string }) => h.journeyId === 'demo-promo');
    const planted = truth['demo-promo-holdout']!;
    const treated = planted.email!;
    const held = planted.holdout!;
    expect(promo).toMatchObject({
      stepId: 'split',
      channels: ['email'],
      treatedPeople: treated.n,
      heldOutPeople: held.n,
      // Last touch: every treated order follows the promo email's open.
      attributedConversions: treated.converted,
      attributedRevenue: treated.converted * PLANTED_PROMO_ORDER,
    });
    expect(promo.treatedRate).toBeCloseTo(treated.converted / treated.n, 12);
    expect(promo.heldOutRate).toBeCloseTo(held.converted / held.n, 12);
    const plantedLift = (PLANTED_PROMO_RATES.email - PLANTED_PROMO_RATES.holdout) * treated.n;
    const [low, high] = promo.incrementalConversionsInterval as [number, number];
    expect(low).toBeGreaterThan(0);
    expect(low).toBeLessThan(plantedLift);
    expect(high).toBeGreaterThan(plantedLift);
    const [revenueLow, revenueHigh] = promo.incrementalRevenueInterval as [number, number];
    expect(revenueLow).toBeLessThan(plantedLift * PLANTED_PROMO_ORDER);
    expect(revenueHigh).toBeGreaterThan(plantedLift * PLANTED_PROMO_ORDER);
    // The model credits every treated order; the holdout says about half of them were caused.
    expect(promo.incrementalConversions).toBeLessThan(promo.attributedConversions);
  });
});
