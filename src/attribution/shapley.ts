// Shapley value attribution: the channels are players, a coalition is a set of channels, and
// each channel's credit is its marginal contribution averaged over every order in which the
// channels could join (Shapley 1953; for advertising, Dalessandro et al. 2012 and Zhao et al.,
// "Shapley value methods for attribution modeling in online advertising", 2018).
//
// A path counts for every coalition that contains all its channels (order and repeats do not
// matter). The worth of a coalition S is:
// - without nulls, the conversions (and value) of the paths whose channels all lie in S
//   (Zhao et al.'s simplified form);
// - with nulls, the conversion rate (and value per path) of those paths, so a channel that
//   reaches many people who do not convert earns less. The Shapley values of the rate add up
//   to the overall rate and are scaled to the total conversions and value.
//
// Exact over all 2^n coalitions up to SHAPLEY_EXACT_MAX_CHANNELS channels; beyond, the
// average over random orders (permutation sampling), with its standard error.
import mt19937 from '@stdlib/random-base-mt19937';
import { type Attribution, type AttributionPath, type ChannelCredit, channelsOf } from './types.ts';

/** 2^15 = 32,768 coalitions: exact in milliseconds; 2^20 would take ~16 MB per worth table. */
export const SHAPLEY_EXACT_MAX_CHANNELS = 15;
/** Coalitions are bit masks in 32-bit integers. */
export const SHAPLEY_MAX_CHANNELS = 30;
export const DEFAULT_PERMUTATIONS = 2000;

export interface ShapleyOptions {
  withNulls?: boolean;
  /** Channels up to which the exact sum is used (default SHAPLEY_EXACT_MAX_CHANNELS). */
  exactMaxChannels?: number;
  /** Random orders drawn when sampling (default 2000). */
  permutations?: number;
  /** Seed of the sampling's random numbers, so a report can be rerun. */
  seed?: number;
}

export interface ShapleyResult extends Attribution {
  method: 'exact' | 'sampled';
  /** Orders drawn (sampled only). */
  permutations?: number;
  /** Standard error of each channel's conversions (sampled only). */
  standardErrors?: Record<string, ChannelCredit>;
}

/** The paths grouped by their set of channels (a bit mask). */
interface Coalition {
  mask: number;
  conversions: number;
  people: number;
  value: number;
}

function coalitionsOf(
  paths: readonly AttributionPath[],
  channels: string[],
  withNulls: boolean,
): Coalition[] {
  const index = new Map(channels.map((name, at) => [name, at]));
  const byMask = new Map<number, Coalition>();
  for (const path of paths) {
    let mask = 0;
    for (const channel of path.channels) mask |= 1 << index.get(channel)!;
    const people = path.conversions + (withNulls ? path.nulls : 0);
    if (people === 0) continue;
    const coalition = byMask.get(mask) ?? { mask, conversions: 0, people: 0, value: 0 };
    coalition.conversions += path.conversions;
    coalition.people += people;
    coalition.value += path.value;
    byMask.set(mask, coalition);
  }
  return [...byMask.values()];
}

/** Worth of a coalition from the sums of the paths it covers. */
function worth(sums: { conversions: number; value: number; people: number }, withNulls: boolean) {
  if (!withNulls) return { conversions: sums.conversions, value: sums.value };
  if (sums.people === 0) return { conversions: 0, value: 0 };
  return { conversions: sums.conversions / sums.people, value: sums.value / sums.people };
}

export function shapley(paths: readonly AttributionPath[], options: ShapleyOptions = {}): ShapleyResult {
  const channels = channelsOf(paths);
  if (channels.length > SHAPLEY_MAX_CHANNELS) {
    throw new RangeError(
      `Shapley values take at most ${SHAPLEY_MAX_CHANNELS} channels; the paths have ${channels.length}: group the rarer ones`,
    );
  }
  const withNulls = options.withNulls ?? false;
  const coalitions = coalitionsOf(paths, channels, withNulls);
  const exactMax = options.exactMaxChannels ?? SHAPLEY_EXACT_MAX_CHANNELS;
  const raw =
    channels.length <= exactMax
      ? exactShapley(channels.length, coalitions, withNulls)
      : sampledShapley(
          channels.length,
          coalitions,
          withNulls,
          options.permutations ?? DEFAULT_PERMUTATIONS,
          options.seed ?? 1,
        );
  // Scale so the credit adds up to the paths' conversions and value (with nulls the raw
  // values add up to the overall rate; without, they already add up to the totals).
  const totalConversions = paths.reduce((sum, path) => sum + path.conversions, 0);
  const totalValue = paths.reduce((sum, path) => sum + path.value, 0);
  const rawConversions = raw.conversions.reduce((sum, x) => sum + x, 0);
  const rawValue = raw.value.reduce((sum, x) => sum + x, 0);
  const scaleConversions = rawConversions === 0 ? 0 : totalConversions / rawConversions;
  const scaleValue = rawValue === 0 ? 0 : totalValue / rawValue;
  const result: ShapleyResult = {
    model: 'shapley',
    method: raw.errors ? 'sampled' : 'exact',
    channels: Object.fromEntries(
      channels.map((name, at) => [
        name,
        { conversions: raw.conversions[at]! * scaleConversions, value: raw.value[at]! * scaleValue },
      ]),
    ),
  };
  if (raw.errors) {
    result.permutations = options.permutations ?? DEFAULT_PERMUTATIONS;
    result.standardErrors = Object.fromEntries(
      channels.map((name, at) => [
        name,
        {
          conversions: raw.errors!.conversions[at]! * scaleConversions,
          value: raw.errors!.value[at]! * scaleValue,
        },
      ]),
    );
  }
  return result;
}

interface RawValues {
  conversions: number[];
  value: number[];
  errors?: { conversions: number[]; value: number[] };
}

/** φ_i = Σ_{S ∌ i} |S|! (n−|S|−1)! / n! · (v(S ∪ i) − v(S)), over all 2^n coalitions. */
function exactShapley(n: number, coalitions: readonly Coalition[], withNulls: boolean): RawValues {
  const size = 1 << n;
  // Sums over the paths each coalition covers: a subset-sum (zeta) transform, O(n 2^n).
  const conversions = new Float64Array(size);
  const value = new Float64Array(size);
  const people = new Float64Array(size);
  for (const coalition of coalitions) {
    conversions[coalition.mask]! += coalition.conversions;
    value[coalition.mask]! += coalition.value;
    people[coalition.mask]! += coalition.people;
  }
  for (let bit = 0; bit < n; bit += 1) {
    for (let mask = 0; mask < size; mask += 1) {
      if (mask & (1 << bit)) {
        conversions[mask]! += conversions[mask ^ (1 << bit)]!;
        value[mask]! += value[mask ^ (1 << bit)]!;
        people[mask]! += people[mask ^ (1 << bit)]!;
      }
    }
  }
  const worthConversions = new Float64Array(size);
  const worthValue = new Float64Array(size);
  for (let mask = 0; mask < size; mask += 1) {
    const w = worth(
      { conversions: conversions[mask]!, value: value[mask]!, people: people[mask]! },
      withNulls,
    );
    worthConversions[mask] = w.conversions;
    worthValue[mask] = w.value;
  }
  const weights = coalitionWeights(n);
  const out: RawValues = { conversions: new Array(n).fill(0), value: new Array(n).fill(0) };
  for (let mask = 0; mask < size; mask += 1) {
    const members = popcount(mask);
    for (let channel = 0; channel < n; channel += 1) {
      if (mask & (1 << channel)) continue;
      const weight = weights[members]!;
      const joined = mask | (1 << channel);
      out.conversions[channel]! += weight * (worthConversions[joined]! - worthConversions[mask]!);
      out.value[channel]! += weight * (worthValue[joined]! - worthValue[mask]!);
    }
  }
  return out;
}

/** |S|! (n−|S|−1)! / n! for |S| = 0 … n−1, computed as a product to stay finite. */
function coalitionWeights(n: number): number[] {
  return Array.from({ length: n }, (_, s) => {
    let weight = 1 / n;
    // 1 / (n · C(n−1, s))
    for (let k = 1; k <= s; k += 1) weight *= k / (n - k);
    return weight;
  });
}

function popcount(mask: number): number {
  let count = 0;
  for (let rest = mask; rest !== 0; rest &= rest - 1) count += 1;
  return count;
}

/**
 * Average marginal contribution over random orders. In one order, a coalition of paths
 * becomes covered when the last of its channels joins, so each order costs one pass over the
 * coalitions rather than n worth evaluations.
 */
function sampledShapley(
  n: number,
  coalitions: readonly Coalition[],
  withNulls: boolean,
  permutations: number,
  seed: number,
): RawValues {
  // A seeded generator so a sampled report can be rerun to the same numbers.
  const random = (mt19937.factory({ seed }) as unknown as { normalized: () => number }).normalized;
  const order = Array.from({ length: n }, (_, at) => at);
  const position = new Int32Array(n);
  const added = { conversions: new Float64Array(n), value: new Float64Array(n), people: new Float64Array(n) };
  const sum = { conversions: new Float64Array(n), value: new Float64Array(n) };
  const squares = { conversions: new Float64Array(n), value: new Float64Array(n) };
  for (let draw = 0; draw < permutations; draw += 1) {
    shuffle(order, random);
    for (let at = 0; at < n; at += 1) position[order[at]!] = at;
    added.conversions.fill(0);
    added.value.fill(0);
    added.people.fill(0);
    for (const coalition of coalitions) {
      let last = -1;
      for (let rest = coalition.mask; rest !== 0; rest &= rest - 1) {
        const channel = 31 - Math.clz32(rest & -rest);
        if (position[channel]! > last) last = position[channel]!;
      }
      added.conversions[last]! += coalition.conversions;
      added.value[last]! += coalition.value;
      added.people[last]! += coalition.people;
    }
    const running = { conversions: 0, value: 0, people: 0 };
    let before = worth(running, withNulls);
    for (let at = 0; at < n; at += 1) {
      running.conversions += added.conversions[at]!;
      running.value += added.value[at]!;
      running.people += added.people[at]!;
      const after = worth(running, withNulls);
      const channel = order[at]!;
      const gainConversions = after.conversions - before.conversions;
      const gainValue = after.value - before.value;
      sum.conversions[channel]! += gainConversions;
      sum.value[channel]! += gainValue;
      squares.conversions[channel]! += gainConversions * gainConversions;
      squares.value[channel]! += gainValue * gainValue;
      before = after;
    }
  }
  const mean = (total: Float64Array) => Array.from(total, (x) => x / permutations);
  const error = (total: Float64Array, square: Float64Array) =>
    Array.from(total, (x, at) => {
      const m = x / permutations;
      const variance = Math.max(0, square[at]! / permutations - m * m) / Math.max(1, permutations - 1);
      return Math.sqrt(variance);
    });
  return {
    conversions: mean(sum.conversions),
    value: mean(sum.value),
    errors: {
      conversions: error(sum.conversions, squares.conversions),
      value: error(sum.value, squares.value),
    },
  };
}

function shuffle(items: number[], random: () => number): void {
  for (let at = items.length - 1; at > 0; at -= 1) {
    const other = Math.floor(random() * (at + 1));
    [items[at], items[other]] = [items[other]!, items[at]!];
  }
}
