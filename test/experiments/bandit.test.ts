// Thompson sampling: the chance each offer is best against the exact Beta comparison
// (Evan Miller's closed form for integer parameters), and a simulated placement with planted
// click rates where the bandit ends up showing the best offer most and explores less over time.
import gammaln from '@stdlib/math-base-special-gammaln';
import mt19937 from '@stdlib/random-base-mt19937';
import { describe, expect, it } from 'vitest';
import { banditSummary, thompsonSampler } from '../../src/experiments/bandit.ts';

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
