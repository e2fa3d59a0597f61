// Thompson sampling: the chance each offer is best against the exact Beta comparison
// (Evan Miller's closed form for integer parameters), and a simulated placement with planted
// click rates where the bandit ends up showing the best offer most and explores less over time.
import gammaln from '@stdlib/math-base-special-gammaln';
import mt19937 from '@stdlib/random-base-mt19937';
import { describe, expect, it } from 'vitest';
import { assignSplit, SPLIT_BUCKETS } from '../../src/conductor/journey/split.ts';
import { assignByWeights } from '../../src/experiments/assign.ts';
import { applyFloor, banditSummary, banditWeights, thompsonSampler } from '../../src/experiments/bandit.ts';
import { liveArm, planFor } from '../../src/experiments/live.ts';

const logBeta = (a: number, b: number) => gammaln(a) + gammaln(b) - gammaln(a + b);

/** P(pB > pA) for pA ~ Beta(aA, bA), pB ~ Beta(aB, bB), aB an integer. */
function exactChanceBBeatsA(aA: number, bA: number, aB: number, bB: number): number {
  let total = 0;
  for (let i = 0; i < aB; i++) {
    total += Math.exp(logBeta(aA + i, bA + bB) - Math.log(bB + i) - logBeta(1 + i, bB) - logBeta(aA, bA));
  }
  return total;
}

describe('Thompson sampling over offers', () => {
  it("gives each offer its chance of being best, as the Beta posteriors' exact comparison", () => {
    const arms = [
      { id: 'a', impressions: 200, clicks: 12 },
      { id: 'b', impressions: 180, clicks: 17 },
    ];
    const summary = banditSummary(arms, 40_000, 3);
    // Beta(1 + clicks, 1 + misses).
    const exact = exactChanceBBeatsA(13, 189, 18, 164);
    const se = Math.sqrt((exact * (1 - exact)) / 40_000);
    expect(Math.abs((summary.arms[1]?.chanceBest ?? 0) - exact)).toBeLessThan(4 * se);
    expect(summary.leader).toBe('b');
    expect(summary.explorationShare).toBeCloseTo(1 - (summary.arms[1]?.chanceBest ?? 0), 12);
    expect(summary.arms[0]?.rate).toBeCloseTo(13 / 202, 12);
  });

  it('splits evenly between offers with the same data, and explores fully with none', () => {
    const same = banditSummary(
      [
        { id: 'a', impressions: 100, clicks: 10 },
        { id: 'b', impressions: 100, clicks: 10 },
      ],
      20_000,
      5,
    );
    expect(Math.abs((same.arms[0]?.chanceBest ?? 0) - 0.5)).toBeLessThan(4 * Math.sqrt(0.25 / 20_000));
    const fresh = banditSummary([
      { id: 'a', impressions: 0, clicks: 0 },
      { id: 'b', impressions: 0, clicks: 0 },
      { id: 'c', impressions: 0, clicks: 0 },
    ]);
    expect(fresh.explorationShare).toBeGreaterThan(0.6);
    expect(banditSummary([]).leader).toBeNull();
  });

  it('on a placement with planted click rates, shows the best offer most and explores less as it learns', () => {
    const planted = { weak: 0.02, fair: 0.05, best: 0.1 };
    const arms = Object.keys(planted).map((id) => ({ id, impressions: 0, clicks: 0 }));
    const choose = thompsonSampler(7);
    const world = (mt19937.factory({ seed: 11 }) as unknown as { normalized: () => number }).normalized;
    const shown: string[] = [];
    const exploration: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const id = choose(arms) as keyof typeof planted;
      const arm = arms.find((a) => a.id === id)!;
      arm.impressions += 1;
      if (world() < planted[id]) arm.clicks += 1;
      shown.push(id);
      if (i === 999 || i === 19_999) exploration.push(banditSummary(arms, 5000, i).explorationShare);
    }
    const late = shown.slice(-5000);
    expect(late.filter((id) => id === 'best').length / late.length).toBeGreaterThan(0.8);
    expect(banditSummary(arms).leader).toBe('best');
    expect(exploration[1]).toBeLessThan(exploration[0] as number);
  });
});

describe('bandit weights (an experiment in bandit mode)', () => {
  it('mixes the chance to be best with an even exploration share, and floors every arm', () => {
    const arms = [
      { id: 'a', impressions: 2000, clicks: 40 },
      { id: 'b', impressions: 2000, clicks: 200 },
      { id: 'c', impressions: 2000, clicks: 60 },
    ];
    // b is best with certainty: 0.7 × 1 + 0.3 / 3 for b, 0.1 for the others.
    const weights = banditWeights(arms, { explorationShare: 0.3, floor: 0 });
    expect(weights[1]).toBeCloseTo(0.8, 12);
    expect(weights[0]).toBeCloseTo(0.1, 12);
    // No exploration and a 0.15 floor: the losers get the floor, b the rest.
    const floored = banditWeights(arms, { explorationShare: 0, floor: 0.15 });
    expect(floored).toEqual([0.15, expect.closeTo(0.7, 12), 0.15]);
    // Everything explores: an even split.
    for (const w of banditWeights(arms, { explorationShare: 1, floor: 0 })) expect(w).toBeCloseTo(1 / 3, 12);
  });

  it('takes what the floor costs from the other arms in proportion', () => {
    const weights = applyFloor([0.01, 0.29, 0.7], 0.05);
    expect(weights[0]).toBe(0.05);
    expect(weights[1]).toBeCloseTo(0.29 * (0.95 / 0.99), 12);
    expect(weights[2]).toBeCloseTo(0.7 * (0.95 / 0.99), 12);
    // A second arm pushed below the floor by the first one's rise is floored too.
    const twice = applyFloor([0, 0.051, 0.949], 0.05);
    expect(twice[0]).toBe(0.05);
    expect(twice[1]).toBe(0.05);
    expect(twice[2]).toBeCloseTo(0.9, 12);
  });

  it('on simulated people with a planted best arm, converges to it with less regret than an even split', () => {
    const planted = [0.04, 0.06, 0.09];
    const best = Math.max(...planted);
    const policy = { explorationShare: 0.1, floor: 0.02 };
    const arms = planted.map((_, i) => ({ id: `arm-${i}`, impressions: 0, clicks: 0 }));
    const world = (mt19937.factory({ seed: 21 }) as unknown as { normalized: () => number }).normalized;
    let regret = 0;
    let people = 0;
    let weights = banditWeights(arms, policy);
    // 40 batches of 500 people; the weights are recomputed between batches, as the server does.
    for (let batch = 0; batch < 40; batch++) {
      for (let i = 0; i < 500; i++) {
        const index = assignByWeights('bandit-sim', `person-${batch}-${i}`, weights);
        const arm = arms[index]!;
        arm.impressions += 1;
        if (world() < planted[index]!) arm.clicks += 1;
        regret += best - planted[index]!;
        people += 1;
      }
      weights = banditWeights(arms, policy, 20_000, batch + 1);
      for (const w of weights) expect(w).toBeGreaterThanOrEqual(policy.floor - 1e-12);
      expect(weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    }
    // Converged: the best arm has all it can get (0.9 + 0.1 / 3 at most) but a little.
    expect(weights[2]).toBeGreaterThan(0.85);
    expect(banditSummary(arms).leader).toBe('arm-2');
    // An even split's expected regret: every person loses best − mean rate.
    const uniformRegret = people * (best - planted.reduce((a, b) => a + b, 0) / planted.length);
    expect(regret).toBeLessThan(0.5 * uniformRegret);
    // The exploration share keeps the losing arms measured: each still got people.
    for (const arm of arms) expect(arm.impressions).toBeGreaterThan(people * policy.floor);
  });
});

describe("a bandit's weights on a journey split", () => {
  const step = {
    id: 'split',
    type: 'split' as const,
    arms: [
      { name: 'a', percent: 40, next: 'done' },
      { name: 'b', percent: 40, next: 'done' },
    ],
    holdout: { percent: 20, next: 'done' },
  };

  it('divides the treated share by the weights and leaves the holdout its own', () => {
    const share = (weights?: Record<string, number>) => {
      const counts = { a: 0, b: 0, holdout: 0 };
      for (let bucket = 0; bucket < SPLIT_BUCKETS; bucket++) {
        const assignment = assignSplit(step, bucket, weights);
        counts[assignment.holdout ? 'holdout' : (assignment.arm as 'a' | 'b')] += 1;
      }
      return counts;
    };
    expect(share()).toEqual({ holdout: 2000, a: 4000, b: 4000 });
    // 10% / 90% of the treated 80%.
    expect(share({ a: 0.1, b: 0.9 })).toEqual({ holdout: 2000, a: 800, b: 7200 });
    // Weights naming no arm of the step change nothing.
    expect(share({ c: 1 })).toEqual({ holdout: 2000, a: 4000, b: 4000 });
  });

  it('plans a journey bandit over the treated arms only, and a fixed placement test by its weights', () => {
    const experiment = {
      id: 'e',
      name: 'e',
      hypothesis: '',
      owner: '',
      status: 'running' as const,
      attachment: { kind: 'journey' as const, journeyId: 'j', stepId: 'split' },
      mode: 'bandit' as const,
      arms: [
        { id: 'a', name: 'A', weight: 0.4 },
        { id: 'b', name: 'B', weight: 0.4 },
        { id: 'holdout', name: 'H', weight: 0.2 },
      ],
      primaryMetric: { name: 'p', kind: 'conversion' as const, event: 'x', windowHours: 1 },
      guardrailMetrics: [],
    };
    const plan = planFor(experiment, [
      { id: 'a', impressions: 1000, clicks: 10 },
      { id: 'b', impressions: 1000, clicks: 200 },
      { id: 'holdout', impressions: 500, clicks: 1 },
    ]);
    expect(plan.arms.map((arm) => arm.id)).toEqual(['a', 'b']);
    expect(plan.weights[1]).toBeCloseTo(0.9 + 0.05, 12);
    const fixed = planFor({
      ...experiment,
      mode: 'fixed',
      attachment: { kind: 'placement', placementId: 'p' },
    });
    expect(fixed.weights).toEqual([0.4, 0.4, 0.2]);
    expect(
      liveArm({ ...fixed, experiment: { ...fixed.experiment, status: 'stopped' } }, 'u:1', new Date()),
    ).toBeUndefined();
  });
});
