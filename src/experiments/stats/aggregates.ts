// An arm's metric as gbstats takes it: the people counted (n), the sum of their values and the
// sum of their squares. Everything else (mean, variance, the CUPED-adjusted mean) follows from
// these three numbers, so results can be computed from a query's aggregates alone.

export type MetricType = 'proportion' | 'mean';

export interface ArmTotals {
  n: number;
  sum: number;
  /** Σ value². For a proportion (values 0 or 1) it equals sum and may be left out. */
  sumSquares?: number;
}

/** The pre-exposure covariate of CUPED: the same metric (or another) measured before exposure. */
export interface CovariateTotals {
  pre: { sum: number; sumSquares: number };
  /** Σ value × pre-value over the arm's people. */
  sumProducts: number;
}

/** What the tests need of an arm: its mean, its per-person variance and its size. */
export interface ArmSummary {
  n: number;
  mean: number;
  variance: number;
  /** The mean before CUPED's adjustment; relative differences divide by the control's. */
  unadjustedMean: number;
}

export function mean(totals: ArmTotals): number {
  return totals.n > 0 ? totals.sum / totals.n : 0;
}

/**
 * A proportion's variance is p(1-p) (gbstats' ProportionStatistic); a mean's is the sample
 * variance with n-1.
 */
export function variance(type: MetricType, totals: ArmTotals): number {
  if (totals.n <= 1) return 0;
  if (type === 'proportion') {
    const p = mean(totals);
    return p * (1 - p);
  }
  const squares = totals.sumSquares ?? totals.sum;
  return (squares - (totals.sum * totals.sum) / totals.n) / (totals.n - 1);
}

export function summarise(type: MetricType, totals: ArmTotals): ArmSummary {
  const m = mean(totals);
  return { n: totals.n, mean: m, variance: variance(type, totals), unadjustedMean: m };
}

function covariance(n: number, sumX: number, sumY: number, sumProducts: number): number {
  return n > 1 ? (sumProducts - (sumX * sumY) / n) / (n - 1) : 0;
}

function preVariance(n: number, pre: CovariateTotals['pre']): number {
  return n > 1 ? (pre.sumSquares - (pre.sum * pre.sum) / n) / (n - 1) : 0;
}

/**
 * CUPED's θ from both arms pooled (as gbstats' compute_theta): cov(post, pre) / var(pre).
 * Pooling keeps θ the same for every arm, so the adjustment cannot create a difference.
 */
export function pooledTheta(
  type: MetricType,
  arms: readonly { totals: ArmTotals; covariate: CovariateTotals }[],
): number {
  const joint = arms.reduce(
    (sum, { totals, covariate }) => ({
      n: sum.n + totals.n,
      sum: sum.sum + totals.sum,
      sumSquares: sum.sumSquares + (totals.sumSquares ?? totals.sum),
      preSum: sum.preSum + covariate.pre.sum,
      preSquares: sum.preSquares + covariate.pre.sumSquares,
      products: sum.products + covariate.sumProducts,
    }),
    { n: 0, sum: 0, sumSquares: 0, preSum: 0, preSquares: 0, products: 0 },
  );
  const postVariance = variance(type, joint);
  const covariateVariance = preVariance(joint.n, { sum: joint.preSum, sumSquares: joint.preSquares });
  if (postVariance <= 0 || covariateVariance <= 0) return 0;
  return covariance(joint.n, joint.sum, joint.preSum, joint.products) / covariateVariance;
}

/** The arm's mean and variance of (value − θ·pre-value): CUPED's adjusted metric. */
export function summariseAdjusted(
  type: MetricType,
  totals: ArmTotals,
  covariate: CovariateTotals,
  theta: number,
): ArmSummary {
  const post = summarise(type, totals);
  const preMean = totals.n > 0 ? covariate.pre.sum / totals.n : 0;
  const varPre = preVariance(totals.n, covariate.pre);
  const cov = covariance(totals.n, totals.sum, covariate.pre.sum, covariate.sumProducts);
  return {
    n: totals.n,
    mean: post.mean - theta * preMean,
    variance: post.variance + theta * theta * varPre - 2 * theta * cov,
    unadjustedMean: post.mean,
  };
}
