// The programme's pure rules: earnings per currency unit and per event, campaigns by date,
// loops and other bad programmes refused with their place named, tiers, expiry.
import { describe, expect, it } from 'vitest';
import {
  type Badge,
  badgesStepped,
  badgeTarget,
  badgeWindowStart,
  EMPTY_PROGRAMME,
  EXAMPLE_PROGRAMME,
  earningsFor,
  type Programme,
  pointsToExpire,
  profileProgress,
  programmeIssues,
  tierFor,
} from '../../src/loyalty/index.ts';

const programme: Programme = {
  ...EMPTY_PROGRAMME,
  earnRules: [
    { id: 'orders', event: 'Order Completed', pointsPerUnit: 1, amountProperty: 'revenue' },
    { id: 'reviews', event: 'Product Reviewed', points: 50 },
  ],
  campaigns: [
    {
      id: 'double-december',
      rules: ['orders'],
      multiplier: 2,
      from: '2025-12-01T00:00:00Z',
      until: '2026-01-01T00:00:00Z',
    },
  ],
  tiers: [
    { id: 'silver', name: 'Silver', minPoints: 500 },
    { id: 'gold', name: 'Gold', minPoints: 2000, benefits: ['free shipping'] },
  ],
};

const event = (name: string, timestamp: string, properties: Record<string, unknown> = {}) => ({
  messageId: 'm1',
  name,
  timestamp,
  properties,
});

describe('earningsFor', () => {
  it('earns per whole point of revenue (or total, or a numeric string), rounded down', () => {
    expect(
      earningsFor(programme, event('Order Completed', '2025-06-01T10:00:00Z', { revenue: 99.99 })),
    ).toEqual([{ ruleId: 'orders', points: 99, campaignId: null }]);
    expect(
      earningsFor(programme, event('Order Completed', '2025-06-01T10:00:00Z', { total: '20.5' }))[0]!.points,
    ).toBe(20);
    expect(earningsFor(programme, event('Order Completed', '2025-06-01T10:00:00Z', { revenue: -5 }))).toEqual(
      [],
    );
    expect(earningsFor(programme, event('Order Completed', '2025-06-01T10:00:00Z', {}))).toEqual([]);
  });

  it('multiplies inside a campaign’s dates only, and only its rules', () => {
    const inside = earningsFor(programme, event('Order Completed', '2025-12-24T10:00:00Z', { revenue: 10 }));
    expect(inside).toEqual([{ ruleId: 'orders', points: 20, campaignId: 'double-december' }]);
    expect(
      earningsFor(programme, event('Order Completed', '2026-01-01T00:00:00Z', { revenue: 10 }))[0]!.points,
    ).toBe(10);
    expect(earningsFor(programme, event('Product Reviewed', '2025-12-24T10:00:00Z'))).toEqual([
      { ruleId: 'reviews', points: 50, campaignId: null },
    ]);
  });
});

describe('programmeIssues', () => {
  it('accepts a good programme', () => {
    expect(programmeIssues(programme)).toEqual([]);
  });

  it('refuses earn rules that would loop, and names every other problem', () => {
    const bad: Programme = {
      ...programme,
      earnRules: [
        { id: 'loop', event: 'Points Earned', points: 1 },
        { id: 'tier', event: 'Loyalty Tier Changed', points: 1 },
        { id: 'both', event: 'Order Completed', points: 1, pointsPerUnit: 1 },
        { id: 'both', event: 'Signed Up', points: 5 },
      ],
      campaigns: [
        {
          id: 'c',
          rules: ['nope'],
          multiplier: 2,
          from: '2026-01-02T00:00:00Z',
          until: '2026-01-01T00:00:00Z',
        },
      ],
      tiers: [
        { id: 'a', name: 'A', minPoints: 100 },
        { id: 'b', name: 'B', minPoints: 100 },
      ],
    };
    expect(programmeIssues(bad)).toEqual([
      'earnRules[0] (loop): earning on "Points Earned" would loop (points earned on a points event)',
      'earnRules[1] (tier): earning on "Loyalty Tier Changed" would loop (points earned on a points event)',
      'earnRules[2] (both): give either points (per event) or pointsPerUnit (per currency unit)',
      'earnRules[3] (both): duplicate id',
      'campaigns[0] (c): from must be before until',
      'campaigns[0] (c): unknown earn rule nope',
      'tiers[1] (b): minPoints must rise from one tier to the next',
    ]);
  });
});

describe('tiers and expiry', () => {
  it('gives the highest tier the qualifying points reach', () => {
    expect(tierFor(programme, 499)).toBeNull();
    expect(tierFor(programme, 500)?.id).toBe('silver');
    expect(tierFor(programme, 5000)?.id).toBe('gold');
  });

  it('expires earned points past their date, oldest spent first, never below zero', () => {
    // 100 earned and expired, 30 already spent: 70 expire.
    expect(pointsToExpire(100, 30, 120)).toBe(70);
    // spent more than what expired: nothing left of it to expire
    expect(pointsToExpire(100, 150, 50)).toBe(0);
    expect(pointsToExpire(100, 0, 40)).toBe(40);
  });
});

describe('badges and challenges', () => {
  const regular: Badge = {
    id: 'regular',
    name: 'Regular',
    challenge: { kind: 'events', event: 'Order Completed', count: 3, withinDays: 30 },
  };
  const profile: Badge = {
    id: 'complete',
    name: 'Complete profile',
    challenge: { kind: 'profile', traits: ['email', 'first_name', 'city'] },
  };

  it('the example programme is valid and its badges are stepped by their events', () => {
    expect(programmeIssues(EXAMPLE_PROGRAMME)).toEqual([]);
    expect(badgesStepped(EXAMPLE_PROGRAMME, 'Order Completed').map((b) => b.id)).toEqual(['regular']);
    expect(badgesStepped(EXAMPLE_PROGRAMME, 'Product Viewed')).toEqual([]);
  });

  it('counts an events challenge within its window ending at the event, the whole history without one', () => {
    expect(badgeTarget(regular)).toBe(3);
    expect(badgeWindowStart(regular, '2026-03-31T12:00:00.000Z')).toBe('2026-03-01T12:00:00.000Z');
    const ever = { ...regular, challenge: { kind: 'events' as const, event: 'Order Completed', count: 3 } };
    expect(badgeWindowStart(ever, '2026-03-31T12:00:00.000Z')).toBeNull();
  });

  it('a profile challenge counts the traits with a value (blank and null are none)', () => {
    expect(badgeTarget(profile)).toBe(3);
    expect(profileProgress(profile, { email: 'a@b.c', first_name: '  ', city: null })).toBe(1);
    expect(profileProgress(profile, { email: 'a@b.c', first_name: 'Ann', city: 'Lyon' })).toBe(3);
  });

  it('refuses a challenge on a loyalty event (it would loop) and duplicate badge ids', () => {
    const looping: Badge = {
      id: 'loop',
      name: 'Loop',
      challenge: { kind: 'events', event: 'Badge Awarded', count: 2 },
    };
    expect(programmeIssues({ ...EMPTY_PROGRAMME, badges: [looping, { ...regular, id: 'loop' }] })).toEqual([
      'badges[0] (loop): a challenge on "Badge Awarded" would loop (badges earned on a loyalty event)',
      'badges[1] (loop): duplicate id',
    ]);
  });
});
