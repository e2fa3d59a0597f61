// Sample-ratio mismatch: a chi-square goodness-of-fit test of the people counted per arm against
// the weights the split was meant to have (gbstats' check_srm). A tiny p-value means the split
// is broken (a bug in assignment or in counting), and no metric of the experiment can be trusted.
import jStat from 'jstat';

/** GrowthBook flags a mismatch below this p-value. */
export const SRM_THRESHOLD = 0.001;

export interface SrmResult {
  pValue: number;
  chiSquare: number;
  mismatch: boolean;
}

export function sampleRatioMismatch(counts: readonly number[], weights: readonly number[]): SrmResult {
  const total = counts.reduce((a, b) => a + b, 0);
  const weightTotal = weights.reduce((a, b) => a + b, 0);
  let chiSquare = 0;
  counts.forEach((observed, i) => {
    const expected = (total * (weights[i] ?? 0)) / weightTotal;
    if (expected > 0) chiSquare += (observed - expected) ** 2 / expected;
  });
  if (total === 0 || counts.length < 2) return { pValue: 1, chiSquare: 0, mismatch: false };
  const pValue = 1 - jStat.chisquare.cdf(chiSquare, counts.length - 1);
  return { pValue, chiSquare, mismatch: pValue < SRM_THRESHOLD };
}
