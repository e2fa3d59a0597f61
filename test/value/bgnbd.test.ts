import gammaln from '@stdlib/math-base-special-gammaln';
import hyp2f1 from '@stdlib/math-base-special-hyp2f1';
import { describe, expect, it } from 'vitest';
import {
  type BgNbdParams,
  bgNbdLogLikelihood,
  conditionalExpectedPurchases,
  fitBgNbd,
  probabilityAlive,
  toBgNbdData,
} from '../../src/value/bgnbd.ts';
import type { CustomerSummary } from '../../src/value/summary.ts';

const cdnowLike: BgNbdParams = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };

/** FHL 2005 equation 10 as printed, with no rearrangement (overflows for large x). */
function equation10(params: BgNbdParams, x: number, tx: number, T: number, t: number): number {
  const { r, alpha, a, b } = params;
  const ratio = ((alpha + T) / (alpha + T + t)) ** (r + x);
  const numerator =
    ((a + b + x - 1) / (a - 1)) * (1 - ratio * hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t)));
  const odds = x > 0 ? (a / (b + x - 1)) * ((alpha + T) / (alpha + tx)) ** (r + x) : 0;
  return numerator / (1 + odds);
}

/** FHL 2005 equation 6 for one customer, computed directly. */
function equation6(params: BgNbdParams, x: number, tx: number, T: number): number {
  const { r, alpha, a, b } = params;
  const beta = (p: number, q: number) => Math.exp(gammaln(p) + gammaln(q) - gammaln(p + q));
  const common = (Math.exp(gammaln(r + x) - gammaln(r)) * alpha ** r) / beta(a, b);
  const active = (beta(a, b + x) / (alpha + T) ** (r + x)) * common;
  const dropped = x > 0 ? (beta(a + 1, b + x - 1) / (alpha + tx) ** (r + x)) * common : 0;
  return Math.log(active + dropped);
}

describe('BG/NBD formulas', () => {
  it('computes the log-likelihood of equation 6', () => {
    const histories: [number, number, number][] = [
      [0, 0, 38.86],
      [2, 30.43, 38.86],
      [1, 1.71, 20],
      [7, 35, 39],
    ];
    const data = toBgNbdData(histories.map(([frequency, recency, age]) => ({ frequency, recency, age })));
    const expected = histories.reduce((sum, [x, tx, T]) => sum + equation6(cdnowLike, x, tx, T), 0);
    expect(bgNbdLogLikelihood(cdnowLike, data)).toBeCloseTo(expected, 9);
  });

  it('computes conditional expected purchases as equation 10, in a form that does not overflow', () => {
    for (const [x, tx, T, t] of [
      [0, 0, 38.86, 39],
      [2, 30.43, 38.86, 39],
      [5, 10, 30, 52],
      [20, 36, 38, 10],
      [150, 38.9, 39, 52],
    ] as const) {
      const expected = equation10(cdnowLike, x, tx, T, t);
      const ours = conditionalExpectedPurchases(cdnowLike, x, tx, T, t);
      expect(Math.abs(ours - expected) / expected, `x=${x}`).toBeLessThan(1e-9);
    }
    expect(Number.isFinite(equation10(cdnowLike, 2000, 39, 39, 52))).toBe(false);
    // Someone who bought on 2000 days in 39 weeks, last seen today, buys ~51 times a week
    // while active; a year ahead the expectation stays in the thousands.
    const heavyBuyer = conditionalExpectedPurchases(cdnowLike, 2000, 39, 39, 52);
    expect(heavyBuyer).toBeGreaterThan(1000);
    expect(heavyBuyer).toBeLessThan(2000 * (52 / 39));
    // The same buyer silent for the last week (51 purchases missed) has almost surely left.
    expect(conditionalExpectedPurchases(cdnowLike, 2000, 38, 39, 52)).toBeLessThan(1e-6);
  });

  it('stays finite when the fit runs a and b off to huge values (a drop-out probability that hardly varies)', () => {
    // Fitted on a simulated shop: a and b "ran off towards infinity" with a/(a+b) ≈ 0.37. The
    // transformed form is then 0 × ∞; equation 10 as printed is fine, and so must we be.
    const runaway: BgNbdParams = { r: 0.2678, alpha: 5.075, a: 580198.4, b: 995742.0 };
    for (const [x, tx, T, t] of [
      [0, 0, 10, 52],
      [2, 10, 20, 52],
      [5, 30, 40, 52],
      [12, 40, 41, 26],
    ] as const) {
      const expected = equation10(runaway, x, tx, T, t);
      expect(Number.isFinite(expected)).toBe(true);
      const ours = conditionalExpectedPurchases(runaway, x, tx, T, t);
      expect(Math.abs(ours - expected) / expected, `x=${x}`).toBeLessThan(1e-9);
      // And it approaches the same model with a and b a hundred times smaller (same a/(a+b)).
      const smaller = conditionalExpectedPurchases(
        { ...runaway, a: runaway.a / 100, b: runaway.b / 100 },
        x,
        tx,
        T,
        t,
      );
      expect(Math.abs(ours - smaller) / ours, `x=${x}`).toBeLessThan(0.01);
    }
  });

  it('gives zero purchases over a zero horizon, and more over a longer one', () => {
    expect(conditionalExpectedPurchases(cdnowLike, 2, 30, 38, 0)).toBe(0);
    const one = conditionalExpectedPurchases(cdnowLike, 2, 30, 38, 10);
    expect(conditionalExpectedPurchases(cdnowLike, 2, 30, 38, 20)).toBeGreaterThan(one);
  });

  it('P(alive) is 1 without repeat purchases and falls as the last purchase recedes', () => {
    expect(probabilityAlive(cdnowLike, 0, 0, 38)).toBe(1);
    const recent = probabilityAlive(cdnowLike, 3, 37, 38);
    const lapsed = probabilityAlive(cdnowLike, 3, 5, 38);
    expect(recent).toBeGreaterThan(lapsed);
    const { r, alpha, a, b } = cdnowLike;
    expect(lapsed).toBeCloseTo(1 / (1 + (a / (b + 3 - 1)) * ((alpha + 38) / (alpha + 5)) ** (r + 3)), 12);
  });
});

describe('fitBgNbd on awkward data', () => {
  const customer = (frequency: number, recency: number, age: number): CustomerSummary => ({
    customerId: `${frequency}-${recency}-${age}-${Math.random()}`,
    frequency,
    recency,
    age,
    meanRepeatSpend: frequency > 0 ? 10 : 0,
    holdoutPurchases: 0,
  });

  it('refuses to fit when nobody bought twice, saying why', () => {
    expect(() => fitBgNbd([customer(0, 0, 10), customer(0, 0, 20)])).toThrow(
      /none of the 2 customers made a repeat purchase/,
    );
  });

  it('refuses to fit with no customers', () => {
    expect(() => fitBgNbd([])).toThrow(/no customers/);
  });

  it('fits identical customers but warns and returns finite numbers', () => {
    const fit = fitBgNbd(Array.from({ length: 50 }, () => customer(2, 5, 10)));
    expect(fit.warnings[0]).toMatch(/all 50 customers have the same history/);
    for (const value of Object.values(fit.params)) expect(Number.isFinite(value)).toBe(true);
    for (const value of Object.values(fit.standardErrors))
      expect(value === null || Number.isFinite(value)).toBe(true);
    expect(Number.isFinite(fit.logLikelihood)).toBe(true);
  });
});
