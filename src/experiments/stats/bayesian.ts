// Bayesian comparison on the effect (gbstats' EffectBayesianABTest): the likelihood of the effect
// is normal with the delta-method variance; with the default improper flat prior the posterior is
// that likelihood, with a Gaussian prior the two are combined by precision.
import jStat from 'jstat';
import type { ArmSummary } from './aggregates.ts';
import { type DifferenceType, pointEstimate } from './difference.ts';

export interface GaussianPrior {
  mean: number;
  variance: number;
}

export interface BayesianOptions {
  difference: DifferenceType;
  alpha: number;
  /** Absent: the improper flat prior (the data alone speak). */
  prior?: GaussianPrior | undefined;
}

export interface BayesianResult {
  effect: number;
  /** The credible interval holding 1 − alpha of the posterior. */
  ci: [number, number];
  se: number;
  /** P(variant better than control). */
  chanceToWin: number;
  /** Expected loss of choosing [control, variant], in the effect's units. */
  risk: [number, number];
}

export function bayesianEffect(
  control: ArmSummary,
  variant: ArmSummary,
  options: BayesianOptions,
): BayesianResult {
  const likelihood = pointEstimate(control, variant, options.difference);
  const posterior = combine(likelihood, options.prior);
  const sd = Math.sqrt(posterior.variance);
  const z = jStat.normal.inv(1 - options.alpha / 2, 0, 1);
  return {
    effect: posterior.mean,
    ci: [posterior.mean - z * sd, posterior.mean + z * sd],
    se: sd,
    chanceToWin: jStat.normal.cdf(posterior.mean / sd, 0, 1),
    risk: normalRisk(posterior.mean, sd),
  };
}

function combine(
  likelihood: { effect: number; variance: number },
  prior: GaussianPrior | undefined,
): { mean: number; variance: number } {
  if (!prior) return { mean: likelihood.effect, variance: likelihood.variance };
  const precision = 1 / likelihood.variance + 1 / prior.variance;
  return {
    mean: (likelihood.effect / likelihood.variance + prior.mean / prior.variance) / precision,
    variance: 1 / precision,
  };
}

/**
 * Expected loss for an effect δ ~ N(m, s²): choosing the control loses E[max(δ, 0)], choosing
 * the variant loses E[max(−δ, 0)]. Closed forms of the normal's partial expectations.
 */
export function normalRisk(m: number, s: number): [number, number] {
  const z = m / s;
  const density = s * jStat.normal.pdf(z, 0, 1);
  return [m * jStat.normal.cdf(z, 0, 1) + density, -m * jStat.normal.cdf(-z, 0, 1) + density];
}
