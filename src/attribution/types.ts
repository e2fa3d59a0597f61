// What every attribution model reads and returns. A path is one kind of journey (the ordered
// channels people met) with how many people converted after it and how many did not.

export interface AttributionPath {
  /** Channels in the order they were met; at least one. Repeats are kept as they were met. */
  channels: readonly string[];
  /** People (or journeys) who converted after this path. */
  conversions: number;
  /** People who met this path and did not convert. */
  nulls: number;
  /** Revenue of those conversions (0 when unknown). */
  value: number;
  /**
   * Optional age of each touch before the conversion, in days (same length as `channels`).
   * Only the time-decay model reads it; without it a touch's age is its count of steps before
   * the last touch.
   */
  ages?: readonly number[];
}

export interface ChannelCredit {
  conversions: number;
  value: number;
}

export const MODEL_NAMES = [
  'first',
  'last',
  'linear',
  'position',
  'time-decay',
  'markov',
  'shapley',
] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

export interface Attribution {
  model: ModelName;
  /** Credit per channel, channels sorted by name. Sums to the paths' conversions and value. */
  channels: Record<string, ChannelCredit>;
}

/** Adds `share` of a path's conversions and value to `channel`. */
export function credit(
  totals: Map<string, ChannelCredit>,
  channel: string,
  share: number,
  path: AttributionPath,
): void {
  const current = totals.get(channel) ?? { conversions: 0, value: 0 };
  current.conversions += share * path.conversions;
  current.value += share * path.value;
  totals.set(channel, current);
}

export function sortedRecord(totals: Map<string, ChannelCredit>): Record<string, ChannelCredit> {
  const names = [...totals.keys()].sort();
  return Object.fromEntries(names.map((name) => [name, totals.get(name)!]));
}

/** Every channel of the paths, each once, sorted. */
export function channelsOf(paths: readonly AttributionPath[]): string[] {
  const names = new Set<string>();
  for (const path of paths) for (const channel of path.channels) names.add(channel);
  return [...names].sort();
}
