// Value beyond revenue: each customer's raw value on a few dimensions (predicted CLV,
// advocacy, feedback, reference, loyalty, engagement) is normalised to [0, 1], weighted and
// summed into a score; the score ranks customers, and each dimension's share of the score is
// the explanation ("ranked 12th of 900: clv 40%, advocacy 35%, feedback 25%"). Pure: the raw
// values come from features.ts.
import { RapportError } from '../errors/index.ts';
import { averageRanks } from './ranks.ts';

/** `rank`: share of customers below (ties share their rank); `zscore`: Φ((v − mean) / sd). */
export type Normalisation = 'rank' | 'zscore';

export interface ValueDimension {
  name: string;
  weight: number;
  normalise: Normalisation;
}

export interface CustomerValues {
  profileId: string;
  /** Raw value per dimension name; missing or non-finite counts as 0. */
  values: Record<string, number | undefined>;
}

export interface DimensionContribution {
  dimension: string;
  /** Normalised value in [0, 1]. */
  normalised: number;
  /** weight share × normalised: this dimension's part of the score. */
  points: number;
  /** Share of the score, 0-1 (0 for everyone when the score is 0). */
  share: number;
}

export interface ValueScore {
  profileId: string;
  /** Weighted mean of the normalised dimensions, in [0, 1]. */
  score: number;
  /** 1 = most valuable. Ties are broken by profile id so the order is stable. */
  rank: number;
  contributions: DimensionContribution[];
  explanation: string;
}

/** Checks weights: finite, not negative, not all zero. Throws naming the problem. */
export function validateDimensions(dimensions: readonly ValueDimension[]): void {
  if (dimensions.length === 0) {
    throw new RapportError('RAPPORT_VALUE_INVALID_INPUT', 'the value model has no dimensions');
  }
  const names = new Set<string>();
  for (const dimension of dimensions) {
    if (names.has(dimension.name)) {
      throw new RapportError('RAPPORT_VALUE_INVALID_INPUT', `dimension ${dimension.name} is listed twice`);
    }
    names.add(dimension.name);
    if (!Number.isFinite(dimension.weight) || dimension.weight < 0) {
      throw new RapportError(
        'RAPPORT_VALUE_INVALID_INPUT',
        `weight of dimension ${dimension.name} must be a number ≥ 0 (got ${dimension.weight})`,
      );
    }
  }
  if (dimensions.every((dimension) => dimension.weight === 0)) {
    throw new RapportError(
      'RAPPORT_VALUE_INVALID_INPUT',
      'the value model weights sum to zero: give at least one dimension a positive weight',
    );
  }
}

/** Scores, ranks and explains every customer. */
export function scoreValue(
  customers: readonly CustomerValues[],
  dimensions: readonly ValueDimension[],
): ValueScore[] {
  validateDimensions(dimensions);
  const totalWeight = dimensions.reduce((sum, dimension) => sum + dimension.weight, 0);
  const normalised = dimensions.map((dimension) =>
    normaliseColumn(
      customers.map((customer) => finiteOrZero(customer.values[dimension.name])),
      dimension.normalise,
    ),
  );
  const scored = customers.map((customer, i) => {
    const points = dimensions.map((dimension, d) => (dimension.weight / totalWeight) * normalised[d]![i]!);
    const score = points.reduce((sum, value) => sum + value, 0);
    const contributions = dimensions.map((dimension, d) => ({
      dimension: dimension.name,
      normalised: normalised[d]![i]!,
      points: points[d]!,
      share: score > 0 ? points[d]! / score : 0,
    }));
    return { profileId: customer.profileId, score, rank: 0, contributions, explanation: '' };
  });
  const ordered = [...scored].sort(
    (left, right) =>
      right.score - left.score ||
      (left.profileId < right.profileId ? -1 : left.profileId > right.profileId ? 1 : 0),
  );
  const of = ordered.length.toLocaleString('en');
  ordered.forEach((customer, index) => {
    customer.rank = index + 1;
    customer.explanation = explain(customer, of);
  });
  return scored;
}

function finiteOrZero(value: number | undefined): number {
  return value !== undefined && Number.isFinite(value) ? value : 0;
}

/** A column normalised to [0, 1]; a column where everyone is equal gives 0.5 to all. */
export function normaliseColumn(values: readonly number[], method: Normalisation): number[] {
  if (values.length === 0) return [];
  const first = values[0]!;
  if (values.every((value) => value === first)) return values.map(() => 0.5);
  if (method === 'rank') {
    const ranked = averageRanks(values);
    return Array.from(ranked, (rank) => (rank - 1) / (values.length - 1));
  }
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  const variance = values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / values.length;
  const sd = Math.sqrt(variance);
  return values.map((value) => standardNormalCdf((value - mean) / sd));
}

/** Φ(z) via the complementary error function (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7). */
function standardNormalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const polynomial =
    t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erfc = polynomial * Math.exp(-x * x);
  return z >= 0 ? 1 - erfc / 2 : erfc / 2;
}

function explain(customer: Omit<ValueScore, 'explanation'>, of: string): string {
  const head = `ranked ${ordinal(customer.rank)} of ${of}`;
  if (customer.score <= 0) return `${head}: no dimension above the lowest`;
  const parts = [...customer.contributions]
    .filter((contribution) => contribution.share > 0)
    .sort((left, right) => right.share - left.share)
    .map((contribution) => `${contribution.dimension} ${Math.round(contribution.share * 100)}%`);
  return `${head}: ${parts.join(', ')}`;
}

export function ordinal(n: number): string {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return `${n}th`;
  const suffix = ['th', 'st', 'nd', 'rd'][n % 10] ?? 'th';
  return `${n}${suffix}`;
}

/** Top or bottom of a scored list. */
export function rankingOf(
  scores: readonly ValueScore[],
  order: 'top' | 'bottom',
  limit: number,
): ValueScore[] {
  const sorted = [...scores].sort((left, right) => left.rank - right.rank);
  const ordered = order === 'top' ? sorted : sorted.reverse();
  return ordered.slice(0, Math.max(0, limit));
}
