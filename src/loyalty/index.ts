// Loyalty: the door to the module. It owns the programme (earn rules, bonus campaigns, tiers,
// expiry) and its pure rules, the append-only points ledger on either engine, the step that
// earns from events and keeps balances and tiers as traits, the /api/loyalty routes.

export { LOYALTY_PROCESSOR, loyaltyProcessor, runLoyaltyStep } from './processor.ts';
export {
  type Badge,
  badgesStepped,
  badgeTarget,
  badgeWindowStart,
  type Campaign,
  type Earning,
  type EarnRule,
  EMPTY_PROGRAMME,
  EXAMPLE_PROGRAMME,
  earningsFor,
  LOYALTY_EVENTS,
  type Programme,
  ProgrammeSchema,
  pointsToExpire,
  profileProgress,
  programmeIssues,
  type Tier,
  tierFor,
} from './programme.ts';
export { referralCode, referrerOf } from './referral.ts';
export { type LoyaltyRouteOptions, loyaltyRoutes } from './routes.ts';
export { type LoyaltyRuntime, type LoyaltyRuntimeOptions, startLoyalty } from './runtime.ts';
export {
  BADGE_EVENT,
  type BadgeProgress,
  LOYALTY_SOURCE,
  type LoyaltyDeps,
  LoyaltyService,
  type PersonLoyalty,
  type RunSummary,
  TIER_EVENT,
} from './service.ts';
export { type Debit, type EntryKind, type LedgerEntry, LoyaltyStore, type NewEntry } from './store.ts';
