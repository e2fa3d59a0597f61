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
   * Conversions caused, measured against a holdout: set on a campaign row that is its journey's
   * only row when that journey's split has a holdout (see `holdoutRoi`); else null.
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

/** A journey's increment over its holdout (the experiments module measures it). */
export interface MeasuredIncrement {
  journeyId: string;
  stepId: string;
  conversions: IncrementFigures;
  revenue: IncrementFigures;
}

interface IncrementFigures {
  treated: { people: number; total: number };
  heldOut: { people: number; total: number };
  incremental: number | null;
  interval: [number, number] | null;
}

export interface HoldoutRoiRow {
  journeyId: string;
  stepId: string;
  /** The channels the journey's campaign rows touched people on. */
  channels: string[];
  treatedPeople: number;
  heldOutPeople: number;
  /** Conversions per person among the treated and the held out. */
  treatedRate: number | null;
  heldOutRate: number | null;
  incrementalConversions: number | null;
  incrementalConversionsInterval: [number, number] | null;
  incrementalRevenue: number | null;
  incrementalRevenueInterval: [number, number] | null;
  /** What the model credits the journey's campaign rows with (every channel it sent on). */
  attributedConversions: number;
  attributedRevenue: number;
  cost: number;
  /** (attributed revenue − cost) / cost, and the same on incremental revenue; null without cost. */
  attributedRoi: number | null;
  incrementalRoi: number | null;
  incrementalRoiInterval: [number, number] | null;
}

const roiOf = (revenue: number | null, cost: number) =>
  revenue === null || cost <= 0 ? null : (revenue - cost) / cost;

/**
 * Each journey with a holdout beside the credit its campaign rows got: ROI on the revenue the
 * journey caused against ROI on the revenue the model credits it with. `campaignRows` are the
 * ROI table grouped by campaign (`channel / journeyId`).
 */
export function holdoutRoi(
  increments: readonly MeasuredIncrement[],
  campaignRows: readonly RoiRow[],
): HoldoutRoiRow[] {
  return increments.map((increment) => {
    const rows = campaignRows.filter((row) => row.channel.endsWith(` / ${increment.journeyId}`));
    const attributedConversions = rows.reduce((sum, row) => sum + row.conversions, 0);
    const attributedRevenue = rows.reduce((sum, row) => sum + row.value, 0);
    const cost = rows.reduce((sum, row) => sum + row.cost, 0);
    const { conversions, revenue } = increment;
    const interval = revenue.interval;
    return {
      journeyId: increment.journeyId,
      stepId: increment.stepId,
      channels: [...new Set(rows.map((row) => baseChannel(row.channel)))].sort(),
      treatedPeople: conversions.treated.people,
      heldOutPeople: conversions.heldOut.people,
      treatedRate:
        conversions.treated.people > 0 ? conversions.treated.total / conversions.treated.people : null,
      heldOutRate:
        conversions.heldOut.people > 0 ? conversions.heldOut.total / conversions.heldOut.people : null,
      incrementalConversions: conversions.incremental,
      incrementalConversionsInterval: conversions.interval,
      incrementalRevenue: revenue.incremental,
      incrementalRevenueInterval: interval,
      attributedConversions,
      attributedRevenue,
      cost,
      attributedRoi: roiOf(attributedRevenue, cost),
      incrementalRoi: roiOf(revenue.incremental, cost),
      incrementalRoiInterval:
        interval && cost > 0 ? [(interval[0] - cost) / cost, (interval[1] - cost) / cost] : null,
    };
  });
}

/** Fills a campaign row's incremental conversions when it is its journey's only row. */
export function withIncrements(rows: readonly RoiRow[], increments: readonly HoldoutRoiRow[]): RoiRow[] {
  return rows.map((row) => {
    const journey = increments.find((inc) => row.channel.endsWith(` / ${inc.journeyId}`));
    if (!journey) return row;
    const siblings = rows.filter((other) => other.channel.endsWith(` / ${journey.journeyId}`));
    return siblings.length === 1 ? { ...row, incrementalConversions: journey.incrementalConversions } : row;
  });
}
