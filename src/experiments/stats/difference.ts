// The difference between a variant and the control, and its variance, shared by every engine.
// Relative differences use the delta method (gbstats' frequentist_variance with relative=True).
import type { ArmSummary } from './aggregates.ts';

export type DifferenceType = 'relative' | 'absolute';

export interface PointEstimate {
  effect: number;
  /** The variance of the effect (not of one person's value). */
  variance: number;
}

export function pointEstimate(
  control: ArmSummary,
  variant: ArmSummary,
  difference: DifferenceType,
): PointEstimate {
  if (difference === 'absolute') {
    return {
      effect: variant.mean - control.mean,
      variance: variant.variance / variant.n + control.variance / control.n,
    };
  }
  const base = control.unadjustedMean;
  return {
    effect: (variant.mean - control.mean) / base,
    variance:
      variant.variance / (base ** 2 * variant.n) +
      (control.variance * variant.unadjustedMean ** 2) / (base ** 4 * control.n),
  };
}

/** Welch–Satterthwaite degrees of freedom for two arms of unequal variance. */
export function welchDegreesOfFreedom(control: ArmSummary, variant: ArmSummary): number {
  const a = control.variance / control.n;
  const b = variant.variance / variant.n;
  return (a + b) ** 2 / (a ** 2 / (control.n - 1) + b ** 2 / (variant.n - 1));
}
