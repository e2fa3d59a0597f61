// The audit's statistics against published figures and planted truths: Clopper-Pearson against
// the beta quantiles (scipy.stats.beta.ppf gives the same digits), Newcombe's interval against his
// own worked example, coverage of both on draws from known shares, and the verdicts a planted
// share must get.
import { describe, expect, it } from 'vitest';
import {
  differenceInterval,
  peopleToSettleShare,
  shareInterval,
  verdictAtLeast,
  verdictAtMost,
  wilsonInterval,
} from '../../src/audit/stats.ts';
import { Random } from '../../src/simulate/index.ts';

function draw(random: Random, p: number, n: number): number {
  let x = 0;
  for (let i = 0; i < n; i++) if (random.chance(p)) x++;
  return x;
}

describe('intervals', () => {
  it('Clopper-Pearson matches the beta quantiles (7 of 20: R binom.test gives 0.1539 to 0.5922)', () => {
    const i = shareInterval(7, 20);
    expect(i.estimate).toBe(0.35);
    expect(i.low).toBeCloseTo(0.1539092, 6);
    expect(i.high).toBeCloseTo(0.5921885, 6);
    const one = shareInterval(1, 20);
    expect(one.low).toBeCloseTo(0.0012651, 6);
    expect(one.high).toBeCloseTo(0.2487328, 6);
    expect(shareInterval(0, 10).low).toBe(0);
    expect(shareInterval(10, 10).high).toBe(1);
  });

  it("Newcombe's method 10 on his example 56/70 against 48/80: 0.0524 to 0.3339", () => {
    const d = differenceInterval(56, 70, 48, 80);
    expect(d.estimate).toBeCloseTo(0.2, 10);
    expect(d.low).toBeCloseTo(0.0524, 4);
    expect(d.high).toBeCloseTo(0.3339, 4);
    // Wilson for 81 of 263 (Newcombe 1998, single proportion example): 0.2553 to 0.3662.
    const w = wilsonInterval(81, 263);
    expect(w.low).toBeCloseTo(0.2553, 4);
    expect(w.high).toBeCloseTo(0.3662, 4);
  });

  it('covers a planted share and a planted difference about 95% of the time', () => {
    const random = new Random(11, 0);
    let shareHits = 0;
    let differenceHits = 0;
    const runs = 1000;
    for (let r = 0; r < runs; r++) {
      const s = shareInterval(draw(random, 0.3, 120), 120);
      if (s.low <= 0.3 && 0.3 <= s.high) shareHits++;
      const d = differenceInterval(draw(random, 0.6, 150), 150, draw(random, 0.45, 200), 200);
      if (d.low <= 0.15 && 0.15 <= d.high) differenceHits++;
    }
    // Clopper-Pearson is conservative (at least 95%); Newcombe's is close to nominal.
    expect(shareHits / runs).toBeGreaterThanOrEqual(0.94);
    expect(shareHits / runs).toBeLessThanOrEqual(0.99);
    expect(differenceHits / runs).toBeGreaterThanOrEqual(0.93);
    expect(differenceHits / runs).toBeLessThanOrEqual(0.975);
  });
});

describe('verdicts', () => {
  it('a planted share of 12.5% contradicts "most" and supports "at least 5%" on 2,000 people', () => {
    const random = new Random(5, 0);
    const x = draw(random, 0.125, 2000);
    const interval = shareInterval(x, 2000);
    expect(verdictAtLeast(interval, 0.5)).toBe('contradicted');
    expect(verdictAtLeast(interval, 0.05)).toBe('supported');
    expect(verdictAtMost(interval, 0.2)).toBe('supported');
    expect(verdictAtMost(interval, 0.05)).toBe('contradicted');
  });

  it('too few people to tell: not enough data, with how many would settle it', () => {
    const interval = shareInterval(6, 10);
    expect(verdictAtLeast(interval, 0.5)).toBe('not_enough_data');
    // 60% against 50%: about 1.96² × 0.24 / 0.01 ≈ 93 people.
    expect(peopleToSettleShare(0.6, 0.5)).toBe(93);
    expect(peopleToSettleShare(0.5, 0.5)).toBeUndefined();
    expect(verdictAtLeast(shareInterval(0, 0), 0.5)).toBe('not_enough_data');
  });
});
