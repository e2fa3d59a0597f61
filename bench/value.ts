// Customer value: fit BG/NBD + Gamma-Gamma and score every customer (P(alive), expected
// purchases, expected spend, CLV) on 100k and 1M simulated customers. The baseline is a plain
// loop computing the same closed-form quantities with the parameters already known, so the
// ratio shows what Rapport's scoring costs over the bare formulas, step by step with stdlib's
// hyp2f1 as first written (the fit has no baseline: it is reported as time).
import hyp2f1 from '@stdlib/math-base-special-hyp2f1';
import { toBgNbdData } from '../src/value/bgnbd.ts';
import { churnFeatureVector, churnRisk, fitChurnModel } from '../src/value/churn.ts';
import { predictCustomers } from '../src/value/clv.ts';
import { compressRows } from '../src/value/compress.ts';
import { fitValueModels } from '../src/value/fit.ts';
import { simulateBgNbdCustomers, summariseSimulatedCustomer } from '../src/value/simulate.ts';
import { DEFAULT_PLANTED_CHURN, simulateSubscribers } from '../src/value/simulate-churn.ts';
import type { CustomerSummary } from '../src/value/summary.ts';
import { scoreValue, type ValueDimension } from '../src/value/value-model.ts';

const PLANTED = { bgNbd: { r: 0.25, alpha: 4, a: 0.8, b: 2.5 }, gammaGamma: { p: 6, q: 4, gamma: 15 } };
// Weeks; one year ahead, 10% a year.
const HORIZON = 52;
const ANNUAL_DISCOUNT = 0.1;

// `npm run bench -- value [clv|churn|score]`: all three parts by default.
export default async function run(args: string[] = []): Promise<void> {
  console.log(`node ${process.version}, ${process.platform}/${process.arch}`);
  const parts = args.length > 0 ? args : ['clv', 'churn', 'score'];
  if (parts.includes('clv')) for (const n of [100_000, 1_000_000]) bench(n);
  if (parts.includes('churn')) benchChurn(1_000_000);
  if (parts.includes('score')) benchValueScore(1_000_000);
}

/**
 * Churn: fit the logistic model on a million simulated subscribers (70% train, 30% held out,
 * AUC on both) and score them. Baseline = the planted logistic function applied in a plain
 * loop to the same feature vectors.
 */
function benchChurn(n: number): void {
  const subscribers = simulateSubscribers(n, 42);
  const fitStart = performance.now();
  const result = fitChurnModel(subscribers);
  const fitMs = performance.now() - fitStart;
  const model = result.model!;
  const scoreStart = performance.now();
  let total = 0;
  for (const subscriber of subscribers) total += churnRisk(result, subscriber.signals)!;
  const scoreMs = performance.now() - scoreStart;
  const baselineStart = performance.now();
  let baseline = 0;
  const { intercept, coefficients } = DEFAULT_PLANTED_CHURN;
  for (const subscriber of subscribers) {
    const features = churnFeatureVector(subscriber.signals);
    let z = intercept;
    for (let j = 0; j < features.length; j++) z += coefficients[j]! * features[j]!;
    baseline += 1 / (1 + Math.exp(-z));
  }
  const baselineMs = performance.now() - baselineStart;
  console.log(
    [
      `churn, ${n.toLocaleString('en')} subscribers: fit ${(fitMs / 1000).toFixed(2)} s (${model.fit.iterations} Newton steps, held-out AUC ${model.heldOutAuc!.toFixed(4)}, training AUC ${model.trainingAuc!.toFixed(4)})`,
      `scoring ${(scoreMs / 1000).toFixed(2)} s (${((n / scoreMs) * 1000).toFixed(0)}/s)`,
      `baseline loop ${(baselineMs / 1000).toFixed(2)} s, ratio scoring/baseline ${(scoreMs / baselineMs).toFixed(2)}`,
      `check: mean risk ${(total / n).toFixed(4)} vs planted ${(baseline / n).toFixed(4)}`,
    ].join('\n  '),
  );
}

/**
 * Value score: six dimensions (rank-normalised, weighted), a rank and an explanation for a
 * million customers. Baseline = the weighted sum of the raw values and one sort, the least any
 * ranking must do.
 */
function benchValueScore(n: number): void {
  const random = mulberry32(7);
  const names = ['clv', 'advocacy', 'feedback', 'reference', 'loyalty', 'engagement'];
  const dimensions: ValueDimension[] = names.map((name, i) => ({
    name,
    weight: [0.4, 0.2, 0.1, 0.1, 0.1, 0.1][i]!,
    normalise: 'rank',
  }));
  const customers = Array.from({ length: n }, (_, i) => ({
    profileId: `p${i}`,
    values: {
      clv: random() * 500,
      advocacy: Math.floor(random() * 3),
      feedback: random() < 0.05 ? 1 : 0,
      reference: random() < 0.01 ? 1 : 0,
      loyalty: random() * 700,
      engagement: Math.floor(random() * 30),
    },
  }));
  const start = performance.now();
  const scores = scoreValue(customers, dimensions);
  const ms = performance.now() - start;
  // The refresh writes every customer's explanation on their profile: build them all.
  const explainStart = performance.now();
  let characters = 0;
  for (const score of scores) characters += score.explanation.length;
  const explainMs = performance.now() - explainStart;
  const baselineStart = performance.now();
  const sums = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const values = customers[i]!.values;
    sums[i] =
      0.4 * values.clv +
      0.2 * values.advocacy +
      0.1 * (values.feedback + values.reference + values.loyalty + values.engagement);
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => sums[b]! - sums[a]!);
  const baselineMs = performance.now() - baselineStart;
  console.log(
    [
      `value score, ${n.toLocaleString('en')} customers × ${names.length} dimensions: scores + ranks ${(ms / 1000).toFixed(2)} s, + every explanation ${(explainMs / 1000).toFixed(2)} s (${characters.toLocaleString('en')} characters)`,
      `baseline (weighted sum + one sort) ${(baselineMs / 1000).toFixed(2)} s, ratio ${(ms / baselineMs).toFixed(2)} (with explanations ${((ms + explainMs) / baselineMs).toFixed(2)})`,
      `check: ${scores.filter((score) => score.rank === 1).length} customer ranked 1st, baseline top ${order[0] !== undefined}`,
    ].join('\n  '),
  );
}

function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function bench(n: number): void {
  const customers = simulateBgNbdCustomers(PLANTED, n, 42).map(summariseSimulatedCustomer);
  // Rows left once customers with identical histories are grouped: the simulator's times are
  // continuous, real ones come in whole days; both are shown.
  const byDay = (weeks: number) => Math.round(weeks * 7) / 7;
  const rows = (list: readonly CustomerSummary[]) => ({
    fit: toBgNbdData(list).frequency.length,
    clv: compressRows([
      Float64Array.from(list, (customer) => customer.frequency),
      Float64Array.from(list, (customer) => customer.age),
    ]).weight.length,
  });
  const simulated = rows(customers);
  const daily = customers.map((customer) => ({
    ...customer,
    recency: byDay(customer.recency),
    age: byDay(customer.age),
  }));
  const inDays = rows(daily);
  console.log(
    `${n.toLocaleString('en')} customers: distinct (x, t_x, T) ${simulated.fit.toLocaleString('en')}, (x, T) ${simulated.clv.toLocaleString('en')}; with times in whole days ${inDays.fit.toLocaleString('en')} and ${inDays.clv.toLocaleString('en')}`,
  );
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

  // The same scoring on the same customers with times in whole days, as real data come:
  // customers sharing (x, T) share the costly part.
  const dailyStart = performance.now();
  predictCustomers(models.bgNbd.params, models.spend, daily, {
    horizon: HORIZON,
    annualDiscountRate: ANNUAL_DISCOUNT,
    unit: 'weeks',
  });
  const dailyMs = performance.now() - dailyStart;

  const total = predictions.reduce((sum, prediction) => sum + prediction.clv, 0);
  const { r, alpha, a, b } = models.bgNbd.params;
  console.log(
    [
      `${n.toLocaleString('en')} customers: fit ${(fitMs / 1000).toFixed(2)} s`,
      `(r ${r.toFixed(3)}, alpha ${alpha.toFixed(3)}, a ${a.toFixed(3)}, b ${b.toFixed(3)}; ${models.bgNbd.iterations} + ${models.gammaGamma?.iterations} iterations)`,
      `scoring ${(scoreMs / 1000).toFixed(2)} s (${((n / scoreMs) * 1000).toFixed(0)}/s)`,
      `baseline loop ${(baselineMs / 1000).toFixed(2)} s`,
      `ratio scoring/baseline ${(scoreMs / baselineMs).toFixed(2)}`,
      `scoring with times in whole days ${(dailyMs / 1000).toFixed(2)} s (${((n / dailyMs) * 1000).toFixed(0)}/s)`,
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
