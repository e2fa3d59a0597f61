// The recommendations and loyalty routes the dashboard calls (shapes from the OpenAPI document).
import { request } from './api.ts';

export interface Rule {
  lhs: string[];
  rhs: string[];
  support: number;
  confidence: number;
  lift: number;
  count: number;
  llr: number;
}
export interface RecommendationSettings {
  minSupport: number;
  minConfidence: number;
  minCount: number;
  minLlr: number;
  basket: 'order' | 'person';
  days: number;
  limit: number;
  exclude: string[];
  holdoutShare: number;
  triggerAfterDays: number;
  refreshHours: number;
}
export interface RefreshSummary {
  computedAt: string;
  baskets: number;
  items: number;
  rules: number;
  topRules: Rule[];
  people: number;
  withRecommendations: number;
  holdout: number;
  withoutConsent: number;
  changed: number;
  due: number;
  warnings: string[];
  settings: RecommendationSettings;
}
export interface RulesReport {
  baskets: number;
  items: number;
  count: number;
  rules: Rule[];
  warnings: string[];
  orders: number;
  computedAt: string;
}
export interface EarnRule {
  id: string;
  event: string;
  points?: number;
  pointsPerUnit?: number;
  amountProperty?: string;
}
export interface Campaign {
  id: string;
  rules?: string[];
  multiplier: number;
  from: string;
  until: string;
}
export interface Tier {
  id: string;
  name: string;
  minPoints: number;
  benefits?: string[];
}
export type Challenge =
  | { kind: 'events'; event: string; count: number; withinDays?: number }
  | { kind: 'referrals'; count: number }
  | { kind: 'profile'; traits: string[] };
export interface Badge {
  id: string;
  name: string;
  description?: string;
  challenge: Challenge;
  points?: number;
}
export interface Programme {
  earnRules: EarnRule[];
  campaigns: Campaign[];
  tiers: Tier[];
  tierWindowDays: number;
  expiryDays: number;
  referralPoints?: number;
  refereePoints?: number;
  referralCap?: number;
  referralLandingUrl?: string;
  badges?: Badge[];
  allowNegative: boolean;
}
export interface BadgeProgress {
  id: string;
  name: string;
  description: string | null;
  progress: number;
  target: number;
  awardedAt: string | null;
}
export interface LedgerEntry {
  id: number;
  kind: string;
  points: number;
  reason: string | null;
  sourceMessageId: string | null;
  ruleId: string | null;
  campaignId: string | null;
  at: string;
}
export interface PersonLoyalty {
  profileId: string;
  balance: number;
  qualifyingPoints: number;
  tier: Tier | null;
  entries: LedgerEntry[];
  badges: BadgeProgress[];
}
export interface LoyaltyRun {
  at: string;
  eventsRead: number;
  earned: number;
  pointsEarned: number;
  expired: number;
  tierChanges: number;
  traitsWritten: number;
  badgesAnnounced: number;
}

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
