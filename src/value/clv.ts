// Per-customer predictions from fitted models: P(alive), expected purchases over a horizon,
// expected spend per purchase and CLV, the discounted value of the purchases expected over
// the horizon.
import hyp2f1 from '@stdlib/math-base-special-hyp2f1';
import {
  type BgNbdParams,
  conditionalExpectedPurchases,
  probabilityAlive,
  whileActiveUntransformed,
} from './bgnbd.ts';
import { compressRows } from './compress.ts';
import { DAYS_PER_UNIT, type TimeUnit } from './dates.ts';
import { expectedAverageSpend, type GammaGammaParams } from './gamma-gamma.ts';
import type { CustomerSummary } from './summary.ts';

export interface ClvOptions {
  /** Horizon in units; 0 gives 0 expected purchases and a CLV of 0. */
  horizon: number;
  /** Annual discount rate (0.1 = 10% a year); converted to the unit. */
  annualDiscountRate: number;
  unit: TimeUnit;
}

export interface SpendModel {
  /** Absent when the Gamma-Gamma model could not be fitted (no repeat buyers). */
  params?: GammaGammaParams;
  /** Spend per purchase used where the model cannot give one (see expectedAverageSpend). */
  fallback: number;
}

export interface CustomerPrediction {
  customerId: string;
  frequency: number;
  recency: number;
  age: number;
  probabilityAlive: number;
  expectedPurchases: number;
  expectedAverageSpend: number;
  clv: number;
}

/** Discount rate per unit equivalent to an annual rate: (1 + d)^(unit days / 365.25) − 1. */
export function discountRatePerUnit(annualDiscountRate: number, unit: TimeUnit): number {
  return (1 + annualDiscountRate) ** (DAYS_PER_UNIT[unit] / 365.25) - 1;
}

/**
 * CLV over the horizon: the purchases expected in each unit-long step, times the expected
 * spend, discounted to today at the end of the step. A horizon that is not a whole number of
 * units ends with a shorter step.
 */
export function customerLifetimeValue(
  params: BgNbdParams,
  customer: Pick<CustomerSummary, 'frequency' | 'recency' | 'age'>,
  averageSpend: number,
  horizon: number,
  ratePerUnit: number,
): number {
  if (horizon <= 0) return 0;
  const scorer = new ClvScorer(params, horizon, ratePerUnit);
  const { frequency, recency, age } = customer;
  const steps = scorer.whileActive(frequency, age);
  return steps.discounted * averageSpend * probabilityAlive(params, frequency, recency, age);
}

/**
 * The same sum as `customerLifetimeValue`, step by step with FHL 2005 equation 10 for each
 * step end: the reference the fast path is tested against.
 */
export function customerLifetimeValueByStep(
  params: BgNbdParams,
  customer: Pick<CustomerSummary, 'frequency' | 'recency' | 'age'>,
  averageSpend: number,
  horizon: number,
  ratePerUnit: number,
): number {
  if (horizon <= 0) return 0;
  let value = 0;
  let previous = 0;
  const steps = Math.ceil(horizon);
  for (let step = 1; step <= steps; step++) {
    const end = Math.min(step, horizon);
    const cumulative = conditionalExpectedPurchases(
      params,
      customer.frequency,
      customer.recency,
      customer.age,
      end,
    );
    value += ((cumulative - previous) * averageSpend) / (1 + ratePerUnit) ** end;
    previous = cumulative;
  }
  return value;
}

// Equation 10 factors into P(alive | x, t_x, T) × W(x, T, t), where W, the purchases expected
// in (T, T + t] of someone still active, is ((a+b+x−1)/(a−1)) · (1 − (1−z)^(a−1) · ₂F₁(a+b−1−r,
// a−1; a+b+x−1; z)), z = t/(α+T+t) (see conditionalExpectedPurchases). The weekly CLV sum needs
// W at every step end; it depends on x and T only, so customers sharing (x, T) share it, and
// the series coefficients of ₂F₁ depend on x only, so they are computed once per x and each
// step's ₂F₁ is a plain sum of coefficient × z^n: the same power series stdlib's hyp2f1 sums
// for these arguments (Cephes: |z| ≤ 0.9), without its per-call checks and set-up.
const MAX_TERMS = 600;
/** Beyond this z (or when the series would lose digits) stdlib's hyp2f1 and its transformations take over. */
const SERIES_LIMIT = 0.9;

export class ClvScorer {
  private readonly r: number;
  private readonly alpha: number;
  private readonly a: number;
  private readonly b: number;
  private readonly stepEnds: Float64Array;
  private readonly discounts: Float64Array;
  private readonly series = new Map<number, Float64Array>();

  constructor(
    private readonly params: BgNbdParams,
    readonly horizon: number,
    ratePerUnit: number,
  ) {
    this.r = params.r;
    this.alpha = params.alpha;
    // As in conditionalExpectedPurchases: the formula divides by a − 1.
    this.a = Math.abs(params.a - 1) < 1e-7 ? 1 + 1e-7 : params.a;
    this.b = params.b;
    const steps = horizon > 0 ? Math.ceil(horizon) : 0;
    this.stepEnds = new Float64Array(steps);
    this.discounts = new Float64Array(steps);
    for (let step = 1; step <= steps; step++) {
      const end = Math.min(step, horizon);
      this.stepEnds[step - 1] = end;
      this.discounts[step - 1] = 1 / (1 + ratePerUnit) ** end;
    }
  }

  /**
   * For a customer still active with x repeat purchases at age T: `total` = W(x, T, horizon),
   * the purchases expected over the horizon, and `discounted` = Σ over steps of the purchases
   * expected in the step, discounted to today. Divide both by 1 + odds (i.e. multiply by
   * P(alive)) for the customer's expectation.
   */
  whileActive(x: number, age: number): { total: number; discounted: number } {
    const { a, b, r, alpha } = this;
    const scale = (a + b + x - 1) / (a - 1);
    const ratios = this.seriesFor(x);
    let previous = 0;
    let discounted = 0;
    for (let k = 0; k < this.stepEnds.length; k++) {
      const t = this.stepEnds[k]!;
      const z = t / (alpha + age + t);
      let series = z <= SERIES_LIMIT ? powerSeries(ratios, z) : Number.NaN;
      if (Number.isNaN(series)) series = hyp2f1(a + b - 1 - r, a - 1, a + b + x - 1, z);
      let cumulative = scale * (1 - Math.exp((a - 1) * Math.log1p(-z)) * series);
      // Huge a and b (see whileActiveUntransformed): the transformed form is 0 × ∞ there.
      if (!Number.isFinite(cumulative)) cumulative = whileActiveUntransformed(this.params, x, age, t);
      discounted += (cumulative - previous) * this.discounts[k]!;
      previous = cumulative;
    }
    return { total: previous, discounted };
  }

  /**
   * Ratios c_n / c_(n−1) of the coefficients of ₂F₁(A, B; C; z) = Σ c_n z^n, with
   * A = a+b−1−r, B = a−1, C = a+b+x−1; each term is the previous one × ratio × z (as Cephes
   * sums it), which stays finite where the coefficients themselves would overflow.
   */
  private seriesFor(x: number): Float64Array {
    const known = this.series.get(x);
    if (known) return known;
    const { a, b, r } = this;
    const A = a + b - 1 - r;
    const B = a - 1;
    const C = a + b + x - 1;
    const ratios = new Float64Array(MAX_TERMS);
    for (let n = 1; n < MAX_TERMS; n++) ratios[n] = ((A + n - 1) * (B + n - 1)) / ((C + n - 1) * n);
    this.series.set(x, ratios);
    return ratios;
  }
}

/**
 * Σ c_n z^n, stopped once the terms left cannot change the sum in double precision (past the
 * point where |ratio| × z < 1 the ratios tend to 1 monotonically, so the tail is bounded by a
 * geometric series). NaN when the series has not converged within the table or has lost
 * digits to cancellation: the caller then asks stdlib's hyp2f1.
 */
function powerSeries(ratios: Float64Array, z: number): number {
  let sum = 1;
  let term = 1;
  let largest = 1;
  // Four terms at a time, then the test: a few terms past the point the sum stops changing
  // cost less than testing after every one.
  for (let n = 1; n + 3 < ratios.length; n += 4) {
    term *= ratios[n]! * z;
    sum += term;
    largest = Math.max(largest, Math.abs(term));
    term *= ratios[n + 1]! * z;
    sum += term;
    largest = Math.max(largest, Math.abs(term));
    term *= ratios[n + 2]! * z;
    sum += term;
    largest = Math.max(largest, Math.abs(term));
    term *= ratios[n + 3]! * z;
    sum += term;
    const size = Math.abs(term);
    largest = Math.max(largest, size);
    const shrink = ratios[n + 3]! * z;
    if (term === 0) return sum;
    if (Math.abs(shrink) < 1 && size <= 1e-17 * (1 - Math.abs(shrink)) * Math.abs(sum)) {
      return largest > 1e3 * Math.abs(sum) || !Number.isFinite(sum) ? Number.NaN : sum;
    }
  }
  return Number.NaN;
}

export function predictCustomer(
  bgNbd: BgNbdParams,
  spend: SpendModel,
  customer: CustomerSummary,
  options: ClvOptions,
): CustomerPrediction {
  return predictCustomers(bgNbd, spend, [customer], options)[0]!;
}

/**
 * Predictions for every customer. The purchases expected while active (the costly part: one
 * ₂F₁ per step) are computed once per distinct (x, T).
 */
export function predictCustomers(
  bgNbd: BgNbdParams,
  spend: SpendModel,
  customers: readonly CustomerSummary[],
  options: ClvOptions,
): CustomerPrediction[] {
  const ratePerUnit = discountRatePerUnit(options.annualDiscountRate, options.unit);
  const horizon = options.horizon;
  const n = customers.length;
  const frequency = new Float64Array(n);
  const age = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    frequency[i] = customers[i]!.frequency;
    age[i] = customers[i]!.age;
  }
  const { columns, rowOf } = compressRows([frequency, age]);
  const [distinctX, distinctT] = columns as [Float64Array, Float64Array];
  const rows = distinctX.length;
  const total = new Float64Array(rows);
  const discounted = new Float64Array(rows);
  if (horizon > 0) {
    const scorer = new ClvScorer(bgNbd, horizon, ratePerUnit);
    for (let row = 0; row < rows; row++) {
      const result = scorer.whileActive(distinctX[row]!, distinctT[row]!);
      total[row] = result.total;
      discounted[row] = result.discounted;
    }
  }
  return customers.map((customer, i) => {
    const { frequency: x, recency, age: T } = customer;
    const averageSpend = spend.params
      ? expectedAverageSpend(spend.params, x, customer.meanRepeatSpend, spend.fallback)
      : spend.fallback;
    const alive = probabilityAlive(bgNbd, x, recency, T);
    const row = rowOf[i]!;
    return {
      customerId: customer.customerId,
      frequency: x,
      recency,
      age: T,
      probabilityAlive: alive,
      expectedPurchases: horizon > 0 ? total[row]! * alive : 0,
      expectedAverageSpend: averageSpend,
      clv: horizon > 0 ? discounted[row]! * averageSpend * alive : 0,
    };
  });
}
