// Value beyond revenue: each customer's raw value on a few dimensions (predicted CLV,
// advocacy, feedback, reference, loyalty, engagement) is normalised to [0, 1], weighted and
// summed into a score; the score ranks customers, and each dimension's share of the score is
// the explanation ("ranked 12th of 900: clv 40%, advocacy 35%, feedback 25%"). Pure: the raw
// values come from features.ts.
import { RapportError } from '../errors/index.ts';
import { lowestRanks } from './ranks.ts';

/**
 * `rank`: share of the other customers strictly below (tied values take the lowest rank of
 * their run, so the many with no evidence stay at 0); `zscore`: Φ((v − mean) / sd).
 */
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

/**
 * Scores, ranks and explains every customer. Each returned score is a light view on the
 * columns of `scoreValueColumns`: `contributions` and `explanation` are built when read
 * (the refresh reads every explanation once, to write it on the profile).
 */
export function scoreValue(
  customers: readonly CustomerValues[],
  dimensions: readonly ValueDimension[],
): ValueScore[] {
  validateDimensions(dimensions);
  const n = customers.length;
  const columns = dimensions.map((dimension) => {
    const column = new Float64Array(n);
    for (let i = 0; i < n; i++) column[i] = finiteOrZero(customers[i]!.values[dimension.name]);
    return column;
  });
  return scoreValueColumns(
    customers.map((customer) => customer.profileId),
    columns,
    dimensions,
  ).toScores();
}

/**
 * Scores and ranks from one column of raw values per dimension (in the order of
 * `dimensions`; non-finite values count as 0). The columns are normalised in place.
 */
export function scoreValueColumns(
  profileIds: readonly string[],
  columns: readonly Float64Array[],
  dimensions: readonly ValueDimension[],
): ValueScoreTable {
  validateDimensions(dimensions);
  const n = profileIds.length;
  const totalWeight = dimensions.reduce((sum, dimension) => sum + dimension.weight, 0);
  const shares = new Float64Array(dimensions.map((dimension) => dimension.weight / totalWeight));
  columns.forEach((column, d) => {
    for (let i = 0; i < n; i++) if (!Number.isFinite(column[i]!)) column[i] = 0;
    normaliseInPlace(column, dimensions[d]!.normalise);
  });
  const score = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let total = 0;
    for (let d = 0; d < columns.length; d++) total += shares[d]! * columns[d]![i]!;
    score[i] = total;
  }
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort(
    (left, right) =>
      score[right]! - score[left]! ||
      (profileIds[left]! < profileIds[right]! ? -1 : profileIds[left]! > profileIds[right]! ? 1 : 0),
  );
  const rank = new Uint32Array(n);
  for (let position = 0; position < n; position++) rank[order[position]!] = position + 1;
  return new ValueScoreTable(profileIds, dimensions, shares, columns, score, rank);
}

/** Every customer's normalised dimensions, score and rank, as columns. */
export class ValueScoreTable {
  readonly #of: string;
  readonly #shares: Float64Array;
  readonly #byShare: Int32Array;

  constructor(
    readonly profileIds: readonly string[],
    readonly dimensions: readonly ValueDimension[],
    /** weight / Σ weights, per dimension. */
    readonly weightShares: Float64Array,
    /** Normalised values in [0, 1], one column per dimension. */
    readonly normalised: readonly Float64Array[],
    readonly score: Float64Array,
    /** 1 = most valuable; ties broken by profile id. */
    readonly rank: Uint32Array,
  ) {
    this.#of = profileIds.length.toLocaleString('en');
    this.#shares = new Float64Array(dimensions.length);
    this.#byShare = new Int32Array(dimensions.length);
  }

  get size(): number {
    return this.profileIds.length;
  }

  /** `ranked 12th of 900: clv 46%, loyalty 18%, …`: each dimension's share, largest first. */
  explanation(i: number): string {
    const head = `ranked ${ordinal(this.rank[i]!)} of ${this.#of}`;
    const score = this.score[i]!;
    if (score <= 0) return `${head}: no dimension above the lowest`;
    const shares = this.#shares;
    const order = this.#byShare;
    let count = 0;
    for (let d = 0; d < this.dimensions.length; d++) {
      const share = (this.weightShares[d]! * this.normalised[d]![i]!) / score;
      if (!(share > 0)) continue;
      shares[d] = share;
      // Insertion by share, largest first; equal shares keep the dimensions' order.
      let at = count++;
      while (at > 0 && shares[order[at - 1]!]! < share) {
        order[at] = order[at - 1]!;
        at -= 1;
      }
      order[at] = d;
    }
    let text = `${head}: `;
    for (let k = 0; k < count; k++) {
      const d = order[k]!;
      if (k > 0) text += ', ';
      text += `${this.dimensions[d]!.name} ${Math.round(shares[d]! * 100)}%`;
    }
    return text;
  }

  contributions(i: number): DimensionContribution[] {
    const score = this.score[i]!;
    return this.dimensions.map((dimension, d) => {
      const normalised = this.normalised[d]![i]!;
      const points = this.weightShares[d]! * normalised;
      return { dimension: dimension.name, normalised, points, share: score > 0 ? points / score : 0 };
    });
  }

  /** One light object per customer, in input order, building the rest on demand. */
  toScores(): ValueScore[] {
    const scores = new Array<ValueScore>(this.size);
    for (let i = 0; i < this.size; i++) scores[i] = new ScoreView(this, i);
    return scores;
  }
}

class ScoreView implements ValueScore {
  readonly profileId: string;
  readonly score: number;
  readonly rank: number;

  constructor(
    private readonly table: ValueScoreTable,
    private readonly index: number,
  ) {
    this.profileId = table.profileIds[index]!;
    this.score = table.score[index]!;
    this.rank = table.rank[index]!;
  }

  get contributions(): DimensionContribution[] {
    return this.table.contributions(this.index);
  }

  /**
   * Built on each read, not kept: the refresh reads each once to write it, and a million kept
   * strings (each a tree of concatenations) cost the garbage collector several times more
   * than building them.
   */
  get explanation(): string {
    return this.table.explanation(this.index);
  }

  toJSON(): ValueScore {
    const { profileId, score, rank, contributions, explanation } = this;
    return { profileId, score, rank, contributions, explanation };
  }
}

function finiteOrZero(value: number | undefined): number {
  return value !== undefined && Number.isFinite(value) ? value : 0;
}

/**
 * A column normalised to [0, 1]. A column where everyone is equal (a dimension with no
 * evidence: nobody reported a bug) tells nobody apart and gives 0 to all, so it takes no share
 * of anyone's score or explanation.
 */
export function normaliseColumn(values: readonly number[], method: Normalisation): number[] {
  const column = Float64Array.from(values);
  normaliseInPlace(column, method);
  return Array.from(column);
}

/** `normaliseColumn` on a typed column, overwriting it. */
export function normaliseInPlace(values: Float64Array, method: Normalisation): void {
  const n = values.length;
  if (n === 0) return;
  const first = values[0]!;
  if (values.every((value) => value === first)) {
    values.fill(0);
    return;
  }
  if (method === 'rank') {
    const ranked = lowestRanks(values);
    for (let i = 0; i < n; i++) values[i] = (ranked[i]! - 1) / (n - 1);
    return;
  }
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i]!;
  const mean = sum / n;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (values[i]! - mean) ** 2;
  const sd = Math.sqrt(squares / n);
  for (let i = 0; i < n; i++) values[i] = standardNormalCdf((values[i]! - mean) / sd);
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
