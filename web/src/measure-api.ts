// The attribution API's shapes and calls for the Measure page (docs/attribution.md).
import { request } from './api.ts';

export const MODELS = ['markov', 'shapley', 'first', 'last', 'linear', 'position', 'time-decay'] as const;
export type Model = (typeof MODELS)[number];

export interface MeasureQuery {
  from: string;
  to: string;
  conversion: string;
  lookbackDays: number;
  order: number;
  withNulls: boolean;
  groupBy: 'channel' | 'campaign';
  segment: string;
}

export interface Credit {
  conversions: number;
  value: number;
}

export interface AttributionAnswer {
  conversions: number;
  value: number;
  conversionsWithoutRevenue: number;
  conversionsWithoutTouches: number;
  paths: number;
  people: number;
  channels: Array<{ channel: string; reach: number; touches: number; engaged: number; sends: number }>;
  models: Record<Model, Record<string, Credit>>;
  query: string;
}

export interface RoiRow {
  channel: string;
  reach: number;
  engaged: number;
  sends: number;
  conversions: number;
  value: number;
  spend: number;
  sendCost: number;
  cost: number;
  roas: number | null;
  roi: number | null;
  costPerConversion: number | null;
  incrementalConversions: number | null;
}

export interface HoldoutRoiRow {
  journeyId: string;
  stepId: string;
  channels: string[];
  treatedPeople: number;
  heldOutPeople: number;
  treatedRate: number | null;
  heldOutRate: number | null;
  incrementalConversions: number | null;
  incrementalConversionsInterval: [number, number] | null;
  incrementalRevenue: number | null;
  incrementalRevenueInterval: [number, number] | null;
  attributedConversions: number;
  attributedRevenue: number;
  cost: number;
  attributedRoi: number | null;
  incrementalRoi: number | null;
  incrementalRoiInterval: [number, number] | null;
}

export interface RoiAnswer {
  model: string;
  currency: string | null;
  conversions: number;
  value: number;
  rows: RoiRow[];
  unmatchedSpend: Array<{ channel: string; amount: number }>;
  holdouts: HoldoutRoiRow[];
  query: string;
  spendQuery: string;
}

export interface SpendImport {
  read: number;
  imported: number;
  currency: string | null;
  rejected: Array<{ line: number; field: string; reason: string }>;
}

function queryOf(q: MeasureQuery): Record<string, string | number> {
  return {
    from: q.from,
    to: q.to,
    conversion: q.conversion,
    lookbackDays: q.lookbackDays,
    order: q.order,
    withNulls: String(q.withNulls),
    groupBy: q.groupBy,
    ...(q.segment.trim() ? { segment: q.segment.trim() } : {}),
  };
}

/** The query string the page asked with, shown under each table so a number can be traced. */
export function describeCall(path: string, q: MeasureQuery, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams({
    ...Object.fromEntries(Object.entries(queryOf(q)).map(([k, v]) => [k, String(v)])),
    ...extra,
  });
  return `GET ${path}?${params.toString()}`;
}

export interface PortfolioAnswer {
  from: string;
  to: string;
  weeks: number;
  currency: string | null;
  baseline: number;
  rSquared: number;
  curves: Array<{
    channel: string;
    decay: number;
    beta: number;
    kappa: number;
    decayInterval: [number, number];
    points: Array<{ spend: number; revenue: number; low: number; high: number }>;
  }>;
  plan: {
    budget: number;
    channels: Array<{
      channel: string;
      currentSpend: number;
      suggestedSpend: number;
      marginalRoi: number;
      marginalRoiInterval: [number, number];
    }>;
    currentRevenue: number;
    suggestedRevenue: number;
    expectedGain: number;
    gainInterval: [number, number];
  };
  query: string;
  spendQuery: string;
}

export interface PreferenceRow {
  channel: string;
  reach: number;
  opened: number;
  clicked: number;
  converted: number;
  conversionRate: number | null;
  conversionInterval: [number, number] | null;
  preferred: number;
  preferredShare: number | null;
  preferredInterval: [number, number] | null;
  stated: number;
  statedShare: number | null;
  statedInterval: [number, number] | null;
  spend: number;
  spendShare: number | null;
  flag: 'spend-not-preferred' | 'preferred-starved' | null;
}

export interface PreferenceAnswer {
  from: string;
  to: string;
  segment: string | null;
  currency: string | null;
  people: number;
  withHistory: number;
  withStated: number;
  channels: PreferenceRow[];
  queries: { deliveries: string; stated: string; rates: string; converted: string; spend: string };
}

export function preferenceQuery(q: { from: string; to: string; segment: string }): Record<string, string> {
  return { from: q.from, to: q.to, ...(q.segment.trim() ? { segment: q.segment.trim() } : {}) };
}

export const measureApi = {
  preference: (q: { from: string; to: string; segment: string }) =>
    request<PreferenceAnswer>('GET', '/api/attribution/channel-preference', { query: preferenceQuery(q) }),
  portfolio: (query: { from: string; to: string; budget?: number }) =>
    request<PortfolioAnswer>('GET', '/api/attribution/portfolio', { query }),
  attribution: (q: MeasureQuery) =>
    request<AttributionAnswer>('GET', '/api/attribution', { query: queryOf(q) }),
  roi: (q: MeasureQuery, model: Model) =>
    request<RoiAnswer>('GET', '/api/attribution/roi', { query: { ...queryOf(q), model } }),
  importSpend: (csv: string, currency: string) =>
    request<SpendImport>('POST', '/api/attribution/spend', {
      body: { csv, ...(currency ? { currency } : {}) },
    }),
  sendCosts: () => request<Record<string, number>>('GET', '/api/attribution/send-costs'),
  setSendCost: (channel: string, cost: number) =>
    request<Record<string, number>>('PUT', `/api/attribution/send-costs/${encodeURIComponent(channel)}`, {
      body: { cost },
    }),
};
