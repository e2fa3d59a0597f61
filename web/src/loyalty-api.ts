// The recommendations and loyalty routes the dashboard calls. The answers' types come from the
// server's TypeBox schemas (types only: nothing of the server reaches the bundle).
import type { Badge, Campaign, EarnRule, Programme, Tier } from '../../src/loyalty/programme.ts';
import type { BadgeProgress, LedgerEntry, LoyaltyRun, PersonLoyalty } from '../../src/loyalty/schema.ts';
import type {
  RecommendationSettings,
  RefreshSummary,
  Rule,
  RulesReport,
} from '../../src/recommendations/schemas.ts';
import { request } from './api.ts';

export type {
  Badge,
  BadgeProgress,
  Campaign,
  EarnRule,
  LedgerEntry,
  LoyaltyRun,
  PersonLoyalty,
  Programme,
  RecommendationSettings,
  RefreshSummary,
  Rule,
  RulesReport,
  Tier,
};
export type Challenge = Badge['challenge'];

export const recommendApi = {
  status: () =>
    request<{ last: RefreshSummary | null; settings: RecommendationSettings }>(
      'GET',
      '/api/recommendations/status',
    ),
  saveSettings: (settings: RecommendationSettings) =>
    request<RecommendationSettings>('PUT', '/api/recommendations/settings', { body: settings }),
  refresh: () => request<RefreshSummary>('POST', '/api/recommendations/refresh'),
  rules: (query: { minSupport: number; minConfidence: number; basket: string; limit: number }) =>
    request<RulesReport>('GET', '/api/recommendations/rules', { query }),
};

export const loyaltyApi = {
  programme: () => request<Programme>('GET', '/api/loyalty/programme'),
  saveProgramme: (programme: Programme) =>
    request<Programme>('PUT', '/api/loyalty/programme', { body: programme }),
  person: (profileId: string) =>
    request<PersonLoyalty>('GET', `/api/loyalty/people/${encodeURIComponent(profileId)}`),
  adjust: (profileId: string, body: { points: number; reason: string; requestId: string }) =>
    request<{ balance: number }>('POST', `/api/loyalty/people/${encodeURIComponent(profileId)}/adjust`, {
      body,
    }),
  redeem: (profileId: string, body: { points: number; reason?: string; requestId: string }) =>
    request<{ ok: boolean; inserted: boolean; balance: number }>(
      'POST',
      `/api/loyalty/people/${encodeURIComponent(profileId)}/redeem`,
      { body },
    ),
  leaderboard: (limit: number) =>
    request<Array<{ profileId: string; balance: number; earned: number }>>(
      'GET',
      '/api/loyalty/leaderboard',
      {
        query: { limit },
      },
    ),
  status: () => request<{ last: LoyaltyRun | null }>('GET', '/api/loyalty/status'),
  overview: () =>
    request<{ badges: Record<string, number>; referrals: Record<string, number> }>(
      'GET',
      '/api/loyalty/overview',
    ),
  referral: (profileId: string) =>
    request<{
      code: string;
      referred: Array<{ refereeId: string; at: string; rewardedAt: string | null; outcome: string }>;
    }>('GET', `/api/loyalty/people/${encodeURIComponent(profileId)}/referral`),
  run: () => request<LoyaltyRun>('POST', '/api/loyalty/run'),
};
