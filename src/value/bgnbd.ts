// The BG/NBD model of Fader, Hardie & Lee (2005), "Counting your customers the easy way":
// while active a customer buys at a Poisson rate λ ~ Gamma(r, α); after each repeat purchase
// they drop out with probability p ~ Beta(a, b). Fitted by maximum likelihood on the
// customers' (x, t_x, T); everything is computed in log space so that customers with many
// purchases or long histories neither overflow nor lose precision.
import gammaln from '@stdlib/math-base-special-gammaln';
import hyp2f1 from '@stdlib/math-base-special-hyp2f1';
import { RapportError } from '../errors/index.ts';
import { type MaximumLikelihoodFit, maximiseLogLikelihood } from './optimise.ts';
import type { CustomerSummary } from './summary.ts';

export interface BgNbdParams {
  r: number;
  alpha: number;
  a: number;
  b: number;
}

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

/** Columnar copy of the summaries: the likelihood runs over it hundreds of times. */
export interface BgNbdData {
  frequency: Float64Array;
  recency: Float64Array;
  age: Float64Array;
  /** Number of customers with each frequency, index = x; the lgamma terms depend on x only. */
  frequencyCounts: Float64Array;
}

export function toBgNbdData(
  customers: readonly Pick<CustomerSummary, 'frequency' | 'recency' | 'age'>[],
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
  return { frequency, recency, age, frequencyCounts };
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
  const { frequency, recency, age } = data;
  for (let i = 0; i < frequency.length; i++) {
    const x = frequency[i]!;
    const stillActive = -(r + x) * Math.log(alpha + age[i]!);
    if (x === 0) {
      total += stillActive;
      continue;
    }
    const droppedOut = dropOutTerm[x]! - (r + x) * Math.log(alpha + recency[i]!);
    total += logAddExp(stillActive, droppedOut);
  }
  return total;
}

function logAddExp(left: number, right: number): number {
  const larger = Math.max(left, right);
  return larger + Math.log1p(Math.exp(Math.min(left, right) - larger));
}

/** Maximum likelihood fit. Throws RAPPORT_VALUE_FIT_FAILED when the data cannot support one. */
export function fitBgNbd(customers: readonly CustomerSummary[]): BgNbdFit {
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
  const data = toBgNbdData(customers);
  const fit = maximiseLogLikelihood(
    ([r, alpha, a, b]) => bgNbdLogLikelihood({ r: r!, alpha: alpha!, a: a!, b: b! }, data),
    customers.length,
    { names: BG_NBD_PARAM_NAMES, start: [1, meanOf(data.age) || 1, 1, 1] },
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

function meanOf(values: Float64Array): number {
  let sum = 0;
  for (const value of values) sum += value;
  return values.length > 0 ? sum / values.length : 0;
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
  const whileActive = ((a + b + x - 1) / (a - 1)) * (1 - survival);
  if (x === 0) return whileActive;
  const logOdds =
    Math.log(a) - Math.log(b + x - 1) + (r + x) * (Math.log(alpha + age) - Math.log(alpha + recency));
  return whileActive / (1 + Math.exp(logOdds));
}

/** E[repeat purchases in (0, t]] for a customer picked at random at their first purchase (FHL 2005, equation 9). */
export function expectedPurchasesFromStart(params: BgNbdParams, t: number): number {
  return conditionalExpectedPurchases(params, 0, 0, 0, t);
}
