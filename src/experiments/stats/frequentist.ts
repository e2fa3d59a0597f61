// Frequentist comparisons: Welch's two-sided t-test and the always-valid (sequential) interval
// of Waudby-Smith et al. (arXiv 2103.06476v7, equations 9, 155 and 161), as gbstats computes them.
import jStat from 'jstat';
import type { ArmSummary } from './aggregates.ts';
import { type DifferenceType, pointEstimate, welchDegreesOfFreedom } from './difference.ts';

export interface FrequentistResult {
  effect: number;
  ci: [number, number];
  se: number;
  pValue: number;
  degreesOfFreedom: number;
}

export interface FrequentistOptions {
  difference: DifferenceType;
  alpha: number;
}

export function welchTTest(
  control: ArmSummary,
  variant: ArmSummary,
  options: FrequentistOptions,
): FrequentistResult {
  const { effect, variance } = pointEstimate(control, variant, options.difference);
  const se = Math.sqrt(variance);
  const dof = welchDegreesOfFreedom(control, variant);
  const t = effect / se;
  const width = jStat.studentt.inv(1 - options.alpha / 2, dof) * se;
  return {
    effect,
    ci: [effect - width, effect + width],
    se,
    pValue: clampProbability(2 * (1 - jStat.studentt.cdf(Math.abs(t), dof))),
    degreesOfFreedom: dof,
  };
}

export interface SequentialOptions extends FrequentistOptions {
  /** The total sample size the interval is tightest at (gbstats' default: 5000). */
  tuning: number;
}

export const DEFAULT_SEQUENTIAL_TUNING = 5000;

/**
 * An interval valid at every look: people may check results daily without inflating the
 * false-positive rate. Wider than the fixed-sample interval, tightest near n = tuning.
 */
export function sequentialTTest(
  control: ArmSummary,
  variant: ArmSummary,
  options: SequentialOptions,
): FrequentistResult {
  const { effect, variance } = pointEstimate(control, variant, options.difference);
  const total = control.n + variant.n;
  const rho2 = mixtureRhoSquared(options.alpha, options.tuning);
  const spread = total * rho2 + 1;
  const width =
    Math.sqrt(variance * total) *
    Math.sqrt(((2 * spread) / (total * total * rho2)) * Math.log(Math.sqrt(spread) / options.alpha));
  // The always-valid p-value is 1 / e-value (equation 155).
  const scaled = (effect * effect * total) / variance;
  const eValue = Math.exp((rho2 * scaled) / (2 * spread)) / Math.sqrt(spread);
  return {
    effect,
    ci: [effect - width, effect + width],
    se: Math.sqrt(variance),
    pValue: Math.min(1 / eValue, 1),
    degreesOfFreedom: welchDegreesOfFreedom(control, variant),
  };
}

/** ρ² of the normal mixture, chosen so the interval is tightest at n = tuning (equation 161). */
function mixtureRhoSquared(alpha: number, tuning: number): number {
  return (-2 * Math.log(alpha) + Math.log(-2 * Math.log(alpha) + 1)) / tuning;
}

function clampProbability(p: number): number {
  return Math.min(1, Math.max(0, p));
}
