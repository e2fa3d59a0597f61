// The statistics against GrowthBook's published test cases (gbstats, packages/stats/tests in
// growthbook/growthbook): the same inputs give the same numbers to the 5 decimals those tests
// round to. Inputs there are (sum, sum of squares, n) per arm; ours are the same three numbers.
import { describe, expect, it } from 'vitest';
import { summarise, summariseAdjusted } from '../../src/experiments/stats/aggregates.ts';
import { bayesianEffect } from '../../src/experiments/stats/bayesian.ts';
import { adjustPValues } from '../../src/experiments/stats/corrections.ts';
import { sequentialTTest, welchTTest } from '../../src/experiments/stats/frequentist.ts';
import { sampleRatioMismatch } from '../../src/experiments/stats/srm.ts';

const round = (x: number, decimals = 5) => Math.round(x * 10 ** decimals) / 10 ** decimals;
const rounded = (xs: readonly number[], decimals = 5) => xs.map((x) => round(x, decimals));

const meanA = summarise('mean', { sum: 1396.87, sumSquares: 52377.9767, n: 3407 });
const meanB = summarise('mean', { sum: 2422.7, sumSquares: 134698.29, n: 3461 });

describe('Welch t-test (gbstats TestTwoSidedTTest)', () => {
  it('relative difference with the delta method', () => {
    const r = welchTTest(meanA, meanB, { difference: 'relative', alpha: 0.05 });
    expect(round(r.effect)).toBe(round((0.7 - 0.41) / 0.41));
    expect(rounded(r.ci)).toEqual([-0.03526, 1.44989]);
    expect(round(r.se)).toBe(0.37879);
    expect(round(r.pValue)).toBe(0.06191);
  });

  it('absolute difference', () => {
    const r = welchTTest(meanA, meanB, { difference: 'absolute', alpha: 0.05 });
    expect(round(r.effect)).toBe(0.29);
    expect(rounded(r.ci)).toEqual([0.04538, 0.53462]);
    expect(round(r.se)).toBe(0.12478);
    expect(round(r.pValue)).toBe(0.02016);
  });

  it('a proportion (14/28 against 16/30)', () => {
    const r = welchTTest(
      summarise('proportion', { sum: 14, n: 28 }),
      summarise('proportion', { sum: 16, n: 30 }),
      {
        difference: 'relative',
        alpha: 0.05,
      },
    );
    expect(round(r.effect)).toBe(round((16 / 30 - 0.5) / 0.5));
    expect(rounded(r.ci)).toEqual([-0.47767, 0.61101]);
    expect(round(r.se)).toBe(0.2717);
    expect(round(r.pValue)).toBe(0.80707);
  });

  it('a narrower alpha widens the interval', () => {
    const at5 = welchTTest(meanA, meanB, { difference: 'absolute', alpha: 0.05 });
    const at1 = welchTTest(meanA, meanB, { difference: 'absolute', alpha: 0.01 });
    expect(at1.ci[0]).toBeLessThan(at5.ci[0]);
    expect(at1.ci[1]).toBeGreaterThan(at5.ci[1]);
  });
});

describe('sequential always-valid intervals (gbstats TestSequentialTTest)', () => {
  const seqA = summarise('mean', { sum: 1396.87, sumSquares: 52377.9767, n: 3000 });

  it('a mean with tuning 1000', () => {
    const r = sequentialTTest(seqA, meanB, { difference: 'relative', alpha: 0.05, tuning: 1000 });
    expect(round(r.effect)).toBe(0.50336);
    expect(rounded(r.ci)).toEqual([-0.55844, 1.56516]);
    expect(round(r.se)).toBe(0.33341);
    expect(round(r.pValue)).toBe(1);
  });

  it('a proportion with the default tuning 5000', () => {
    const r = sequentialTTest(
      summarise('proportion', { sum: 1396, n: 3000 }),
      summarise('proportion', { sum: 2422, n: 3461 }),
      { difference: 'relative', alpha: 0.05, tuning: 5000 },
    );
    expect(round(r.effect)).toBe(0.50386);
    expect(rounded(r.ci)).toEqual([0.40098, 0.60675]);
    expect(round(r.se)).toBe(0.03386);
    expect(round(r.pValue)).toBe(0);
  });

  it('CUPED-adjusted arms (θ = 0.5)', () => {
    const control = summariseAdjusted(
      'mean',
      { sum: 1396.87, sumSquares: 52377.9767, n: 3000 },
      { pre: { sum: 16.87, sumSquares: 527.9767 }, sumProducts: 12525 },
      0.5,
    );
    const variant = summariseAdjusted(
      'mean',
      { sum: 2422.7, sumSquares: 134698.29, n: 3461 },
      { pre: { sum: 22.7, sumSquares: 1348.29 }, sumProducts: 3333 },
      0.5,
    );
    const r = sequentialTTest(control, variant, { difference: 'relative', alpha: 0.05, tuning: 5000 });
    expect(round(r.effect)).toBe(0.50236);
    expect(rounded(r.ci)).toEqual([-0.43745, 1.44217]);
    expect(round(r.se)).toBe(0.3093);
    expect(round(r.pValue)).toBe(1);
  });

  it('is tightest when the tuning is near the real sample size', () => {
    const width = (tuning: number) => {
      const r = sequentialTTest(seqA, meanB, { difference: 'relative', alpha: 0.05, tuning });
      return r.ci[1] - r.ci[0];
    };
    expect(width(10)).toBeGreaterThan(width(10_000));
    expect(width(10)).toBeGreaterThan(width(6461));
    expect(width(10_000)).toBeGreaterThan(width(6461));
    // and always wider than the fixed-sample interval
    const fixed = welchTTest(seqA, meanB, { difference: 'relative', alpha: 0.05 });
    expect(width(6461)).toBeGreaterThan(fixed.ci[1] - fixed.ci[0]);
  });
});

describe('Bayesian effect (gbstats EffectBayesianABTest)', () => {
  it('a proportion, flat prior', () => {
    const r = bayesianEffect(
      summarise('proportion', { sum: 49, n: 100 }),
      summarise('proportion', { sum: 51, n: 100 }),
      {
        difference: 'relative',
        alpha: 0.05,
      },
    );
    expect(round(r.effect)).toBe(0.04082);
    expect(rounded(r.ci)).toEqual([-0.24779, 0.32943]);
    expect(round(r.se)).toBe(0.14725);
    expect(round(r.chanceToWin)).toBe(0.60918);
    expect(rounded(r.risk)).toEqual([0.0814, 0.04058]);
  });

  const gaussA = summarise('mean', { sum: 100, sumSquares: 1002.25, n: 10 });
  const gaussB = summarise('mean', { sum: 105, sumSquares: 1111.5, n: 10 });

  it('a mean, flat prior', () => {
    const r = bayesianEffect(gaussA, gaussB, { difference: 'relative', alpha: 0.05 });
    expect(round(r.effect)).toBe(0.05);
    expect(rounded(r.ci)).toEqual([-0.02, 0.12]);
    expect(round(r.se)).toBe(0.03572);
    expect(round(r.chanceToWin)).toBe(0.91923);
    expect(rounded(r.risk)).toEqual([0.05131, 0.00131]);
  });

  it('a mean, informative prior N(0.1, 0.1)', () => {
    const r = bayesianEffect(gaussA, gaussB, {
      difference: 'relative',
      alpha: 0.05,
      prior: { mean: 0.1, variance: 0.1 },
    });
    expect(round(r.effect)).toBe(0.05063);
    expect(rounded(r.ci)).toEqual([-0.01893, 0.12019]);
    expect(round(r.se)).toBe(0.03549);
    expect(round(r.chanceToWin)).toBe(0.92315);
    expect(rounded(r.risk)).toEqual([0.05186, 0.00123]);
  });
});

describe('sample-ratio mismatch (gbstats test_srm)', () => {
  it('1000 against 1200 on a 50/50 split', () => {
    const r = sampleRatioMismatch([1000, 1200], [0.5, 0.5]);
    expect(round(r.pValue, 9)).toBe(0.000020079);
    expect(r.mismatch).toBe(true);
  });

  it('a split that matches its weights passes, three arms included', () => {
    expect(sampleRatioMismatch([5000, 5040], [0.5, 0.5]).mismatch).toBe(false);
    expect(sampleRatioMismatch([2000, 4010, 3990], [0.2, 0.4, 0.4]).mismatch).toBe(false);
    expect(sampleRatioMismatch([2300, 3850, 3850], [0.2, 0.4, 0.4]).mismatch).toBe(true);
  });
});

describe('multiple comparisons', () => {
  // Benjamini & Hochberg (1995)'s own example and Holm (1979)'s step-down, worked by hand.
  const p = [0.01, 0.04, 0.03, 0.005];
  it('Holm–Bonferroni', () => {
    expect(rounded(adjustPValues(p, 'holm-bonferroni'))).toEqual([0.03, 0.06, 0.06, 0.02]);
  });
  it('Benjamini–Hochberg', () => {
    expect(rounded(adjustPValues(p, 'benjamini-hochberg'))).toEqual([0.02, 0.04, 0.04, 0.02]);
  });
  it('none leaves them', () => {
    expect(adjustPValues(p, 'none')).toEqual(p);
  });
});
