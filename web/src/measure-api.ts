// The attribution API's calls for the Measure page (docs/attribution.md). Every answer is the
// server's TypeBox type (types only); the page's form and its query string live with the page.
import type {
  AttributionAnswer,
  Credit,
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
  AttributionAnswer,
  Credit,
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

/** The query string of the attribution and ROI routes, as the page builds it from its form. */
export type AttributionParams = Record<string, string | number>;

export function preferenceQuery(q: { from: string; to: string; segment: string }): Record<string, string> {
  return { from: q.from, to: q.to, ...(q.segment.trim() ? { segment: q.segment.trim() } : {}) };
}

export const measureApi = {
  preference: (q: { from: string; to: string; segment: string }) =>
    request<PreferenceAnswer>('GET', '/api/attribution/channel-preference', { query: preferenceQuery(q) }),
  portfolio: (query: { from: string; to: string; budget?: number }) =>
    request<PortfolioAnswer>('GET', '/api/attribution/portfolio', { query }),
  attribution: (params: AttributionParams) =>
    request<AttributionAnswer>('GET', '/api/attribution', { query: params }),
  roi: (params: AttributionParams, model: Model) =>
    request<RoiAnswer>('GET', '/api/attribution/roi', { query: { ...params, model } }),
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
