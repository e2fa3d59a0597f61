// "Is this the medium they prefer?" (docs/attribution.md): per channel, for the people of a
// segment, how many were reached, opened, clicked and converted, the share who prefer the
// channel (learned from their own sends and engagements, as best channel does) and the share
// who said so (a stated preference), each with a 95% interval, beside the channel's share of
// the spend, with a flag where the two disagree. Pure: the route gathers the rows.
import jStat from 'jstat';
import { type Channel, type ChannelRecord, rankChannels } from '../conductor/index.ts';

export interface DeliveryCount {
  person: string;
  channel: string;
  sent: number;
  engaged: number;
  clicked: number;
}

export type Interval = [number, number];

export type PreferenceFlag = 'spend-not-preferred' | 'preferred-starved' | null;

export interface ChannelPreferenceRow {
  channel: string;
  /** People with at least one send of the channel in the range. */
  reach: number;
  opened: number;
  clicked: number;
  /** People reached by the channel who did the conversion event in the range. */
  converted: number;
  conversionRate: number | null;
  conversionInterval: Interval | null;
  /** People whose learned best channel (among the channels that reached them) is this one. */
  preferred: number;
  preferredShare: number | null;
  preferredInterval: Interval | null;
  /** People whose stated preference is this channel. */
  stated: number;
  statedShare: number | null;
  statedInterval: Interval | null;
  spend: number;
  spendShare: number | null;
  flag: PreferenceFlag;
}

export interface ChannelPreferenceReport {
  /** People read: everyone with a delivery or a stated preference (or the segment's members). */
  people: number;
  /** People with at least one send: the denominator of the learned shares. */
  withHistory: number;
  /** People who stated a preference: the denominator of the stated shares. */
  withStated: number;
  channels: ChannelPreferenceRow[];
}

export interface PreferenceInput {
  deliveries: readonly DeliveryCount[];
  /** Person → the channel they last said they prefer. */
  stated: ReadonlyMap<string, string>;
  converted: ReadonlySet<string>;
  /**
   * Engaged over sent per channel across everyone (not only the segment): the prior a person
   * with few sends is pulled toward. A segment's own rates would pull everyone toward the
   * segment's majority and overstate its share. Absent: these people's own rates.
   */
  populationRates?: Readonly<Record<string, number>> | undefined;
  /** The segment's size when the report is for a segment. */
  members?: number | undefined;
  /** Spend per channel over the range. */
  spend: Readonly<Record<string, number>>;
}

/** Jeffreys interval for k of n: the 2.5% and 97.5% quantiles of Beta(k + ½, n − k + ½). */
export function proportionInterval(k: number, n: number): Interval | null {
  if (n <= 0) return null;
  const alpha = k + 0.5;
  const beta = n - k + 0.5;
  return [k === 0 ? 0 : jStat.beta.inv(0.025, alpha, beta), k === n ? 1 : jStat.beta.inv(0.975, alpha, beta)];
}

/** A flag when the channel's share of the spend is far from the share who prefer it (half or double, at the interval's edge). */
export function preferenceFlag(spendShare: number | null, preferred: Interval | null): PreferenceFlag {
  if (spendShare === null || preferred === null) return null;
  if (spendShare > 0 && preferred[1] < spendShare / 2) return 'spend-not-preferred';
  if (preferred[0] > 2 * spendShare) return 'preferred-starved';
  return null;
}

interface Tally {
  reach: Set<string>;
  opened: Set<string>;
  clicked: Set<string>;
  preferred: number;
  stated: number;
}

export function channelPreferenceReport(input: PreferenceInput): ChannelPreferenceReport {
  const byPerson = new Map<string, DeliveryCount[]>();
  const tallies = new Map<string, Tally>();
  const tally = (channel: string) => {
    let entry = tallies.get(channel);
    if (!entry) {
      entry = { reach: new Set(), opened: new Set(), clicked: new Set(), preferred: 0, stated: 0 };
      tallies.set(channel, entry);
    }
    return entry;
  };
  const totals = new Map<string, ChannelRecord>();
  for (const row of input.deliveries) {
    if (row.sent <= 0) continue;
    const list = byPerson.get(row.person) ?? [];
    list.push(row);
    byPerson.set(row.person, list);
    const entry = tally(row.channel);
    entry.reach.add(row.person);
    if (row.engaged > 0) entry.opened.add(row.person);
    if (row.clicked > 0) entry.clicked.add(row.person);
    const total = totals.get(row.channel) ?? { sent: 0, engaged: 0 };
    total.sent += row.sent;
    total.engaged += row.engaged;
    totals.set(row.channel, total);
  }
  const segmentRates =
    input.populationRates ??
    Object.fromEntries([...totals].map(([channel, t]) => [channel, t.engaged / t.sent]));
  for (const rows of byPerson.values()) {
    const best = rankChannels({
      // The SQL names only message channels (src/channels' CHANNEL_OF_EVENT).
      channels: rows.map((row) => row.channel as Channel),
      own: Object.fromEntries(rows.map((row) => [row.channel, { sent: row.sent, engaged: row.engaged }])),
      segmentRates,
    })[0];
    if (best) tally(best.channel).preferred += 1;
  }
  for (const channel of input.stated.values()) tally(channel).stated += 1;

  const withHistory = byPerson.size;
  const withStated = input.stated.size;
  const everyone = new Set([...byPerson.keys(), ...input.stated.keys()]);
  // Only channels a preference can be learned or stated for share the spend: paid search or
  // display reach nobody through a message, so no one could be counted as preferring them.
  const totalSpend = [...tallies.keys()].reduce((sum, channel) => sum + (input.spend[channel] ?? 0), 0);
  const channels = [...tallies].map(([channel, entry]): ChannelPreferenceRow => {
    const reach = entry.reach.size;
    const converted = [...entry.reach].filter((person) => input.converted.has(person)).length;
    const preferredInterval = proportionInterval(entry.preferred, withHistory);
    const spend = input.spend[channel] ?? 0;
    const spendShare = totalSpend > 0 ? spend / totalSpend : null;
    return {
      channel,
      reach,
      opened: entry.opened.size,
      clicked: entry.clicked.size,
      converted,
      conversionRate: reach > 0 ? converted / reach : null,
      conversionInterval: proportionInterval(converted, reach),
      preferred: entry.preferred,
      preferredShare: withHistory > 0 ? entry.preferred / withHistory : null,
      preferredInterval,
      stated: entry.stated,
      statedShare: withStated > 0 ? entry.stated / withStated : null,
      statedInterval: proportionInterval(entry.stated, withStated),
      spend,
      spendShare,
      flag: preferenceFlag(spendShare, preferredInterval),
    };
  });
  channels.sort(
    (a, b) => b.preferred - a.preferred || b.reach - a.reach || a.channel.localeCompare(b.channel),
  );
  return { people: input.members ?? everyone.size, withHistory, withStated, channels };
}
