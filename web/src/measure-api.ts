// The attribution API's shapes and calls for the Measure page (docs/attribution.md). The ROI,
// spend, portfolio and preference answers are the server's TypeBox types (types only).
import type {
  HoldoutRoiRow,
  PortfolioAnswer,
  PreferenceAnswer,
  PreferenceRow,
  RoiAnswer,
  RoiRow,
  SpendImport,
} from '../../src/attribution/schema.ts';
import { request } from './api.ts';

export type {
  HoldoutRoiRow,
  PortfolioAnswer,
  PreferenceAnswer,
  PreferenceRow,
  RoiAnswer,
  RoiRow,
  SpendImport,
};

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
  channels: Array<{ channel: string; reach: number; touches: number; engaged: number }>;
  models: Record<Model, Record<string, Credit>>;
  query: string;
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
