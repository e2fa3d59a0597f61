// Markov chain attribution by removal effect (Anderl, Becker, von Wangenheim and Schumann,
// "Mapping the customer journey", 2016; the ChannelAttribution package). The paths define a
// chain from (start) through channel states to (conversion) or (null); a channel's removal
// effect is the share of the conversion probability lost when every transition into that
// channel goes to (null) instead. Conversions and value are split in proportion to the
// removal effects.
//
// Order k: a state is the last k channels met (shorter at the start of a path), so the
// chain remembers where a person came from. Unlike the package, which estimates the
// probabilities by simulating paths, this solves the chain's absorption probabilities
// exactly, so the same paths always give the same answer.
import { type Attribution, type AttributionPath, type ChannelCredit, channelsOf } from './types.ts';

export const MAX_MARKOV_ORDER = 4;

export interface MarkovOptions {
  /** 1 to 4. */
  order?: number;
  /**
   * Count the paths that did not convert (their `nulls`). Without them only converting paths
   * shape the chain (as the package does when no null column is given), so the conversion
   * probability is 1 and the removal effects say which channels every conversion needed.
   */
  withNulls?: boolean;
}

export interface MarkovResult extends Attribution {
  order: number;
  /** Probability that a path from (start) ends in (conversion). */
  conversionProbability: number;
  /** 1 − P(conversion without the channel) / P(conversion), per channel. */
  removalEffects: Record<string, number>;
  /** States of the chain (start, conversion and null included). */
  states: number;
}

const START = 0;
const CONVERSION = 1;
const NULL = 2;

/** The chain's transitions as counts, in compressed rows (state → targets). */
export interface TransitionCounts {
  /** Number of states; 0, 1 and 2 are start, conversion and null. */
  states: number;
  /** For each state, the channel index of its last channel (−1 for the three special states). */
  lastChannel: Int32Array;
  rowStart: Int32Array;
  target: Int32Array;
  count: Float64Array;
  channels: string[];
}

/** Counts the transitions between order-k states over all paths. */
export function countTransitions(
  paths: readonly AttributionPath[],
  order: number,
  withNulls: boolean,
): TransitionCounts {
  const channels = channelsOf(paths);
  const channelIndex = new Map(channels.map((name, index) => [name, index]));
  const stateIds = new Map<string, number>();
  const lastChannel: number[] = [-1, -1, -1];
  const edges = new Map<number, Map<number, number>>();
  const add = (from: number, to: number, weight: number) => {
    let row = edges.get(from);
    if (!row) {
      row = new Map();
      edges.set(from, row);
    }
    row.set(to, (row.get(to) ?? 0) + weight);
  };
  const stateOf = (history: readonly string[]): number => {
    const key = history.join('\u0000');
    let id = stateIds.get(key);
    if (id === undefined) {
      id = lastChannel.length;
      stateIds.set(key, id);
      lastChannel.push(channelIndex.get(history[history.length - 1]!)!);
    }
    return id;
  };
  for (const path of paths) {
    const people = withNulls ? path.conversions + path.nulls : path.conversions;
    if (people <= 0) continue;
    let previous = START;
    for (let step = 0; step < path.channels.length; step += 1) {
      const state = stateOf(path.channels.slice(Math.max(0, step - order + 1), step + 1));
      add(previous, state, people);
      previous = state;
    }
    if (path.conversions > 0) add(previous, CONVERSION, path.conversions);
    if (withNulls && path.nulls > 0) add(previous, NULL, path.nulls);
  }
  const states = lastChannel.length;
  const rowStart = new Int32Array(states + 1);
  for (let state = 0; state < states; state += 1)
    rowStart[state + 1] = rowStart[state]! + (edges.get(state)?.size ?? 0);
  const target = new Int32Array(rowStart[states]!);
  const count = new Float64Array(rowStart[states]!);
  for (const [from, row] of edges) {
    let at = rowStart[from]!;
    for (const [to, weight] of row) {
      target[at] = to;
      count[at] = weight;
      at += 1;
    }
  }
  return { states, lastChannel: Int32Array.from(lastChannel), rowStart, target, count, channels };
}

const TOLERANCE = 1e-13;
const MAX_SWEEPS = 100_000;

/**
 * P(reach conversion | start), with the states whose last channel is `removed` sent to null.
 * The chain is sparse (a few targets per state) and can have cycles, so it is solved by
 * Gauss-Seidel sweeps over the rows rather than a dense solve, which at order 3 or 4 would be
 * cubic in tens of thousands of states.
 */
export function conversionProbability(chain: TransitionCounts, removed = -1): number {
  const { states, rowStart, target, count, lastChannel } = chain;
  const totals = new Float64Array(states);
  for (let state = 0; state < states; state += 1) {
    let total = 0;
    for (let at = rowStart[state]!; at < rowStart[state + 1]!; at += 1) total += count[at]!;
    totals[state] = total;
  }
  const reach = new Float64Array(states);
  reach[CONVERSION] = 1;
  // Later states are closer to the end of paths: sweeping them first carries the
  // conversion probability back to (start) in few sweeps.
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep += 1) {
    let change = 0;
    for (let state = states - 1; state >= 0; state -= 1) {
      if (state === CONVERSION || state === NULL || totals[state] === 0) continue;
      if (removed >= 0 && lastChannel[state] === removed) continue;
      let sum = 0;
      for (let at = rowStart[state]!; at < rowStart[state + 1]!; at += 1)
        sum += count[at]! * reach[target[at]!]!;
      const next = sum / totals[state]!;
      change = Math.max(change, Math.abs(next - reach[state]!));
      reach[state] = next;
    }
    if (change < TOLERANCE) return reach[START]!;
  }
  throw new Error(`the Markov chain did not converge in ${MAX_SWEEPS} sweeps`);
}

export function markov(paths: readonly AttributionPath[], options: MarkovOptions = {}): MarkovResult {
  const order = options.order ?? 1;
  if (!Number.isInteger(order) || order < 1 || order > MAX_MARKOV_ORDER) {
    throw new RangeError(`the Markov order must be an integer from 1 to ${MAX_MARKOV_ORDER}, got ${order}`);
  }
  const chain = countTransitions(paths, order, options.withNulls ?? false);
  const base = conversionProbability(chain);
  const effects = chain.channels.map((_, index) =>
    base > 0 ? Math.max(0, 1 - conversionProbability(chain, index) / base) : 0,
  );
  const effectSum = effects.reduce((sum, effect) => sum + effect, 0);
  const totalConversions = paths.reduce((sum, path) => sum + path.conversions, 0);
  const totalValue = paths.reduce((sum, path) => sum + path.value, 0);
  const channels: Record<string, ChannelCredit> = {};
  const removalEffects: Record<string, number> = {};
  chain.channels.forEach((name, index) => {
    const share = effectSum > 0 ? effects[index]! / effectSum : 0;
    channels[name] = { conversions: share * totalConversions, value: share * totalValue };
    removalEffects[name] = effects[index]!;
  });
  return {
    model: 'markov',
    order,
    channels,
    conversionProbability: base,
    removalEffects,
    states: chain.states,
  };
}
