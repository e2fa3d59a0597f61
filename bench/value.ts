// Customer value: fit BG/NBD + Gamma-Gamma and score every customer (P(alive), expected
// purchases, expected spend, CLV) on 100k and 1M simulated customers. The baseline is a plain
// loop computing the same closed-form quantities with the parameters already known, so the
// ratio shows what Rapport's scoring costs over the bare formulas (the fit has no baseline:
// it is reported as time).
import hyp2f1 from '@stdlib/math-base-special-hyp2f1';
import { predictCustomers } from '../src/value/clv.ts';
import { fitValueModels } from '../src/value/fit.ts';
import { simulateBgNbdCustomers, summariseSimulatedCustomer } from '../src/value/simulate.ts';
import type { CustomerSummary } from '../src/value/summary.ts';

const PLANTED = { bgNbd: { r: 0.25, alpha: 4, a: 0.8, b: 2.5 }, gammaGamma: { p: 6, q: 4, gamma: 15 } };
// Weeks; one year ahead, 10% a year.
const HORIZON = 52;
const ANNUAL_DISCOUNT = 0.1;

export default async function run(): Promise<void> {
  console.log(`node ${process.version}, ${process.platform}/${process.arch}`);
  for (const n of [100_000, 1_000_000]) bench(n);
}

function bench(n: number): void {
  const customers = simulateBgNbdCustomers(PLANTED, n, 42).map(summariseSimulatedCustomer);
  const fitStart = performance.now();
  const models = fitValueModels(customers);
  const fitMs = performance.now() - fitStart;

  const scoreStart = performance.now();
  const predictions = predictCustomers(models.bgNbd.params, models.spend, customers, {
    horizon: HORIZON,
    annualDiscountRate: ANNUAL_DISCOUNT,
    unit: 'weeks',
  });
  const scoreMs = performance.now() - scoreStart;

  const baselineStart = performance.now();
  const baselineTotal = baselineScores(customers);
  const baselineMs = performance.now() - baselineStart;

  const total = predictions.reduce((sum, prediction) => sum + prediction.clv, 0);
  const { r, alpha, a, b } = models.bgNbd.params;
  console.log(
    [
      `${n.toLocaleString('en')} customers: fit ${(fitMs / 1000).toFixed(2)} s`,
      `(r ${r.toFixed(3)}, alpha ${alpha.toFixed(3)}, a ${a.toFixed(3)}, b ${b.toFixed(3)}; ${models.bgNbd.iterations} + ${models.gammaGamma?.iterations} iterations)`,
      `scoring ${(scoreMs / 1000).toFixed(2)} s (${((n / scoreMs) * 1000).toFixed(0)}/s)`,
      `baseline loop ${(baselineMs / 1000).toFixed(2)} s`,
      `ratio scoring/baseline ${(scoreMs / baselineMs).toFixed(2)}`,
      `(fit+scoring)/baseline ${((fitMs + scoreMs) / baselineMs).toFixed(1)}`,
      `check: total CLV ${total.toFixed(0)} vs baseline ${baselineTotal.toFixed(0)}`,
    ].join('\n  '),
  );
}

/**
 * The same numbers as predictCustomers, written out inline with the planted parameters
 * (FHL 2005 eq. 10 via Euler's transformation; Gamma-Gamma conditional mean; weekly steps).
 */
function baselineScores(customers: readonly CustomerSummary[]): number {
  const { r, alpha, a, b } = PLANTED.bgNbd;
  const { p, q, gamma } = PLANTED.gammaGamma;
  const weekly = (1 + ANNUAL_DISCOUNT) ** (7 / 365.25) - 1;
  let totalClv = 0;
  let sink = 0;
  for (const { frequency: x, recency: tx, age: T, meanRepeatSpend: m } of customers) {
    const odds = x > 0 ? (a / (b + x - 1)) * ((alpha + T) / (alpha + tx)) ** (r + x) : 0;
    const alive = 1 / (1 + odds);
    const spend = (p * (gamma + x * m)) / (p * x + q - 1);
    let previous = 0;
    let clv = 0;
    for (let week = 1; week <= HORIZON; week++) {
      const z = week / (alpha + T + week);
      const cumulative =
        (((a + b + x - 1) / (a - 1)) *
          (1 - (1 - z) ** (a - 1) * hyp2f1(a + b - 1 - r, a - 1, a + b + x - 1, z))) /
        (1 + odds);
      clv += ((cumulative - previous) * spend) / (1 + weekly) ** week;
      previous = cumulative;
    }
    sink += alive + previous;
    totalClv += clv;
  }
  if (Number.isNaN(sink)) throw new Error('baseline produced NaN');
  return totalClv;
}
