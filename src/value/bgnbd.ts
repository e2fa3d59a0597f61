// The BG/NBD model of Fader, Hardie & Lee (2005), "Counting your customers the easy way":
// while active a customer buys at a Poisson rate λ ~ Gamma(r, α); after each repeat purchase
// they drop out with probability p ~ Beta(a, b). Fitted by maximum likelihood on the
// customers' (x, t_x, T); everything is computed in log space so that customers with many
// purchases or long histories neither overflow nor lose precision.
import digamma from '@stdlib/math-base-special-digamma';
import gammaln from '@stdlib/math-base-special-gammaln';
import hyp2f1 from '@stdlib/math-base-special-hyp2f1';
import { RapportError } from '../errors/index.ts';
import { compressRows } from './compress.ts';
import { type MaximumLikelihoodFit, maximiseLogLikelihood } from './optimise.ts';
import type { CustomerSummary } from './summary.ts';

export type BgNbdParams = {
  r: number;
  alpha: number;
  a: number;
  b: number;
};

export const BG_NBD_PARAM_NAMES = ['r', 'alpha', 'a', 'b'] as const;

export interface BgNbdFit {
  params: BgNbdParams;
  standardErrors: Record<keyof BgNbdParams, number | null>;
  logLikelihood: number;
  customers: number;
  repeatBuyers: number;
  iterations: number;
  converged: boolean;
  warnings: string[];
}

/**
 * Columnar copy of the summaries: the likelihood runs over it hundreds of times. Customers
 * with the same (x, t_x, T) are one row weighted by their number (exact: they add the same
 * term), unless `compress: false` is asked for.
 */
export interface BgNbdData {
  frequency: Float64Array;
  recency: Float64Array;
  age: Float64Array;
  /** Number of customers in each row. */
  weight: Float64Array;
  /** Number of customers with each frequency, index = x; the lgamma terms depend on x only. */
  frequencyCounts: Float64Array;
}

export function toBgNbdData(
  customers: readonly Pick<CustomerSummary, 'frequency' | 'recency' | 'age'>[],
  options: { compress?: boolean } = {},
): BgNbdData {
  const n = customers.length;
  const frequency = new Float64Array(n);
  const recency = new Float64Array(n);
  const age = new Float64Array(n);
  let maxFrequency = 0;
  for (let i = 0; i < n; i++) {
    const customer = customers[i]!;
    frequency[i] = customer.frequency;
    recency[i] = customer.recency;
    age[i] = customer.age;
    if (customer.frequency > maxFrequency) maxFrequency = customer.frequency;
  }
  const frequencyCounts = new Float64Array(maxFrequency + 1);
  for (let i = 0; i < n; i++) frequencyCounts[frequency[i]!]! += 1;
  if (options.compress === false) {
    return { frequency, recency, age, weight: new Float64Array(n).fill(1), frequencyCounts };
  }
  const { columns, weight } = compressRows([frequency, recency, age]);
  const [x, tx, T] = columns as [Float64Array, Float64Array, Float64Array];
  return { frequency: x, recency: tx, age: T, weight, frequencyCounts };
}

/** Sum over customers of log L(r, α, a, b | x, t_x, T) (FHL 2005, equation 6). */
export function bgNbdLogLikelihood(params: BgNbdParams, data: BgNbdData): number {
  const { r, alpha, a, b } = params;
  const counts = data.frequencyCounts;
  // Terms that depend on x only: Γ(r+x)α^r/Γ(r) · B(a, b+x)/B(a, b), and log(a/(b+x-1)).
  const dropOutTerm = new Float64Array(counts.length);
  let total = 0;
  const constant = r * Math.log(alpha) - gammaln(r) + gammaln(a + b) - gammaln(b);
  for (let x = 0; x < counts.length; x++) {
    if (x > 0) dropOutTerm[x] = Math.log(a) - Math.log(b + x - 1);
    const count = counts[x]!;
    if (count === 0) continue;
    total += count * (constant + gammaln(r + x) + gammaln(b + x) - gammaln(a + b + x));
  }
  const { frequency, recency, age, weight } = data;
  for (let i = 0; i < frequency.length; i++) {
    const x = frequency[i]!;
    const stillActive = -(r + x) * Math.log(alpha + age[i]!);
    if (x === 0) {
      total += weight[i]! * stillActive;
      continue;
    }
    const droppedOut = dropOutTerm[x]! - (r + x) * Math.log(alpha + recency[i]!);
    total += weight[i]! * logAddExp(stillActive, droppedOut);
  }
  return total;
}

/**
 * The log-likelihood and, in `gradient`, its derivatives with respect to (r, α, a, b).
 * Per customer log L = G(x) + r log α + log(e^S + e^D), where G holds the lgamma terms
 * (they differentiate to digammas), S = −(r+x) log(α+T) is "still active" and
 * D = log a − log(b+x−1) − (r+x) log(α+t_x) "dropped out" (only for x > 0). The log-sum-exp
 * differentiates to w_S ∇S + w_D ∇D with w_S = e^S / (e^S + e^D), w_D = 1 − w_S.
 */
export function bgNbdLogLikelihoodGradient(params: BgNbdParams, data: BgNbdData, gradient: number[]): number {
  const { r, alpha, a, b } = params;
  const counts = data.frequencyCounts;
  const logA = Math.log(a);
  const dropOutTerm = new Float64Array(counts.length);
  const dropOutDb = new Float64Array(counts.length);
  let total = 0;
  let gr = 0;
  let gAlpha = 0;
  let ga = 0;
  let gb = 0;
  const constant = r * Math.log(alpha) - gammaln(r) + gammaln(a + b) - gammaln(b);
  const constantDr = Math.log(alpha) - digamma(r);
  const constantDab = digamma(a + b);
  const constantDb = constantDab - digamma(b);
  for (let x = 0; x < counts.length; x++) {
    if (x > 0) {
      dropOutTerm[x] = logA - Math.log(b + x - 1);
      dropOutDb[x] = -1 / (b + x - 1);
    }
    const count = counts[x]!;
    if (count === 0) continue;
    total += count * (constant + gammaln(r + x) + gammaln(b + x) - gammaln(a + b + x));
    const digammaABX = digamma(a + b + x);
    gr += count * (constantDr + digamma(r + x));
    gAlpha += (count * r) / alpha;
    ga += count * (constantDab - digammaABX);
    gb += count * (constantDb + digamma(b + x) - digammaABX);
  }
  const { frequency, recency, age, weight } = data;
  for (let i = 0; i < frequency.length; i++) {
    const x = frequency[i]!;
    const w = weight[i]!;
    const logActive = Math.log(alpha + age[i]!);
    const stillActive = -(r + x) * logActive;
    const dActiveDAlpha = -(r + x) / (alpha + age[i]!);
    if (x === 0) {
      total += w * stillActive;
      gr -= w * logActive;
      gAlpha += w * dActiveDAlpha;
      continue;
    }
    const logDropped = Math.log(alpha + recency[i]!);
    const droppedOut = dropOutTerm[x]! - (r + x) * logDropped;
    const larger = Math.max(stillActive, droppedOut);
    const activeExp = Math.exp(stillActive - larger);
    const droppedExp = Math.exp(droppedOut - larger);
    const sum = activeExp + droppedExp;
    total += w * (larger + Math.log(sum));
    const wActive = (w * activeExp) / sum;
    const wDropped = (w * droppedExp) / sum;
    gr -= wActive * logActive + wDropped * logDropped;
    gAlpha += wActive * dActiveDAlpha - (wDropped * (r + x)) / (alpha + recency[i]!);
    ga += wDropped / a;
    gb += wDropped * dropOutDb[x]!;
  }
  gradient[0] = gr;
  gradient[1] = gAlpha;
  gradient[2] = ga;
  gradient[3] = gb;
  return total;
}

function logAddExp(left: number, right: number): number {
  const larger = Math.max(left, right);
  return larger + Math.log1p(Math.exp(Math.min(left, right) - larger));
}

/**
 * How to fit; the defaults are the fast paths, which give the same answer (the tests check
 * it): customers with identical histories as weighted rows, and the analytic gradient.
 */
export interface FitOptions {
  compress?: boolean;
  analyticGradient?: boolean;
}

/** Maximum likelihood fit. Throws RAPPORT_VALUE_FIT_FAILED when the data cannot support one. */
export function fitBgNbd(customers: readonly CustomerSummary[], options: FitOptions = {}): BgNbdFit {
  if (customers.length === 0) {
    throw new RapportError('RAPPORT_VALUE_FIT_FAILED', 'BG/NBD cannot be fitted: there are no customers');
  }
  const repeatBuyers = customers.filter((customer) => customer.frequency > 0).length;
  if (repeatBuyers === 0) {
    throw new RapportError(
      'RAPPORT_VALUE_FIT_FAILED',
      `BG/NBD cannot be fitted: none of the ${customers.length} customers made a repeat purchase in the calibration period, so nothing tells the model how often people buy again`,
      { customers: customers.length },
    );
  }
  if (customers.every((customer) => customer.age <= 0)) {
    throw new RapportError(
      'RAPPORT_VALUE_FIT_FAILED',
      'BG/NBD cannot be fitted: every customer made their first purchase on the calibration end day, so none has been observed for any time',
    );
  }
  const data = toBgNbdData(customers, { compress: options.compress });
  const fit = maximiseLogLikelihood(
    ([r, alpha, a, b]) => bgNbdLogLikelihood({ r: r!, alpha: alpha!, a: a!, b: b! }, data),
    customers.length,
    {
      names: BG_NBD_PARAM_NAMES,
      start: [1, meanAge(data) || 1, 1, 1],
      valueAndGradient:
        options.analyticGradient === false
          ? undefined
          : ([r, alpha, a, b], gradient) =>
              bgNbdLogLikelihoodGradient({ r: r!, alpha: alpha!, a: a!, b: b! }, data, gradient),
    },
  );
  return toBgNbdFit(fit, customers, repeatBuyers);
}

function toBgNbdFit(
  fit: MaximumLikelihoodFit,
  customers: readonly CustomerSummary[],
  repeatBuyers: number,
): BgNbdFit {
  const [r, alpha, a, b] = fit.params as [number, number, number, number];
  const [seR, seAlpha, seA, seB] = fit.standardErrors as [
    number | null,
    number | null,
    number | null,
    number | null,
  ];
  const warnings = [...fit.warnings];
  if (allIdentical(customers)) {
    warnings.unshift(
      `all ${customers.length} customers have the same history (x, t_x, T): the model cannot tell how purchase rates and drop-out vary between people, so treat the parameters as arbitrary`,
    );
  }
  if (!Number.isFinite(fit.logLikelihood)) {
    throw new RapportError('RAPPORT_VALUE_FIT_FAILED', 'BG/NBD fit failed: the log-likelihood is not finite');
  }
  return {
    params: { r, alpha, a, b },
    standardErrors: { r: seR, alpha: seAlpha, a: seA, b: seB },
    logLikelihood: fit.logLikelihood,
    customers: customers.length,
    repeatBuyers,
    iterations: fit.iterations,
    converged: fit.converged,
    warnings,
  };
}

function allIdentical(customers: readonly CustomerSummary[]): boolean {
  const first = customers[0]!;
  return (
    customers.length > 1 &&
    customers.every(
      (customer) =>
        customer.frequency === first.frequency &&
        customer.recency === first.recency &&
        customer.age === first.age,
    )
  );
}

function meanAge(data: BgNbdData): number {
  let sum = 0;
  let count = 0;
  for (let i = 0; i < data.age.length; i++) {
    sum += data.weight[i]! * data.age[i]!;
    count += data.weight[i]!;
  }
  return count > 0 ? sum / count : 0;
}

/** P(customer is still active at T | x, t_x, T); 1 for a customer with no repeat purchase. */
export function probabilityAlive(
  params: BgNbdParams,
  frequency: number,
  recency: number,
  age: number,
): number {
  if (frequency === 0) return 1;
  const { r, alpha, a, b } = params;
  const logOdds =
    Math.log(a) -
    Math.log(b + frequency - 1) +
    (r + frequency) * (Math.log(alpha + age) - Math.log(alpha + recency));
  return 1 / (1 + Math.exp(logOdds));
}

/**
 * E[purchases in (T, T + horizon] | x, t_x, T] (FHL 2005, equation 10), 0 for a zero horizon.
 * Equation 10's ((α+T)/(α+T+t))^(r+x) · ₂F₁(r+x, b+x; a+b+x−1; z) overflows for frequent
 * buyers; Euler's transformation turns it into (1−z)^(a−1) · ₂F₁(a+b−1−r, a−1; a+b+x−1; z),
 * whose terms stay small whatever x is.
 */
export function conditionalExpectedPurchases(
  params: BgNbdParams,
  frequency: number,
  recency: number,
  age: number,
  horizon: number,
): number {
  if (horizon <= 0) return 0;
  const { r, alpha } = params;
  // The formula divides by a − 1; at a = 1 it has a finite limit, taken here by nudging a.
  const a = Math.abs(params.a - 1) < 1e-7 ? 1 + 1e-7 : params.a;
  const b = params.b;
  const x = frequency;
  const z = horizon / (alpha + age + horizon);
  const survival = Math.exp((a - 1) * Math.log1p(-z)) * hyp2f1(a + b - 1 - r, a - 1, a + b + x - 1, z);
  let whileActive = ((a + b + x - 1) / (a - 1)) * (1 - survival);
  if (!Number.isFinite(whileActive)) whileActive = whileActiveUntransformed(params, x, age, horizon);
  if (x === 0) return whileActive;
  const logOdds =
    Math.log(a) - Math.log(b + x - 1) + (r + x) * (Math.log(alpha + age) - Math.log(alpha + recency));
  return whileActive / (1 + Math.exp(logOdds));
}

/**
 * The purchases expected in (T, T + t] of a customer still active, in equation 10's own form:
 * ((a+b+x−1)/(a−1)) · (1 − ((α+T)/(α+T+t))^(r+x) · ₂F₁(r+x, b+x; a+b+x−1; z)). Used where the
 * Euler-transformed form fails: when the fit runs a and b off to huge values (a drop-out
 * probability that hardly varies between customers), (1−z)^(a−1) underflows to 0 while its
 * ₂F₁(a+b−1−r, a−1; …) overflows, but this ₂F₁ stays close to (1 − b z/(a+b))^−(r+x).
 */
export function whileActiveUntransformed(params: BgNbdParams, x: number, age: number, t: number): number {
  const { r, alpha, b } = params;
  const a = Math.abs(params.a - 1) < 1e-7 ? 1 + 1e-7 : params.a;
  const z = t / (alpha + age + t);
  const head = Math.exp((r + x) * (Math.log(alpha + age) - Math.log(alpha + age + t)));
  return ((a + b + x - 1) / (a - 1)) * (1 - head * hyp2f1(r + x, b + x, a + b + x - 1, z));
}

/** E[repeat purchases in (0, t]] for a customer picked at random at their first purchase (FHL 2005, equation 9). */
export function expectedPurchasesFromStart(params: BgNbdParams, t: number): number {
  return conditionalExpectedPurchases(params, 0, 0, 0, t);
}
