// The statistics of a survey, pure: NPS and means with their intervals (raw or weighted),
// who answered against the whole base, and the weights that make the answers speak for the
// base. Weighting is post-stratification (one weight per cell of the chosen traits' values) or
// raking (iterative proportional fitting: the weights are scaled trait by trait until every
// trait's weighted shares match the base's), the two classic survey corrections. Intervals of a
// weighted estimate use the linearised (Taylor) variance of a ratio mean,
// Σ wᵢ²(xᵢ − x̄)² / (Σ wᵢ)², which is s²/n when every weight is 1. No npm library implements
// raking; the loop below is the textbook one (Deming & Stephan, 1940).
import jStat from 'jstat';

export const MISSING = '(none)';

export interface Estimate {
  value: number;
  low: number;
  high: number;
  /** Respondents behind the estimate. */
  n: number;
  /** Kish's effective sample size, (Σw)²/Σw²: what the weighting costs in precision. */
  effectiveN: number;
}

export function zFor(level: number): number {
  return jStat.normal.inv(1 - (1 - level) / 2, 0, 1);
}

/** The weighted mean of `values` with its interval; weights default to 1. */
export function weightedMean(values: readonly number[], weights?: readonly number[], level = 0.95): Estimate {
  const n = values.length;
  if (n === 0) return { value: Number.NaN, low: Number.NaN, high: Number.NaN, n: 0, effectiveN: 0 };
  const w = (i: number) => weights?.[i] ?? 1;
  let sumW = 0;
  let sumWX = 0;
  let sumW2 = 0;
  for (let i = 0; i < n; i++) {
    sumW += w(i);
    sumWX += w(i) * values[i]!;
    sumW2 += w(i) ** 2;
  }
  const mean = sumWX / sumW;
  let spread = 0;
  for (let i = 0; i < n; i++) spread += w(i) ** 2 * (values[i]! - mean) ** 2;
  // n/(n−1): the small-sample correction, so one unweighted answer has no zero-width interval.
  const se = n > 1 ? Math.sqrt((spread / sumW ** 2) * (n / (n - 1))) : Number.POSITIVE_INFINITY;
  const half = zFor(level) * se;
  return { value: mean, low: mean - half, high: mean + half, n, effectiveN: sumW ** 2 / sumW2 };
}

/** NPS (−100…100): promoters (9–10) minus detractors (0–6), in percent, with its interval. */
export function netPromoterScore(
  scores: readonly number[],
  weights?: readonly number[],
  level = 0.95,
): Estimate {
  const points = scores.map((s) => (s >= 9 ? 100 : s <= 6 ? -100 : 0));
  return weightedMean(points, weights, level);
}

export function npsGroup(score: number): 'promoter' | 'passive' | 'detractor' {
  return score >= 9 ? 'promoter' : score <= 6 ? 'detractor' : 'passive';
}

/** A person's values of the chosen traits, as text; a missing value is its own category. */
export type Cells = readonly (readonly string[])[];

export function shares(values: readonly string[], weights?: readonly number[]): Map<string, number> {
  const totals = new Map<string, number>();
  let sum = 0;
  values.forEach((v, i) => {
    const w = weights?.[i] ?? 1;
    totals.set(v, (totals.get(v) ?? 0) + w);
    sum += w;
  });
  for (const [k, v] of totals) totals.set(k, v / sum);
  return totals;
}

export interface Gap {
  trait: string;
  category: string;
  /** Share of the whole base (known exactly: everyone is counted). */
  baseShare: number;
  responderShare: number;
  /** Responder share minus base share, with the interval from the responders' sampling. */
  gap: Estimate;
}

/**
 * Who answered against everyone: for each trait and category, the base's share, the responders'
 * share and the gap with its interval. `base` holds every person's categories (responders
 * included); `responders` the responders'.
 */
export function responseGaps(traits: readonly string[], base: Cells, responders: Cells, level = 0.95): Gap[] {
  const gaps: Gap[] = [];
  traits.forEach((trait, t) => {
    const baseShares = shares(base.map((row) => row[t]!));
    const responderValues = responders.map((row) => row[t]!);
    for (const [category, baseShare] of [...baseShares].sort((a, b) => b[1] - a[1])) {
      const hits = responderValues.map((v) => (v === category ? 1 : 0) - baseShare);
      const gap = weightedMean(hits, undefined, level);
      gaps.push({ trait, category, baseShare, responderShare: baseShare + gap.value, gap });
    }
  });
  return gaps;
}

export interface Weighting {
  method: 'none' | 'post-stratification' | 'raking';
  weights: number[];
  /** Share of the base in cells (or categories) no respondent is in: nobody speaks for them. */
  uncoveredShare: number;
  /** Raking: the sweeps it took, and whether the margins matched within the tolerance. */
  iterations?: number;
  converged?: boolean;
}

const key = (row: readonly string[]) => row.join('\u0001');

/**
 * One weight per respondent: the base's share of the respondent's cell over the respondents'
 * share of it (normalised to average 1). Cells without respondents cannot be represented; their
 * base share is reported as uncovered and the others are scaled up to fill it.
 */
export function postStratify(base: Cells, responders: Cells): Weighting {
  const baseShares = shares(base.map(key));
  const responderShares = shares(responders.map(key));
  let uncoveredShare = 0;
  for (const [cell, share] of baseShares) if (!responderShares.has(cell)) uncoveredShare += share;
  const covered = 1 - uncoveredShare;
  const weights = responders.map((row) => {
    const cell = key(row);
    return (baseShares.get(cell) ?? 0) / covered / responderShares.get(cell)!;
  });
  return { method: 'post-stratification', weights, uncoveredShare };
}

/**
 * Raking (iterative proportional fitting) on each trait's margins: sweep the traits, scaling the
 * weights in each category so the weighted share matches the base's, until no share is off by
 * more than `tolerance`. Needs only the margins, so it works with many traits where
 * post-stratification's cells would be empty.
 */
export function rake(
  base: Cells,
  responders: Cells,
  options: { tolerance?: number; maxIterations?: number } = {},
): Weighting {
  const tolerance = options.tolerance ?? 1e-6;
  const maxIterations = options.maxIterations ?? 200;
  const traits = base[0]?.length ?? 0;
  const weights = responders.map(() => 1);
  let uncoveredShare = 0;
  const targets: Map<string, number>[] = [];
  for (let t = 0; t < traits; t++) {
    const baseShares = shares(base.map((row) => row[t]!));
    const present = new Set(responders.map((row) => row[t]!));
    let missing = 0;
    for (const [category, share] of baseShares) if (!present.has(category)) missing += share;
    uncoveredShare = Math.max(uncoveredShare, missing);
    const target = new Map<string, number>();
    for (const [category, share] of baseShares)
      if (present.has(category)) target.set(category, share / (1 - missing));
    targets.push(target);
  }
  let iterations = 0;
  let converged = responders.length === 0 || traits === 0;
  while (!converged && iterations < maxIterations) {
    iterations++;
    let worst = 0;
    for (let t = 0; t < traits; t++) {
      const current = shares(
        responders.map((row) => row[t]!),
        weights,
      );
      const factor = new Map<string, number>();
      for (const [category, share] of current) {
        const target = targets[t]!.get(category) ?? 0;
        worst = Math.max(worst, Math.abs(share - target));
        factor.set(category, target / share);
      }
      responders.forEach((row, i) => {
        weights[i]! *= factor.get(row[t]!)!;
      });
    }
    converged = worst <= tolerance;
  }
  const mean = weights.reduce((s, w) => s + w, 0) / Math.max(1, weights.length);
  return { method: 'raking', weights: weights.map((w) => w / mean), uncoveredShare, iterations, converged };
}
