// The value page's distribution: which bins and which order positions to ask the state store
// for, and how to read percentiles from them. Pure; the counting itself is SQL in the store.
import type { NumericPropertySummary } from '../store/index.ts';

export type ValueMetric = 'clv' | 'value_score' | 'p_alive';

/**
 * CLV is long-tailed (most customers are worth little, a few a lot), so its bins are
 * log-spaced: equal-width bins would put nearly everyone in the first one. The value score
 * and P(alive) live in [0, 1] and get equal-width bins over [0, 1].
 */
export const METRIC_SCALES: Readonly<Record<ValueMetric, 'log' | 'linear'>> = {
  clv: 'log',
  value_score: 'linear',
  p_alive: 'linear',
};

export const VALUE_METRICS = ['clv', 'value_score', 'p_alive'] as const satisfies readonly ValueMetric[];

export const PERCENTILES = [
  ['p10', 0.1],
  ['p50', 0.5],
  ['p90', 0.9],
  ['p99', 0.99],
] as const;

export type PercentileName = (typeof PERCENTILES)[number][0];

/**
 * Percentiles by linear interpolation between the two nearest order statistics (h = (n − 1) p,
 * the default of NumPy and PostgreSQL's percentile_cont): these are the 0-based positions needed.
 */
export function percentilePositions(count: number): number[] {
  if (count === 0) return [];
  const positions = new Set<number>();
  for (const [, p] of PERCENTILES) {
    const h = (count - 1) * p;
    positions.add(Math.floor(h));
    positions.add(Math.ceil(h));
  }
  return [...positions].sort((left, right) => left - right);
}

export function percentilesFrom(
  count: number,
  valueAt: ReadonlyMap<number, number>,
): Record<PercentileName, number> | null {
  if (count === 0) return null;
  const result = {} as Record<PercentileName, number>;
  for (const [name, p] of PERCENTILES) {
    const h = (count - 1) * p;
    const low = valueAt.get(Math.floor(h))!;
    const high = valueAt.get(Math.ceil(h))!;
    result[name] = low + (h - Math.floor(h)) * (high - low);
  }
  return result;
}

/** Rounds to 2 significant digits (1,234 → 1,200), for bin edges a person can read. */
function readable(value: number): number {
  return value > 0 ? Number(value.toPrecision(2)) : value;
}

/**
 * Bin edges (bins + 1 numbers, ascending) for the summary's values; [] when there are none.
 * Log scale: a first bin [min, smallest positive) when some values are 0 (a CLV of 0), then
 * log-spaced bins from the smallest positive value to the largest, inner edges rounded to two
 * significant digits (edges that round together merge, so there may be fewer bins).
 */
export function histogramEdges(
  scale: 'log' | 'linear',
  summary: Pick<NumericPropertySummary, 'count' | 'min' | 'max' | 'minPositive'>,
  bins: number,
): number[] {
  if (summary.count === 0 || summary.min === null || summary.max === null) return [];
  if (scale === 'linear') {
    // Scores and probabilities live in [0, 1]; widen only if something lies outside it.
    const low = Math.min(0, summary.min);
    const high = Math.max(1, summary.max);
    return Array.from({ length: bins + 1 }, (_, i) => (i === bins ? high : low + ((high - low) * i) / bins));
  }
  const { min, max, minPositive } = summary;
  if (minPositive === null) return [min, max];
  const hasZeros = min < minPositive;
  const logBins = Math.max(1, hasZeros ? bins - 1 : bins);
  const edges = hasZeros ? [min] : [];
  edges.push(minPositive);
  const ratio = max / minPositive;
  for (let i = 1; i < logBins; i++) {
    const edge = readable(minPositive * ratio ** (i / logBins));
    if (edge > edges.at(-1)! && edge < max) edges.push(edge);
  }
  // The top edge; when every positive value is the same, a bin [max, max] of its own.
  if (max > edges.at(-1)! || edges.at(-1) === minPositive) edges.push(max);
  return edges;
}

/** The most bins a distribution may ask for; the refresh stores the histogram for every count up to it. */
export const MAX_HISTOGRAM_BINS = 100;

/**
 * Bin counts for `edges` from the number of values below each edge: bin i is [edges[i],
 * edges[i+1]) and the last bin also takes values equal to its top edge, as the store's
 * histogram counts them. histogramEdges' first edge is at most the smallest value and its
 * last at least the largest, so the last bin is every value not below its lower edge.
 */
export function histogramFromCountsBelow(
  edges: readonly number[],
  count: number,
  below: (threshold: number) => number,
): number[] {
  const bins = edges.length - 1;
  if (bins < 1) return [];
  return Array.from({ length: bins }, (_, i) =>
    i === bins - 1 ? count - below(edges[i]!) : below(edges[i + 1]!) - below(edges[i]!),
  );
}
