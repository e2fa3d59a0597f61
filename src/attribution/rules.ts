// The rule-based models: each splits every converting path's conversions and value among its
// touches by a fixed rule. They need no fitting and ignore paths without conversions. Their
// definitions follow the ChannelAttribution package (first, last, linear) and Google
// Analytics' classic rules (position-based 40/20/40, time decay with a 7-day half-life).
import {
  type Attribution,
  type AttributionPath,
  type ChannelCredit,
  channelsOf,
  credit,
  sortedRecord,
} from './types.ts';

/** Weights of a path's touches (same length as its channels, summing to 1). */
type TouchWeights = (path: AttributionPath) => readonly number[];

function byRule(
  model: Attribution['model'],
  paths: readonly AttributionPath[],
  weights: TouchWeights,
): Attribution {
  // Every channel is listed, with 0 when it earned nothing, so models compare row by row.
  const totals = new Map<string, ChannelCredit>(
    channelsOf(paths).map((name) => [name, { conversions: 0, value: 0 }]),
  );
  for (const path of paths) {
    if (path.conversions === 0 && path.value === 0) continue;
    const shares = weights(path);
    path.channels.forEach((channel, index) => {
      credit(totals, channel, shares[index]!, path);
    });
  }
  return { model, channels: sortedRecord(totals) };
}

const oneHot = (length: number, at: number): number[] =>
  Array.from({ length }, (_, index) => (index === at ? 1 : 0));

export function firstTouch(paths: readonly AttributionPath[]): Attribution {
  return byRule('first', paths, (path) => oneHot(path.channels.length, 0));
}

export function lastTouch(paths: readonly AttributionPath[]): Attribution {
  return byRule('last', paths, (path) => oneHot(path.channels.length, path.channels.length - 1));
}

/** Every touch gets an equal share (a channel met twice gets two shares). */
export function linear(paths: readonly AttributionPath[]): Attribution {
  return byRule('linear', paths, (path) => {
    const n = path.channels.length;
    return Array.from({ length: n }, () => 1 / n);
  });
}

export const POSITION_ENDS_SHARE = 0.4;

/**
 * Position-based ("U-shaped"): the first and the last touch 40% each, the touches between
 * share the remaining 20%; a two-touch path splits 50/50 and a one-touch path gets it all.
 */
export function positionBased(
  paths: readonly AttributionPath[],
  endsShare = POSITION_ENDS_SHARE,
): Attribution {
  return byRule('position', paths, (path) => {
    const n = path.channels.length;
    if (n === 1) return [1];
    if (n === 2) return [0.5, 0.5];
    const middle = (1 - 2 * endsShare) / (n - 2);
    return Array.from({ length: n }, (_, index) => (index === 0 || index === n - 1 ? endsShare : middle));
  });
}

export const DEFAULT_HALF_LIFE_DAYS = 7;

/**
 * Time decay: a touch's weight halves every `halfLife` before the conversion, then the weights
 * are normalised. Ages come from the path (days) when it has them, else a touch's age is its
 * number of steps before the last touch (and `halfLife` is counted in steps).
 */
export function timeDecay(paths: readonly AttributionPath[], halfLife = DEFAULT_HALF_LIFE_DAYS): Attribution {
  if (!(halfLife > 0)) throw new RangeError(`the half-life must be positive, got ${halfLife}`);
  return byRule('time-decay', paths, (path) => {
    const n = path.channels.length;
    const ages = path.ages ?? path.channels.map((_, index) => n - 1 - index);
    const raw = ages.map((age) => 2 ** (-Math.max(0, age) / halfLife));
    const sum = raw.reduce((total, weight) => total + weight, 0);
    return raw.map((weight) => weight / sum);
  });
}
