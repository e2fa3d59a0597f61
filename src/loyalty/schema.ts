// The loyalty API's answers (TypeBox): the routes serialise with them, the OpenAPI document shows
// them, and the dashboard imports their types (web/src/loyalty-api.ts), so one source says the shape.
import { type Static, Type } from '@sinclair/typebox';
import { TierSchema } from './programme.ts';

export const BadgeProgressSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  progress: Type.Integer(),
  target: Type.Integer(),
  awardedAt: Type.Union([Type.String(), Type.Null()]),
});

export const EntrySchema = Type.Object({
  id: Type.Integer(),
  key: Type.String(),
  profileId: Type.String(),
  kind: Type.String(),
  points: Type.Integer(),
  reason: Type.Union([Type.String(), Type.Null()]),
  sourceMessageId: Type.Union([Type.String(), Type.Null()]),
  ruleId: Type.Union([Type.String(), Type.Null()]),
  campaignId: Type.Union([Type.String(), Type.Null()]),
  at: Type.String(),
  expiresAt: Type.Union([Type.String(), Type.Null()]),
});
export const PersonSchema = Type.Object({
  profileId: Type.String(),
  balance: Type.Integer(),
  qualifyingPoints: Type.Integer(),
  tier: Type.Union([TierSchema, Type.Null()]),
  entries: Type.Array(EntrySchema),
  badges: Type.Array(BadgeProgressSchema),
});
export const RunSchema = Type.Object({
  at: Type.String(),
  eventsRead: Type.Integer(),
  earned: Type.Integer(),
  pointsEarned: Type.Integer(),
  expired: Type.Integer(),
  tierChanges: Type.Integer(),
  traitsWritten: Type.Integer(),
  badgesAnnounced: Type.Integer(),
});

export type BadgeProgress = Static<typeof BadgeProgressSchema>;
export type LedgerEntry = Static<typeof EntrySchema>;
export type PersonLoyalty = Static<typeof PersonSchema>;
export type LoyaltyRun = Static<typeof RunSchema>;
