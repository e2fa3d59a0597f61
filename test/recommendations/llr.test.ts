// The log-likelihood ratio against Mahout's published test values and against the G-test
// written the textbook way (2 Σ observed · ln(observed / expected)).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { logLikelihoodRatio, ruleLogLikelihood } from '../../src/recommendations/index.ts';

function gTest(k11: number, k12: number, k21: number, k22: number): number {
  const n = k11 + k12 + k21 + k22;
  const rows = [k11 + k12, k21 + k22];
  const columns = [k11 + k21, k12 + k22];
  const cells = [
    [k11, k12],
    [k21, k22],
  ];
  let g = 0;
  for (let r = 0; r < 2; r++) {
    for (let c = 0; c < 2; c++) {
      const observed = cells[r]![c]!;
      const expected = (rows[r]! * columns[c]!) / n;
      if (observed > 0) g += observed * Math.log(observed / expected);
    }
  }
  return 2 * g;
}

describe('logLikelihoodRatio', () => {
  it("reproduces Mahout's LogLikelihoodTest values", () => {
    expect(logLikelihoodRatio(1, 0, 0, 1)).toBeCloseTo(2.772589, 6);
    expect(logLikelihoodRatio(10, 0, 0, 10)).toBeCloseTo(27.72589, 5);
    expect(logLikelihoodRatio(5, 1995, 0, 100000)).toBeCloseTo(39.33052, 5);
    expect(logLikelihoodRatio(1000, 1995, 1000, 100000)).toBeCloseTo(4730.737, 3);
    expect(logLikelihoodRatio(1000, 1000, 1000, 100000)).toBeCloseTo(5734.343, 3);
    expect(logLikelihoodRatio(1000, 1000, 1000, 99000)).toBeCloseTo(5714.932, 3);
  });

  it('is the G-test, symmetric, and zero for independent counts', () => {
    const count = fc.integer({ min: 0, max: 5000 });
    fc.assert(
      fc.property(count, count, count, count, (a, b, c, d) => {
        fc.pre(a + b > 0 && c + d > 0 && a + c > 0 && b + d > 0);
        const llr = logLikelihoodRatio(a, b, c, d);
        expect(llr).toBeGreaterThanOrEqual(0);
        expect(llr).toBeCloseTo(gTest(a, b, c, d), 6);
        expect(logLikelihoodRatio(a, c, b, d)).toBeCloseTo(llr, 6);
      }),
    );
    expect(logLikelihoodRatio(10, 20, 30, 60)).toBeCloseTo(0, 9);
  });

  it('refuses negative counts', () => {
    expect(() => logLikelihoodRatio(1, -1, 0, 0)).toThrow(/≥ 0/);
  });

  it('reads a rule’s table from its counts', () => {
    // 100 baskets: 20 with A, 25 with B, 15 with both.
    expect(ruleLogLikelihood(15, 20, 25, 100)).toBeCloseTo(logLikelihoodRatio(15, 10, 5, 70), 12);
  });
});
