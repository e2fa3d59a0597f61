import gammaln from '@stdlib/math-base-special-gammaln';
import { describe, expect, it } from 'vitest';
import { expectedAverageSpend, fitGammaGamma, gammaGammaLogLikelihood } from '../../src/value/gamma-gamma.ts';
import type { CustomerSummary } from '../../src/value/summary.ts';

const buyer = (
  frequency: number,
  meanRepeatSpend: number,
  id = `${frequency}-${meanRepeatSpend}`,
): CustomerSummary => ({
  customerId: id,
  frequency,
  recency: frequency,
  age: 20,
  meanRepeatSpend,
  holdoutPurchases: 0,
});

describe('Gamma-Gamma', () => {
  it('computes the log density of a mean of x Gamma(p, ν) values with ν ~ Gamma(q, γ)', () => {
    const params = { p: 6, q: 4, gamma: 15 };
    const [x, m] = [3, 20];
    // Fader & Hardie 2013, equation 3, written out.
    const expected =
      gammaln(params.p * x + params.q) -
      gammaln(params.p * x) -
      gammaln(params.q) +
      params.q * Math.log(params.gamma) +
      (params.p * x - 1) * Math.log(m) +
      params.p * x * Math.log(x) -
      (params.p * x + params.q) * Math.log(params.gamma + m * x);
    const data = {
      frequency: Float64Array.of(x),
      meanSpend: Float64Array.of(m),
      logMeanSpend: Float64Array.of(Math.log(m)),
      weight: Float64Array.of(1),
    };
    expect(gammaGammaLogLikelihood(params, data)).toBeCloseTo(expected, 10);
  });

  it("weights a customer's own mean more the more they bought", () => {
    const params = { p: 6, q: 4, gamma: 15 };
    const population = (params.p * params.gamma) / (params.q - 1);
    expect(expectedAverageSpend(params, 0, 0, 99)).toBeCloseTo(population, 12);
    const few = expectedAverageSpend(params, 1, 100, 0);
    const many = expectedAverageSpend(params, 20, 100, 0);
    expect(few).toBeGreaterThan(population);
    expect(many).toBeGreaterThan(few);
    expect(many).toBeLessThan(100);
  });

  it('uses the fallback for non-buyers when q ≤ 1 makes the population mean infinite', () => {
    expect(expectedAverageSpend({ p: 2, q: 0.8, gamma: 5 }, 0, 0, 42)).toBe(42);
  });

  it('says it uses repeat buyers only when there are none', () => {
    expect(() => fitGammaGamma([buyer(0, 0, 'a'), buyer(0, 0, 'b')])).toThrow(
      /uses only repeat buyers.*no customer made a repeat purchase/,
    );
  });

  it('leaves out repeat buyers whose repeat purchases were free, and says so', () => {
    const customers = [buyer(0, 0, 'new'), buyer(2, 0, 'free')];
    for (let i = 0; i < 40; i++) customers.push(buyer(1 + (i % 5), 10 + ((i * 7) % 23), `c${i}`));
    const fit = fitGammaGamma(customers);
    expect(fit.customers).toBe(40);
    expect(fit.excludedZeroSpend).toBe(1);
    expect(
      fit.warnings.some((warning) => warning.includes('1 repeat buyers whose repeat purchases were worth 0')),
    ).toBe(true);
    for (const value of Object.values(fit.params)) expect(Number.isFinite(value)).toBe(true);
  });

  it('fits identical spenders with finite numbers and warnings instead of NaN', () => {
    const fit = fitGammaGamma(Array.from({ length: 30 }, (_, i) => buyer(2, 25, `c${i}`)));
    for (const value of Object.values(fit.params)) expect(Number.isFinite(value)).toBe(true);
    for (const value of Object.values(fit.standardErrors))
      expect(value === null || Number.isFinite(value)).toBe(true);
    expect(fit.warnings.length).toBeGreaterThan(0);
  });
});
