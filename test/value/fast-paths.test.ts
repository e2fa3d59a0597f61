// The fast paths (customers with identical histories as weighted rows, analytic gradients)
// must give what the straightforward ones give: same log-likelihood, same gradient as finite
// differences, same fitted parameters.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type BgNbdParams,
  bgNbdLogLikelihood,
  bgNbdLogLikelihoodGradient,
  conditionalExpectedPurchases,
  fitBgNbd,
  toBgNbdData,
} from '../../src/value/bgnbd.ts';
import {
  customerLifetimeValue,
  customerLifetimeValueByStep,
  discountRatePerUnit,
  predictCustomers,
} from '../../src/value/clv.ts';
import { compressRows } from '../../src/value/compress.ts';
import {
  fitGammaGamma,
  type GammaGammaParams,
  gammaGammaLogLikelihood,
  gammaGammaLogLikelihoodGradient,
  toSpendData,
} from '../../src/value/gamma-gamma.ts';
import { simulateBgNbdCustomers, summariseSimulatedCustomer } from '../../src/value/simulate.ts';
import type { CustomerSummary } from '../../src/value/summary.ts';

const relative = (ours: number, expected: number): number =>
  Math.abs(ours - expected) / Math.max(1e-300, Math.abs(expected));

/** Histories on a coarse grid (whole days in weeks), so that many customers share one. */
const history = fc
  .record({
    frequency: fc.integer({ min: 0, max: 12 }),
    recencyDays: fc.integer({ min: 0, max: 60 }),
    extraDays: fc.integer({ min: 0, max: 60 }),
    spend: fc.integer({ min: 1, max: 40 }),
  })
  .map(({ frequency, recencyDays, extraDays, spend }) => ({
    frequency,
    recency: frequency === 0 ? 0 : recencyDays / 7,
    age: (recencyDays + extraDays) / 7 + (frequency === 0 ? 1 / 7 : 0),
    meanRepeatSpend: frequency === 0 ? 0 : spend / 2,
  }));

const bgNbdParams = fc.record({
  r: fc.double({ min: 0.05, max: 5, noNaN: true }),
  alpha: fc.double({ min: 0.1, max: 50, noNaN: true }),
  a: fc.double({ min: 0.05, max: 5, noNaN: true }),
  b: fc.double({ min: 0.05, max: 10, noNaN: true }),
});

const spendParams = fc.record({
  p: fc.double({ min: 0.2, max: 20, noNaN: true }),
  q: fc.double({ min: 0.2, max: 20, noNaN: true }),
  gamma: fc.double({ min: 0.2, max: 50, noNaN: true }),
});

/** Central difference of f along each coordinate, with a step relative to the coordinate. */
function finiteDifferenceGradient(f: (point: number[]) => number, point: readonly number[]): number[] {
  return point.map((value, index) => {
    const step = 1e-6 * value;
    const up = [...point];
    const down = [...point];
    up[index] = value + step;
    down[index] = value - step;
    return (f(up) - f(down)) / (2 * step);
  });
}

const asBgNbd = ([r, alpha, a, b]: readonly number[]): BgNbdParams => ({
  r: r!,
  alpha: alpha!,
  a: a!,
  b: b!,
});
const asSpend = ([p, q, gamma]: readonly number[]): GammaGammaParams => ({ p: p!, q: q!, gamma: gamma! });

describe('compressRows', () => {
  it('groups identical rows, keeps every customer and maps each to its row', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 4 }), fc.constantFrom(0, -0, 0.5, 1 / 3))),
        (rows) => {
          const left = Float64Array.from(rows, (row) => row[0]);
          const right = Float64Array.from(rows, (row) => row[1]);
          const { columns, weight, rowOf } = compressRows([left, right]);
          const distinct = new Set(rows.map(([x, y]) => `${x},${y + 0}`));
          expect(weight.length).toBe(distinct.size);
          expect(weight.reduce((sum, value) => sum + value, 0)).toBe(rows.length);
          rows.forEach(([x, y], i) => {
            expect(columns[0]![rowOf[i]!]).toBe(x);
            expect(columns[1]![rowOf[i]!]! === y).toBe(true);
          });
        },
      ),
    );
  });
});

describe('BG/NBD fast paths', () => {
  it('gives the same log-likelihood on compressed and uncompressed data', () => {
    fc.assert(
      fc.property(fc.array(history, { minLength: 1, maxLength: 300 }), bgNbdParams, (customers, params) => {
        const compressed = toBgNbdData(customers);
        const plain = toBgNbdData(customers, { compress: false });
        expect(compressed.frequency.length).toBeLessThanOrEqual(plain.frequency.length);
        expect(
          relative(bgNbdLogLikelihood(params, compressed), bgNbdLogLikelihood(params, plain)),
        ).toBeLessThan(1e-11);
      }),
    );
  });

  it('has an analytic gradient that matches finite differences and returns the same log-likelihood', () => {
    fc.assert(
      fc.property(fc.array(history, { minLength: 1, maxLength: 100 }), bgNbdParams, (customers, params) => {
        const data = toBgNbdData(customers);
        const gradient = [0, 0, 0, 0];
        const value = bgNbdLogLikelihoodGradient(params, data, gradient);
        expect(relative(value, bgNbdLogLikelihood(params, data))).toBeLessThan(1e-12);
        const point = [params.r, params.alpha, params.a, params.b];
        const numeric = finiteDifferenceGradient((p) => bgNbdLogLikelihood(asBgNbd(p), data), point);
        // Finite differences lose digits to cancellation: compare on the scale of the terms.
        const scale = Math.max(1, Math.abs(value));
        numeric.forEach((expected, index) => {
          const tolerance = 1e-6 * scale * Math.max(1, 1 / point[index]!);
          expect(Math.abs(gradient[index]! - expected), `d/d${Object.keys(params)[index]}`).toBeLessThan(
            tolerance,
          );
        });
      }),
    );
  });

  it('fits the same parameters, log-likelihood and standard errors with and without the fast paths', () => {
    const customers = dayRoundedCustomers(3000, 5);
    const fast = fitBgNbd(customers);
    const slow = fitBgNbd(customers, { compress: false, analyticGradient: false });
    expect(toBgNbdData(customers).frequency.length).toBeLessThan(customers.length);
    for (const key of ['r', 'alpha', 'a', 'b'] as const) {
      expect(relative(fast.params[key], slow.params[key]), key).toBeLessThan(1e-5);
      // The straightforward Hessian (second differences of the likelihood) carries rounding
      // error of about 1e-4 relative; the one from the analytic gradient does not.
      expect(relative(fast.standardErrors[key]!, slow.standardErrors[key]!), key).toBeLessThan(1e-3);
    }
    expect(Math.abs(fast.logLikelihood - slow.logLikelihood)).toBeLessThan(1e-6);
  });
});

describe('Gamma-Gamma fast paths', () => {
  const repeatBuyers = fc.array(
    history.filter((customer) => customer.frequency > 0),
    { minLength: 1, maxLength: 200 },
  );
  const columns = (customers: { frequency: number; meanRepeatSpend: number }[]) => ({
    frequency: Float64Array.from(customers, (customer) => customer.frequency),
    meanSpend: Float64Array.from(customers, (customer) => customer.meanRepeatSpend),
  });

  it('gives the same log-likelihood on compressed and uncompressed data', () => {
    fc.assert(
      fc.property(repeatBuyers, spendParams, (customers, params) => {
        const compressed = toSpendData(columns(customers));
        const plain = toSpendData(columns(customers), false);
        expect(
          relative(gammaGammaLogLikelihood(params, compressed), gammaGammaLogLikelihood(params, plain)),
        ).toBeLessThan(1e-11);
      }),
    );
  });

  it('has an analytic gradient that matches finite differences', () => {
    fc.assert(
      fc.property(repeatBuyers, spendParams, (customers, params) => {
        const data = toSpendData(columns(customers));
        const gradient = [0, 0, 0];
        const value = gammaGammaLogLikelihoodGradient(params, data, gradient);
        expect(relative(value, gammaGammaLogLikelihood(params, data))).toBeLessThan(1e-12);
        const point = [params.p, params.q, params.gamma];
        const numeric = finiteDifferenceGradient((p) => gammaGammaLogLikelihood(asSpend(p), data), point);
        const scale = Math.max(1, Math.abs(value));
        numeric.forEach((expected, index) => {
          const tolerance = 1e-6 * scale * Math.max(1, 1 / point[index]!);
          expect(Math.abs(gradient[index]! - expected), `d/d${Object.keys(params)[index]}`).toBeLessThan(
            tolerance,
          );
        });
      }),
    );
  });

  it('fits the same parameters with and without the fast paths', () => {
    const customers = dayRoundedCustomers(3000, 6);
    const fast = fitGammaGamma(customers);
    const slow = fitGammaGamma(customers, { compress: false, analyticGradient: false });
    for (const key of ['p', 'q', 'gamma'] as const) {
      expect(relative(fast.params[key], slow.params[key]), key).toBeLessThan(1e-5);
      expect(relative(fast.standardErrors[key]!, slow.standardErrors[key]!), key).toBeLessThan(1e-3);
    }
    expect(Math.abs(fast.logLikelihood - slow.logLikelihood)).toBeLessThan(1e-6);
  });
});

/** Simulated customers with times rounded to whole days and spend to cents, as real data come. */
function dayRoundedCustomers(n: number, seed: number): CustomerSummary[] {
  const planted = { bgNbd: { r: 0.25, alpha: 4, a: 0.8, b: 2.5 }, gammaGamma: { p: 6, q: 4, gamma: 15 } };
  const day = (weeks: number) => Math.round(weeks * 7) / 7;
  return simulateBgNbdCustomers(planted, n, seed)
    .map(summariseSimulatedCustomer)
    .map((customer) => ({
      ...customer,
      recency: day(customer.recency),
      age: day(customer.age),
      meanRepeatSpend: Math.round(customer.meanRepeatSpend * 100) / 100,
    }));
}

describe('CLV fast path', () => {
  const customer = fc.record({
    frequency: fc.integer({ min: 0, max: 60 }),
    recencyShare: fc.double({ min: 0, max: 1, noNaN: true }),
    age: fc.double({ min: 0, max: 80, noNaN: true }),
  });
  const params = fc.oneof(
    bgNbdParams,
    // a at and around 1 (the formula's limit) and a > 2 (growing series coefficients).
    bgNbdParams.map((p) => ({ ...p, a: 1 })),
    bgNbdParams.map((p) => ({ ...p, a: p.a + 2 })),
  );

  it('gives the step-by-step sum of equation 10 to 1e-9 (1e-6 at a = 1), for any parameters, history and horizon', () => {
    fc.assert(
      fc.property(
        params,
        customer,
        fc.constantFrom(52, 13.5, 1, 0.4, 120),
        fc.double({ min: 0, max: 0.05, noNaN: true }),
        (bgNbd, { frequency, recencyShare, age }, horizon, rate) => {
          const history = { frequency, recency: frequency === 0 ? 0 : recencyShare * age, age };
          const fast = customerLifetimeValue(bgNbd, history, 20, horizon, rate);
          const slow = customerLifetimeValueByStep(bgNbd, history, 20, horizon, rate);
          // At a = 1 both compute the formula's limit with a nudged to 1 + 1e-7 and lose about
          // seven digits to the division by a − 1, each rounding its own way.
          const tolerance = Math.abs(bgNbd.a - 1) < 1e-6 ? 1e-6 : 1e-9;
          expect(Math.abs(fast - slow)).toBeLessThanOrEqual(tolerance * Math.abs(slow) + 1e-12);
        },
      ),
    );
  });

  it('stays finite and agrees where the parameters run off to millions (identical customers)', () => {
    const runaway = { r: 4447639.46, alpha: 19883000.13, a: 58793010.43, b: 61361398.7 };
    const history = { frequency: 2, recency: 8.571429, age: 25.857143 };
    const fast = customerLifetimeValue(runaway, history, 10, 10, 0);
    // Both lose digits here to 1 − (1−z)^(a−1) ₂F₁(…) with a − 1 in the millions.
    expect(relative(fast, customerLifetimeValueByStep(runaway, history, 10, 10, 0))).toBeLessThan(1e-6);
  });

  it('gives a positive CLV, as step by step, when only a and b run off (their ₂F₁ overflows)', () => {
    const runaway = { r: 0.2678, alpha: 5.075, a: 580198.4, b: 995742.0 };
    for (const history of [
      { frequency: 0, recency: 0, age: 10 },
      { frequency: 3, recency: 20, age: 30 },
    ]) {
      const fast = customerLifetimeValue(runaway, history, 10, 52, 0.002);
      expect(fast).toBeGreaterThan(0);
      expect(relative(fast, customerLifetimeValueByStep(runaway, history, 10, 52, 0.002))).toBeLessThan(1e-9);
    }
  });

  it('predicts the same expected purchases and CLV for every customer as the formulas one by one', () => {
    const customers = dayRoundedCustomers(2000, 9);
    const bgNbd = { r: 0.25, alpha: 4, a: 0.8, b: 2.5 };
    const spend = { params: { p: 6, q: 4, gamma: 15 }, fallback: 30 };
    const predictions = predictCustomers(bgNbd, spend, customers, {
      horizon: 52,
      annualDiscountRate: 0.1,
      unit: 'weeks',
    });
    const rate = discountRatePerUnit(0.1, 'weeks');
    customers.forEach((customer, i) => {
      const prediction = predictions[i]!;
      const { frequency, recency, age } = customer;
      expect(
        relative(
          prediction.expectedPurchases,
          conditionalExpectedPurchases(bgNbd, frequency, recency, age, 52),
        ),
      ).toBeLessThan(1e-12);
      const slow = customerLifetimeValueByStep(bgNbd, customer, prediction.expectedAverageSpend, 52, rate);
      expect(Math.abs(prediction.clv - slow)).toBeLessThanOrEqual(1e-12 * slow + 1e-15);
    });
  });
});
