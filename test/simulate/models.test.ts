// The planted behaviour models, checked against what the world generated: every tolerance is
// four standard errors of the quantity compared, so a correct generator fails about once in
// 16,000 runs, and a wrong parameter or a broken process moves the statistic well outside.
import { describe, expect, it } from 'vitest';
import { DEFAULT_BG_NBD, DEFAULT_GAMMA_GAMMA, simulateWorld } from '../../src/simulate/index.ts';
import { expectedPurchasesFromStart } from '../../src/value/index.ts';

const START = new Date('2024-01-01T00:00:00Z');
const DAYS = 365;
const world = simulateWorld({ kind: 'store', seed: 2024, people: 6000, start: START, days: DAYS });
const truths = [...world.truth()];
const buyers = truths.filter((truth) => truth.firstPurchaseAt !== null && truth.purchases > 0);
const windowEnd = START.getTime() + DAYS * 86_400_000;

function meanAndStandardError(values: number[]): { mean: number; se: number } {
  const mean = values.reduce((sum, v) => sum + v, 0) / values.length;
  const variance = values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (values.length - 1);
  return { mean, se: Math.sqrt(variance / values.length) };
}

describe('planted BG/NBD and Gamma-Gamma parameters', () => {
  it('draws λ ~ Gamma(r, α) and p ~ Beta(a, b) with the population means', () => {
    const { r, alpha, a, b } = DEFAULT_BG_NBD;
    const rate = meanAndStandardError(truths.map((t) => t.purchaseRate));
    const dropout = meanAndStandardError(truths.map((t) => t.dropoutProbability));
    expect(Math.abs(rate.mean - r / alpha)).toBeLessThan(4 * rate.se);
    expect(Math.abs(dropout.mean - a / (a + b))).toBeLessThan(4 * dropout.se);
  });

  it('repeat purchases per buyer match the BG/NBD expectation for each buyer’s time since the first order', () => {
    expect(buyers.length).toBeGreaterThan(2000);
    const differences = buyers.map((truth) => {
      const weeks = (windowEnd - Date.parse(truth.firstPurchaseAt!)) / (7 * 86_400_000);
      return truth.purchases - 1 - expectedPurchasesFromStart(DEFAULT_BG_NBD, weeks);
    });
    const { mean, se } = meanAndStandardError(differences);
    expect(Math.abs(mean)).toBeLessThan(4 * se);
  });

  it('drop-outs happen at a share p of repeat purchases', () => {
    let dropouts = 0;
    let expected = 0;
    let variance = 0;
    for (const truth of buyers) {
      const repeats = truth.purchases - 1;
      expected += repeats * truth.dropoutProbability;
      variance += repeats * truth.dropoutProbability * (1 - truth.dropoutProbability);
      if (truth.droppedOutAt !== null) dropouts += 1;
    }
    expect(dropouts).toBeGreaterThan(100);
    expect(Math.abs(dropouts - expected)).toBeLessThan(4 * Math.sqrt(variance));
  });

  it('order values are Gamma(p, ν) with ν ~ Gamma(q, γ): mean p·γ/(q−1) across buyers, p/ν within each', () => {
    const { p, q, gamma } = DEFAULT_GAMMA_GAMMA;
    const perBuyer = meanAndStandardError(buyers.map((truth) => truth.expectedOrderValue!));
    expect(Math.abs(perBuyer.mean - (p * gamma) / (q - 1))).toBeLessThan(4 * perBuyer.se);
    let observed = 0;
    let expected = 0;
    let variance = 0;
    for (const truth of buyers) {
      const nu = truth.spendRate!;
      observed += truth.totalSpend;
      expected += (truth.purchases * p) / nu;
      variance += (truth.purchases * p) / (nu * nu);
    }
    expect(Math.abs(observed - expected)).toBeLessThan(4 * Math.sqrt(variance) + buyers.length * 0.01);
  });
});
