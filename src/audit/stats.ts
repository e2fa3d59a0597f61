// The statistics of the assumption audit: an interval for a share (Clopper-Pearson, exact), one for
// the difference of two shares (Newcombe's hybrid score interval, method 10 of Newcombe 1998), the
// verdict a belief gets from its interval, and how many people would settle it. Pure functions;
// the distributions come from jstat.
import jStat from 'jstat';
import type { Interval, Verdict } from './types.ts';

export type { Interval, Verdict } from './types.ts';

export const CONFIDENCE = 0.95;
const Z = jStat.normal.inv(1 - (1 - CONFIDENCE) / 2, 0, 1);

/** Clopper-Pearson: the exact binomial interval, from the beta distribution's quantiles. */
export function shareInterval(successes: number, trials: number, confidence = CONFIDENCE): Interval {
  if (trials <= 0) return { estimate: Number.NaN, low: 0, high: 1 };
  const alpha = 1 - confidence;
  const low = successes === 0 ? 0 : jStat.beta.inv(alpha / 2, successes, trials - successes + 1);
  const high = successes === trials ? 1 : jStat.beta.inv(1 - alpha / 2, successes + 1, trials - successes);
  return { estimate: successes / trials, low, high };
}

/** Wilson's score interval, the building block of Newcombe's interval for a difference. */
export function wilsonInterval(successes: number, trials: number, z = Z): Interval {
  if (trials <= 0) return { estimate: Number.NaN, low: 0, high: 1 };
  const p = successes / trials;
  const z2 = z * z;
  const centre = (p + z2 / (2 * trials)) / (1 + z2 / trials);
  const half = (z / (1 + z2 / trials)) * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials));
  return { estimate: p, low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/** Newcombe's hybrid score interval for p1 − p2 (his method 10). */
export function differenceInterval(x1: number, n1: number, x2: number, n2: number): Interval {
  if (n1 <= 0 || n2 <= 0) return { estimate: Number.NaN, low: -1, high: 1 };
  const a = wilsonInterval(x1, n1);
  const b = wilsonInterval(x2, n2);
  const d = a.estimate - b.estimate;
  const low = d - Math.sqrt((a.estimate - a.low) ** 2 + (b.high - b.estimate) ** 2);
  const high = d + Math.sqrt((a.high - a.estimate) ** 2 + (b.estimate - b.low) ** 2);
  return { estimate: d, low, high };
}

/**
 * A belief that the true value is at least `threshold`: supported when the whole interval is at or
 * above it, contradicted when the whole interval is below it, otherwise the data cannot tell yet.
 */
export function verdictAtLeast(interval: Interval, threshold: number): Verdict {
  if (Number.isNaN(interval.estimate)) return 'not_enough_data';
  if (interval.low >= threshold) return 'supported';
  if (interval.high < threshold) return 'contradicted';
  return 'not_enough_data';
}

/** The mirror image: a belief that the true value is at most `threshold`. */
export function verdictAtMost(interval: Interval, threshold: number): Verdict {
  if (Number.isNaN(interval.estimate)) return 'not_enough_data';
  if (interval.high <= threshold) return 'supported';
  if (interval.low > threshold) return 'contradicted';
  return 'not_enough_data';
}

/**
 * About how many people in all (normal approximation) would make the interval narrow enough to
 * settle a share of `p` against `threshold`; undefined when p sits on the threshold (no amount does).
 */
export function peopleToSettleShare(p: number, threshold: number): number | undefined {
  const gap = Math.abs(p - threshold);
  if (!Number.isFinite(p) || gap < 1e-9) return undefined;
  const variance = Math.max(p * (1 - p), 0.25 / 100);
  return Math.ceil((Z * Z * variance) / (gap * gap));
}

/** The same for a difference: how many people in each group. */
export function peopleToSettleDifference(p1: number, p2: number, margin: number): number | undefined {
  const gap = Math.abs(p1 - p2 - margin);
  if (!Number.isFinite(p1) || !Number.isFinite(p2) || gap < 1e-9) return undefined;
  const variance = Math.max(p1 * (1 - p1) + p2 * (1 - p2), 0.5 / 100);
  return Math.ceil((Z * Z * variance) / (gap * gap));
}
