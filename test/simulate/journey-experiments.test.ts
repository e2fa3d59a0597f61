// The demo's planted journey-arm experiments, end to end on a real server: two journeys split
// 1,200 identified people (the server picks each arm), the simulated people react to their arm
// with the planted rates, and GET /api/experiments/:id/results counts each arm as the plant's
// truth says, finds the planted lift inside its interval (and not zero), finds no effect where
// none was planted, and the win-back journey's lift over its holdout. A third journey (the promo
// email) holds 20% out and plants orders: the Measure page's "Did it cause it?" table
// (GET /api/attribution/roi's holdouts) recovers its lift within its interval.
// Every arm that is not held out sends a real marketing email; nine in ten people consent to
// email, and the server's email sandbox (switched on by the plant: the server has no email
// channel) keeps exactly one email per consenting person in a sending arm and none for the
// others; the planted rates hold for the people reached, the others react as if held out, and
// every simulated open is of an email that was sent.
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
/** Every tenth person said no to marketing email. */
const consents = (index: number) => index % 10 !== 0;

/** The rate of a whole arm: the planted rate for the people reached, `untouched` for the others. */
function armRate(arm: { n: number; delivered: number }, reached: number, untouched: number): number {
  return (arm.delivered * reached + (arm.n - arm.delivered) * untouched) / arm.n;
}

describe('the demo plants journey-arm experiments with known lifts', () => {
  let server: TestServer;
  let truth: JourneyPlantTruth;

  beforeAll(async () => {
    server = await startTestServer();
    for (let i = 0; i < PEOPLE.length; i += 500) {
      const batch = PEOPLE.slice(i, i + 500).map((userId, j) => ({
        type: 'identify',
        userId,
        traits: {
          email: `${userId}@example.com`,
          first_name: `Person${i + j}`,
          consent: { email: consents(i + j) ? 'granted' : 'denied' },
        },
      }));
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
    // The rates found are the planted ones for the people the email reached (the others as if
    // held out), within sampling error (3 standard errors).
    const control = arms.find((a) => a.arm === 'control')!;
    const untouched = PLANTED_WINBACK_RATES.holdout;
    const couponRate = armRate(planted.coupon!, PLANTED_WINBACK_RATES.coupon, untouched);
    const controlRate = armRate(planted.control!, PLANTED_WINBACK_RATES.control, untouched);
    for (const [arm, rate] of [
      [coupon, couponRate],
      [control, controlRate],
    ] as const) {
      expect(Math.abs(arm.value - rate)).toBeLessThan(3 * Math.sqrt((rate * (1 - rate)) / arm.n));
    }
    // Holdout lift: both arms pooled against the held out (20%).
    expect(body.journeyHoldout.heldOut.n).toBe(planted.holdout!.n);
    expect(planted.holdout!.delivered).toBe(0);
    const pooled = (couponRate + controlRate) / 2;
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
      // Last touch: the treated orders that follow an open of the promo email, which only the
      // people it was sent to opened.
      attributedConversions: treated.convertedDelivered,
      attributedRevenue: treated.convertedDelivered * PLANTED_PROMO_ORDER,
    });
    expect(promo.treatedRate).toBeCloseTo(treated.converted / treated.n, 12);
    expect(promo.heldOutRate).toBeCloseTo(held.converted / held.n, 12);
    // The promo causes orders only where it arrived.
    const plantedLift = (PLANTED_PROMO_RATES.email - PLANTED_PROMO_RATES.holdout) * treated.delivered;
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

  it('sends each arm’s email to the consenting people only, and every open is of an email that was sent', async () => {
    const profiles = new Map<string, number>();
    for (let index = 0; index < PEOPLE.length; index++) {
      const found = await server.admin(`/api/profiles/lookup?userId=${PEOPLE[index]}`);
      profiles.set(found.body.profileId, index);
    }
    type Kept = { id: string; profileId: string; journeyId: string; stepId: string; subject: string };
    const kept: Kept[] = [];
    for (let before: string | undefined; ; ) {
      const page = await server.admin(`/api/sandbox/emails?limit=200${before ? `&before=${before}` : ''}`);
      expect(page.body.sandbox).toBe(true);
      kept.push(...page.body.items);
      if (page.body.items.length < 200) break;
      before = page.body.items.at(-1).id;
    }
    // As many as the plant counted sent, one per person and journey, each to a consenting person,
    // from the email step of their arm, their first name in the subject.
    const delivered = Object.values(truth)
      .flatMap((arms) => Object.values(arms))
      .reduce((sum, arm) => sum + arm.delivered, 0);
    expect(kept.length).toBe(delivered);
    expect(new Set(kept.map((k) => `${k.profileId} ${k.journeyId}`)).size).toBe(kept.length);
    for (const email of kept) {
      const index = profiles.get(email.profileId) as number;
      expect(consents(index), email.profileId).toBe(true);
      expect(email.stepId).toMatch(/^email-(control|coupon|short|long|email)$/);
      expect(email.subject).toContain(`Person${index}`);
    }
    // Every consenting person in a sending arm got theirs: 3 journeys, the held out excepted.
    const consenting = PEOPLE.filter((_, index) => consents(index)).length;
    const heldOut = truth['demo-winback-coupon']!.holdout!.n + truth['demo-promo-holdout']!.holdout!.n;
    expect(delivered).toBeGreaterThan(3 * consenting - heldOut - 1);
    expect(truth['demo-promo-holdout']!.email!.delivered).toBeLessThan(truth['demo-promo-holdout']!.email!.n);

    // The promo's opens: one per email sent in its email arm, each naming that send.
    const sentKeys = new Set(kept.filter((k) => k.journeyId === 'demo-promo').map((k) => k.id));
    let opens = 0;
    for (const profileId of profiles.keys()) {
      const events = await server.admin(
        `/api/profiles/${profileId}/events?name=${encodeURIComponent('Email Opened')}&limit=50`,
      );
      for (const item of events.body.items as { properties: Record<string, string> }[]) {
        if (item.properties.journey_id !== 'demo-promo') continue;
        opens++;
        expect(sentKeys.has(item.properties.send_key as string), profileId).toBe(true);
      }
    }
    expect(opens).toBe(truth['demo-promo-holdout']!.email!.delivered);
  }, 300_000);
});
