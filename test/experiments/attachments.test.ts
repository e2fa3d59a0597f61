// Experiments that change what is served, end to end on a real server (embedded engines; the
// warehouse queries behind a bandit are the ones experiments-api.test.ts runs on both engines):
// an experiment attached to a placement makes GET /v1/decide show each person their arm's offer
// (and logs their exposure once); in bandit mode the served weights follow the offers' clicks;
// a bandit attached to a journey split sends new people to the arm that converts, the split's
// holdout keeping its share.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignSplit, splitBucket } from '../../src/conductor/journey/split.ts';
import { assignByWeights, type Experiment } from '../../src/experiments/index.ts';
import { eventually } from '../support/recording-channel.ts';
import { startTestServer, type TestServer, track } from '../support/server.ts';

let server: TestServer;
const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();
const SHOPPERS = Array.from({ length: 60 }, (_, i) => `shopper-${i}`);

const placements = {
  placements: [{ id: 'home', defaultOfferId: 'plain' }],
  offers: [
    { id: 'plain', placement: 'home', priority: 0, expectedValue: 0, requiresPersonalization: false },
    { id: 'offer-a', placement: 'home', priority: 50, expectedValue: 0, requiresPersonalization: false },
    { id: 'offer-b', placement: 'home', priority: 10, expectedValue: 0, requiresPersonalization: false },
  ],
};

const HOME: Experiment = {
  id: 'home-offers',
  name: 'Home banner',
  hypothesis: 'Offer B gets more clicks than offer A',
  owner: 'ada@example.com',
  status: 'running',
  attachment: { kind: 'placement', placementId: 'home' },
  arms: [
    { id: 'offer-a', name: 'Offer A', weight: 0.5 },
    { id: 'offer-b', name: 'Offer B', weight: 0.5 },
  ],
  primaryMetric: { name: 'clicks', kind: 'conversion', event: 'Promotion Clicked', windowHours: 24 },
  guardrailMetrics: [],
};

async function decide(userId: string): Promise<string> {
  const response = await fetch(`${server.url}/v1/decide?placement=home&userId=${userId}`, {
    headers: { authorization: `Basic ${Buffer.from(`${server.writeKey}:`).toString('base64')}` },
  });
  const body = (await response.json()) as { offer: { id: string } | null };
  return body.offer?.id ?? 'none';
}

async function exposures(experimentId: string): Promise<number> {
  await server.settle();
  const rows = await server.server.pipeline.query(
    "SELECT count(*) AS n FROM events WHERE name = 'Experiment Viewed' AND json_extract_string(properties, '$.experiment_id') = $1",
    [experimentId],
  );
  return Number(rows[0]?.n);
}

beforeAll(async () => {
  server = await startTestServer({}, { experimentRefreshMs: 0 });
  const people = SHOPPERS.map((userId) => ({ type: 'identify', userId, traits: { plan: 'free' } }));
  // The metrics' events must have been seen before an experiment may name them.
  const seen = [
    { type: 'track', userId: 'someone', event: 'Promotion Clicked', properties: { promotion_id: 'plain' } },
    { type: 'track', userId: 'someone', event: 'Order Completed', timestamp: ago(600) },
  ];
  expect((await track(server, '/v1/batch', { batch: [...people, ...seen] })).status).toBe(200);
  await server.settle();
  expect((await server.adminRequest('PUT', '/api/placements', placements)).status).toBe(200);
}, 120_000);

afterAll(async () => {
  await server?.close();
});

describe('an experiment attached to a placement', () => {
  it('shows each person the offer of their arm, and logs their exposure once', async () => {
    // Without it, priority decides: everyone sees offer A.
    for (const userId of SHOPPERS.slice(0, 5)) expect(await decide(userId)).toBe('offer-a');
    expect((await server.adminRequest('PUT', `/api/experiments/${HOME.id}`, HOME)).status).toBe(200);
    const served = new Map<string, string>();
    for (const userId of SHOPPERS) served.set(userId, await decide(userId));
    for (const userId of SHOPPERS) {
      expect(served.get(userId)).toBe(HOME.arms[assignByWeights(HOME.id, `u:${userId}`, [0.5, 0.5])]!.id);
    }
    const bCount = [...served.values()].filter((id) => id === 'offer-b').length;
    expect(bCount).toBeGreaterThan(15);
    expect(bCount).toBeLessThan(45);
    // Asked again: the same offer, and no second exposure.
    for (const userId of SHOPPERS.slice(0, 10)) expect(await decide(userId)).toBe(served.get(userId));
    // The render path logs an exposure without awaiting it: the last may still be on its way.
    await expect.poll(() => exposures(HOME.id), { timeout: 60_000, interval: 250 }).toBe(SHOPPERS.length);
    const results = (await server.admin(`/api/experiments/${HOME.id}/results`)).body;
    expect(results.servingWeights).toEqual({ 'offer-a': 0.5, 'offer-b': 0.5 });
    // The render path remembers who was exposed; erasing a person makes it forget them.
    const erased = SHOPPERS[SHOPPERS.length - 1] as string;
    expect(server.server.experiments.remembersExposure(HOME.id, `u:${erased}`)).toBe(true);
    const profile = (await server.admin(`/api/profiles/lookup?userId=${erased}`)).body.profileId;
    const erase = await server.adminRequest('DELETE', `/api/profiles/${profile}`);
    expect(erase.status).toBe(202);
    await server.server.erasure.settled(erase.body.id);
    expect(server.server.experiments.remembersExposure(HOME.id, `u:${erased}`)).toBe(false);
    expect(server.server.experiments.remembersExposure(HOME.id, `u:${SHOPPERS[0]}`)).toBe(true);
    expect(results.srm.counts).toEqual({ 'offer-a': SHOPPERS.length - bCount, 'offer-b': bCount });
  });

  it('in bandit mode serves the offer that earns the clicks to most people', async () => {
    // 400 views each; offer B clicked 60 times, offer A 4 times.
    const promotion = (event: string, offer: string, i: number) => ({
      type: 'track',
      userId: `viewer-${offer}-${i}`,
      event,
      properties: { promotion_id: offer, placement: 'home', creative: 'home', position: 'home' },
      timestamp: ago(30),
    });
    const batch = [
      ...Array.from({ length: 400 }, (_, i) => promotion('Promotion Viewed', 'offer-a', i)),
      ...Array.from({ length: 4 }, (_, i) => promotion('Promotion Clicked', 'offer-a', i)),
      ...Array.from({ length: 400 }, (_, i) => promotion('Promotion Viewed', 'offer-b', i)),
      ...Array.from({ length: 60 }, (_, i) => promotion('Promotion Clicked', 'offer-b', i)),
    ];
    expect((await track(server, '/v1/batch', { batch })).status).toBe(200);
    await server.settle();
    const bandit = {
      ...HOME,
      id: 'home-bandit',
      mode: 'bandit',
      bandit: { explorationShare: 0.1, floor: 0.05 },
    };
    expect((await server.adminRequest('DELETE', `/api/experiments/${HOME.id}`)).status).toBe(204);
    expect((await server.adminRequest('PUT', '/api/experiments/home-bandit', bandit)).status).toBe(200);
    const { servingWeights } = (await server.admin('/api/experiments/home-bandit/results')).body;
    // B is best with near certainty: 0.9 × 1 + 0.1 / 2 for it, the exploration half for A.
    expect(servingWeights['offer-b']).toBeGreaterThan(0.94);
    expect(servingWeights['offer-a']).toBeGreaterThanOrEqual(0.05);
    const weights = [servingWeights['offer-a'], servingWeights['offer-b']];
    let bServed = 0;
    // The last shopper was erased above: a stranger now, shown the default offer.
    expect(await decide(SHOPPERS[SHOPPERS.length - 1] as string)).toBe('plain');
    for (const userId of SHOPPERS.slice(0, -1)) {
      const offer = await decide(userId);
      expect(offer).toBe(HOME.arms[assignByWeights('home-bandit', `u:${userId}`, weights)]!.id);
      if (offer === 'offer-b') bServed += 1;
    }
    expect(bServed).toBeGreaterThan(50);
    // A bandit's arms are offers of the placement, and bandits only drive placements and splits.
    const standalone = await server.adminRequest('PUT', '/api/experiments/x', {
      ...bandit,
      id: 'x',
      attachment: { kind: 'standalone' },
    });
    expect(standalone.status).toBe(400);
    expect(standalone.body.field).toBe('mode');
  });
});

describe('a bandit attached to a journey split', () => {
  const JOURNEY = {
    format: 1,
    id: 'onboard',
    version: 1,
    name: 'Onboarding',
    reentry: { mode: 'once' },
    defaultTimeZone: 'UTC',
    entry: { kind: 'event', event: 'Signed Up' },
    start: 'split',
    steps: [
      {
        id: 'split',
        type: 'split',
        arms: [
          { name: 'a', percent: 40, next: 'done' },
          { name: 'b', percent: 40, next: 'done' },
        ],
        holdout: { percent: 20, next: 'done' },
      },
      { id: 'done', type: 'exit' },
    ],
  };

  it('sends new people to the arm that converts, the holdout keeping its share', async () => {
    expect((await server.adminRequest('POST', '/api/journeys', JOURNEY)).status).toBe(201);
    // Earlier people through the split: arm a converted 5 of 100, arm b 40 of 100.
    const batch: unknown[] = [];
    for (const [arm, buyers] of [
      ['a', 5],
      ['b', 40],
    ] as const) {
      for (let i = 0; i < 100; i++) {
        const userId = `earlier-${arm}-${i}`;
        batch.push({
          type: 'track',
          userId,
          event: 'Journey Step Completed',
          properties: { journeyId: 'onboard', stepId: 'split', stepType: 'split', outcome: `arm ${arm}` },
          timestamp: ago(300),
        });
        if (i < buyers) batch.push({ type: 'track', userId, event: 'Order Completed', timestamp: ago(200) });
      }
    }
    expect((await track(server, '/v1/batch', { batch })).status).toBe(200);
    await server.settle();
    const experiment = {
      ...HOME,
      id: 'onboard-bandit',
      attachment: { kind: 'journey', journeyId: 'onboard', stepId: 'split' },
      mode: 'bandit',
      arms: [
        { id: 'a', name: 'A', weight: 0.4 },
        { id: 'b', name: 'B', weight: 0.4 },
        { id: 'holdout', name: 'Holdout', weight: 0.2 },
      ],
      primaryMetric: { name: 'purchases', kind: 'conversion', event: 'Order Completed', windowHours: 72 },
    };
    const saved = await server.adminRequest('PUT', '/api/experiments/onboard-bandit', experiment);
    expect(saved.status).toBe(200);
    const { servingWeights } = (await server.admin('/api/experiments/onboard-bandit/results')).body;
    expect(Object.keys(servingWeights).sort()).toEqual(['a', 'b']);
    expect(servingWeights.b).toBeGreaterThan(0.9);

    const newcomers = Array.from({ length: 60 }, (_, i) => `newcomer-${i}`);
    const signups = newcomers.map((userId) => ({ type: 'track', userId, event: 'Signed Up' }));
    expect((await track(server, '/v1/batch', { batch: signups })).status).toBe(200);
    await server.settle();
    const step = JOURNEY.steps[0] as Parameters<typeof assignSplit>[0];
    const counts = { a: 0, b: 0, holdout: 0 };
    for (const userId of newcomers) {
      const [identity] = await eventually(
        () => server.server.state.findIdentities([{ kind: 'user_id', value: userId }]),
        (rows) => rows.length > 0,
      );
      const profileId = identity!.profileId;
      const [instance] = await eventually(
        () => server.server.conductor.store.instancesOf(profileId),
        (rows) => rows.length > 0,
      );
      const arm = (instance!.body as { arms: Record<string, string> }).arms.split as keyof typeof counts;
      const expected = assignSplit(step, splitBucket('onboard', 'split', profileId), servingWeights);
      expect(arm).toBe(expected.holdout ? 'holdout' : expected.arm);
      counts[arm] += 1;
    }
    // The holdout is the split's 20%, whatever the bandit says; of the treated, b gets most.
    expect(counts.b).toBeGreaterThan(3 * counts.a);
    expect(counts.holdout).toBeGreaterThan(3);
  });
});
