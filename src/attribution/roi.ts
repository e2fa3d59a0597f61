// The ROI table: per channel (or channel / campaign), reach and engagement, the conversions and
// revenue a model credits it with, what it cost (imported spend plus Rapport's own sends at
// their cost per message), ROAS and ROI. Pure: the route gathers the inputs.
import type { SpendTotal } from '../store/index.ts';
import type { ChannelReach } from './report.ts';
import { campaignKey } from './touchpoints.ts';
import type { ChannelCredit } from './types.ts';

export interface RoiRow {
  channel: string;
  reach: number;
  engaged: number;
  sends: number;
  conversions: number;
  value: number;
  /** Imported spend over the range. */
  spend: number;
  /** sends × the channel's cost per message. */
  sendCost: number;
  cost: number;
  /** value / cost; null without cost. */
  roas: number | null;
  /** (value − cost) / cost; null without cost. */
  roi: number | null;
  costPerConversion: number | null;
  /**
   * Conversions caused, measured against a holdout (null until a holdout for the channel or
   * campaign exists: the experiments module's holdouts are the seam, docs/attribution.md).
   */
  incrementalConversions: number | null;
}

export interface RoiTable {
  rows: RoiRow[];
  /** Spend on a channel (or campaign) with no touch in the range: its name may not match. */
  unmatchedSpend: { channel: string; amount: number }[];
  currency: string | null;
}

export interface RoiInput {
  channels: readonly ChannelReach[];
  credit: Record<string, ChannelCredit>;
  spend: readonly SpendTotal[];
  sendCosts: Record<string, number>;
  groupBy: 'channel' | 'campaign';
}

export function roiTable(input: RoiInput): RoiTable {
  const spendByKey = new Map<string, number>();
  for (const total of input.spend) {
    const key = input.groupBy === 'campaign' ? campaignKey(total.channel, total.campaign) : total.channel;
    spendByKey.set(key, (spendByKey.get(key) ?? 0) + total.amount);
  }
  const touched = new Set(input.channels.map((channel) => channel.channel));
  const rows = input.channels.map((channel): RoiRow => {
    const credit = input.credit[channel.channel] ?? { conversions: 0, value: 0 };
    const spend = spendByKey.get(channel.channel) ?? 0;
    const perSend = input.sendCosts[baseChannel(channel.channel)] ?? 0;
    const sendCost = channel.sends * perSend;
    const cost = spend + sendCost;
    return {
      channel: channel.channel,
      reach: channel.reach,
      engaged: channel.engaged,
      sends: channel.sends,
      conversions: credit.conversions,
      value: credit.value,
      spend,
      sendCost,
      cost,
      roas: cost > 0 ? credit.value / cost : null,
      roi: cost > 0 ? (credit.value - cost) / cost : null,
      costPerConversion: cost > 0 && credit.conversions > 0 ? cost / credit.conversions : null,
      incrementalConversions: null,
    };
  });
  const unmatchedSpend = [...spendByKey]
    .filter(([key]) => !touched.has(key))
    .map(([channel, amount]) => ({ channel, amount }))
    .sort((a, b) => a.channel.localeCompare(b.channel));
  const currencies = new Set(input.spend.map((total) => total.currency));
  return { rows, unmatchedSpend, currency: currencies.size === 1 ? [...currencies][0]! : null };
}

/** `email / welcome` → `email`: send costs are per channel. */
function baseChannel(key: string): string {
  const at = key.indexOf(' / ');
  return at < 0 ? key : key.slice(0, at);
}
