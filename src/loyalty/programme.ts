// The loyalty programme as data, and the pure rules over it: what an event earns (earn rules,
// bonus campaigns with dates), which earn rules would loop, which tier points qualify for, and
// how many points expire. No I/O; the service runs these over the ledger.
import { type Static, Type } from '@sinclair/typebox';

const Id = Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_.-]+$' });

export const EarnRuleSchema = Type.Object(
  {
    id: Id,
    /** The tracked event that earns (Order Completed, Product Reviewed, Referral Sent …). */
    event: Type.String({ minLength: 1 }),
    /** Points per whole currency unit of `amountProperty` (Order Completed: revenue). */
    pointsPerUnit: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    amountProperty: Type.Optional(Type.String({ minLength: 1, default: 'revenue' })),
    /** Fixed points per event (a review, a bug report, a reference). */
    points: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);

export const CampaignSchema = Type.Object(
  {
    id: Id,
    /** Earn rules it multiplies; all when absent. */
    rules: Type.Optional(Type.Array(Id)),
    multiplier: Type.Number({ exclusiveMinimum: 1, maximum: 10 }),
    from: Type.String({ format: 'date-time' }),
    until: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);

export const TierSchema = Type.Object(
  {
    id: Id,
    name: Type.String({ minLength: 1 }),
    /** Points earned within the qualification window to hold the tier. */
    minPoints: Type.Integer({ minimum: 0 }),
    /** Benefits as data, shown and usable in templates; Rapport does not interpret them. */
    benefits: Type.Optional(Type.Array(Type.String())),
  },
  { additionalProperties: false },
);

const EventsChallenge = Type.Object(
  {
    kind: Type.Literal('events'),
    /** The tracked event that counts (Order Completed: "buy 3 times in 30 days"). */
    event: Type.String({ minLength: 1 }),
    count: Type.Integer({ minimum: 1, maximum: 1000 }),
    /** Counted within a window ending at each event; the whole history when absent. */
    withinDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })),
  },
  { additionalProperties: false },
);
const ReferralsChallenge = Type.Object(
  {
    kind: Type.Literal('referrals'),
    /** People referred who went on to buy ("refer a friend": 1). */
    count: Type.Integer({ minimum: 1, maximum: 1000 }),
  },
  { additionalProperties: false },
);
const ProfileChallenge = Type.Object(
  {
    kind: Type.Literal('profile'),
    /** Traits that must all have a value ("complete your profile"). */
    traits: Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { minItems: 1, maxItems: 50 }),
  },
  { additionalProperties: false },
);

export const BadgeSchema = Type.Object(
  {
    id: Id,
    name: Type.String({ minLength: 1, maxLength: 100 }),
    description: Type.Optional(Type.String({ maxLength: 500 })),
    challenge: Type.Union([EventsChallenge, ReferralsChallenge, ProfileChallenge]),
    /** Points credited once, when the badge is awarded; 0 or absent: none. */
    points: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
  },
  { additionalProperties: false },
);

export const ProgrammeSchema = Type.Object(
  {
    earnRules: Type.Array(EarnRuleSchema),
    campaigns: Type.Array(CampaignSchema, { default: [] }),
    tiers: Type.Array(TierSchema, { default: [] }),
    /** Qualification window for tiers: points earned in the last N days. */
    tierWindowDays: Type.Integer({ minimum: 1, default: 365 }),
    /** Earned points expire this many days after they were earned; 0 = never. */
    expiryDays: Type.Integer({ minimum: 0, default: 0 }),
    /** Points for the referrer when someone they referred makes a first purchase; 0 = none. */
    referralPoints: Type.Integer({ minimum: 0, default: 0 }),
    /** Points for the referred person on that first purchase (both sides are credited); 0 = none. */
    refereePoints: Type.Integer({ minimum: 0, default: 0 }),
    /** Most referrals one person is rewarded for; later ones are recorded as capped. 0 = no cap. */
    referralCap: Type.Integer({ minimum: 0, default: 0 }),
    /** Where a referral link (`/r/CODE`) sends the visitor, with `ref=CODE` added. */
    referralLandingUrl: Type.Optional(Type.String({ format: 'uri', pattern: '^https?://', maxLength: 2000 })),
    /** Badges and challenges, each awarded once per person. */
    badges: Type.Array(BadgeSchema, { default: [] }),
    /** Whether an admin adjustment may take a balance below zero. */
    allowNegative: Type.Boolean({ default: false }),
  },
  { additionalProperties: false },
);

export type EarnRule = Static<typeof EarnRuleSchema>;
export type Campaign = Static<typeof CampaignSchema>;
export type Tier = Static<typeof TierSchema>;
export type Badge = Static<typeof BadgeSchema>;
export type Programme = Static<typeof ProgrammeSchema>;

export const EMPTY_PROGRAMME: Programme = {
  earnRules: [],
  campaigns: [],
  tiers: [],
  tierWindowDays: 365,
  expiryDays: 0,
  referralPoints: 0,
  refereePoints: 0,
  referralCap: 0,
  badges: [],
  allowNegative: false,
};

/** A starting programme (the demo sets it): orders, reviews, referrals and bug reports earn. */
export const EXAMPLE_PROGRAMME: Programme = {
  earnRules: [
    { id: 'orders', event: 'Order Completed', pointsPerUnit: 1 },
    { id: 'reviews', event: 'Product Reviewed', points: 50 },
    { id: 'referrals', event: 'Referral Sent', points: 100 },
    { id: 'bug-reports', event: 'Bug Reported', points: 25 },
  ],
  campaigns: [],
  tiers: [
    { id: 'silver', name: 'Silver', minPoints: 200 },
    { id: 'gold', name: 'Gold', minPoints: 1000, benefits: ['free shipping'] },
  ],
  tierWindowDays: 365,
  expiryDays: 730,
  referralPoints: 100,
  refereePoints: 50,
  referralCap: 20,
  badges: [
    {
      id: 'regular',
      name: 'Regular',
      description: 'Buy 3 times in 30 days',
      challenge: { kind: 'events', event: 'Order Completed', count: 3, withinDays: 30 },
      points: 100,
    },
    {
      id: 'advocate',
      name: 'Advocate',
      description: 'Refer a friend who buys',
      challenge: { kind: 'referrals', count: 1 },
    },
    {
      id: 'complete-profile',
      name: 'Complete profile',
      description: 'Give your name and email',
      challenge: { kind: 'profile', traits: ['email', 'first_name'] },
      points: 20,
    },
  ],
  allowNegative: false,
};

/** Events loyalty itself writes: an earn rule on one would earn on its own output, forever. */
export const LOYALTY_EVENTS = [
  'Loyalty Tier Changed',
  'Points Earned',
  'Points Redeemed',
  'Points Expired',
  'Badge Awarded',
  'Referral Link Opened',
];

function loops(event: string): boolean {
  return (
    LOYALTY_EVENTS.includes(event) ||
    /^points\b/i.test(event) ||
    /^loyalty\b/i.test(event) ||
    /^badge\b/i.test(event)
  );
}

/** Every problem of a programme, each naming its place; empty when it can be saved. */
export function programmeIssues(programme: Programme): string[] {
  const issues: string[] = [];
  const ruleIds = new Set<string>();
  programme.earnRules.forEach((rule, i) => {
    const at = `earnRules[${i}] (${rule.id})`;
    if (ruleIds.has(rule.id)) issues.push(`${at}: duplicate id`);
    ruleIds.add(rule.id);
    if (loops(rule.event)) {
      issues.push(`${at}: earning on "${rule.event}" would loop (points earned on a points event)`);
    }
    if ((rule.points === undefined) === (rule.pointsPerUnit === undefined)) {
      issues.push(`${at}: give either points (per event) or pointsPerUnit (per currency unit)`);
    }
  });
  programme.campaigns.forEach((campaign, i) => {
    const at = `campaigns[${i}] (${campaign.id})`;
    if (!(Date.parse(campaign.from) < Date.parse(campaign.until)))
      issues.push(`${at}: from must be before until`);
    for (const id of campaign.rules ?? [])
      if (!ruleIds.has(id)) issues.push(`${at}: unknown earn rule ${id}`);
  });
  const badgeIds = new Set<string>();
  (programme.badges ?? []).forEach((badge, i) => {
    const at = `badges[${i}] (${badge.id})`;
    if (badgeIds.has(badge.id)) issues.push(`${at}: duplicate id`);
    badgeIds.add(badge.id);
    if (badge.challenge.kind === 'events' && loops(badge.challenge.event)) {
      issues.push(
        `${at}: a challenge on "${badge.challenge.event}" would loop (badges earned on a loyalty event)`,
      );
    }
  });
  const tierIds = new Set<string>();
  programme.tiers.forEach((tier, i) => {
    if (tierIds.has(tier.id)) issues.push(`tiers[${i}] (${tier.id}): duplicate id`);
    tierIds.add(tier.id);
    const previous = programme.tiers[i - 1];
    if (previous && tier.minPoints <= previous.minPoints) {
      issues.push(`tiers[${i}] (${tier.id}): minPoints must rise from one tier to the next`);
    }
  });
  return issues;
}

export interface TrackedEvent {
  messageId: string;
  name: string;
  timestamp: string;
  properties: Record<string, unknown>;
}

export interface Earning {
  ruleId: string;
  points: number;
  campaignId: string | null;
}

function amountOf(properties: Record<string, unknown>, name: string): number | undefined {
  const raw = properties[name] ?? (name === 'revenue' ? properties.total : undefined);
  const amount = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  return typeof amount === 'number' && Number.isFinite(amount) && amount > 0 ? amount : undefined;
}

/** What one event earns under each matching rule (whole points, rounded down), with its campaign. */
export function earningsFor(programme: Programme, event: TrackedEvent): Earning[] {
  const at = Date.parse(event.timestamp);
  const earnings: Earning[] = [];
  for (const rule of programme.earnRules) {
    if (rule.event !== event.name) continue;
    let base = rule.points ?? 0;
    if (rule.pointsPerUnit !== undefined) {
      const amount = amountOf(event.properties, rule.amountProperty ?? 'revenue');
      if (amount === undefined) continue;
      base = amount * rule.pointsPerUnit;
    }
    const campaign = programme.campaigns
      .filter(
        (c) =>
          (!c.rules || c.rules.includes(rule.id)) && Date.parse(c.from) <= at && at < Date.parse(c.until),
      )
      .sort((a, b) => b.multiplier - a.multiplier)[0];
    const points = Math.floor(base * (campaign?.multiplier ?? 1));
    if (points > 0) earnings.push({ ruleId: rule.id, points, campaignId: campaign?.id ?? null });
  }
  return earnings;
}

/** The highest tier the qualifying points reach, or null. */
export function tierFor(programme: Programme, qualifyingPoints: number): Tier | null {
  let reached: Tier | null = null;
  for (const tier of programme.tiers) if (qualifyingPoints >= tier.minPoints) reached = tier;
  return reached;
}

/**
 * Points to expire now, oldest used first: what was earned and has passed its expiry, less what
 * has already left the balance (redeemed, expired, adjusted down), never more than the balance.
 */
export function pointsToExpire(expiredEarned: number, spent: number, balance: number): number {
  return Math.max(0, Math.min(balance, expiredEarned - spent));
}

/** Badges whose challenge this tracked event is a step of. */
export function badgesStepped(programme: Programme, eventName: string): Badge[] {
  return (programme.badges ?? []).filter(
    (badge) => badge.challenge.kind === 'events' && badge.challenge.event === eventName,
  );
}

/** How many steps a badge needs. */
export function badgeTarget(badge: Badge): number {
  return badge.challenge.kind === 'profile' ? badge.challenge.traits.length : badge.challenge.count;
}

/** The start of an events challenge's window ending at `at`, or null for the whole history. */
export function badgeWindowStart(badge: Badge, at: string): string | null {
  if (badge.challenge.kind !== 'events' || badge.challenge.withinDays === undefined) return null;
  return new Date(Date.parse(at) - badge.challenge.withinDays * 86_400_000).toISOString();
}

/** A profile challenge's progress: how many of its traits have a value. */
export function profileProgress(badge: Badge, traits: Readonly<Record<string, unknown>>): number {
  if (badge.challenge.kind !== 'profile') return 0;
  return badge.challenge.traits.filter((name) => {
    const value = traits[name];
    return value !== undefined && value !== null && !(typeof value === 'string' && value.trim() === '');
  }).length;
}
