import { describe, expect, it } from 'vitest';
import {
  checkPlacements,
  compilePlacements,
  decide,
  type Offer,
  type Placement,
  type PlacementPerson,
  type ProfileFacts,
} from '../../src/conductor/index.ts';

const placements: Placement[] = [{ id: 'receipt', defaultOfferId: 'thanks' }];
const offer = (id: string, extra: Partial<Offer> = {}): Offer => ({
  id,
  placement: 'receipt',
  priority: 10,
  expectedValue: 1,
  requiresPersonalization: true,
  ...extra,
});
const offers: Offer[] = [
  offer('thanks', { priority: 0, requiresPersonalization: false }),
  offer('insurance', { priority: 50, expectedValue: 40, rule: { has: 'mortgage' }, capPerPerson: 3 }),
  offer('card', { priority: 50, expectedValue: 10, capPerOffer: 1000 }),
  offer('newsletter', { priority: 20, requiresPersonalization: false }),
  offer('summer', { priority: 90, validFrom: '2026-06-01T00:00:00Z', validUntil: '2026-09-01T00:00:00Z' }),
];
const hasTrait = (rule: unknown, profile: ProfileFacts) =>
  profile.traits[(rule as { has: string }).has] === true;
const compiled = compilePlacements(placements, offers, hasTrait);

const person = (
  traits: Record<string, unknown>,
  personalization: PlacementPerson['personalization'] = 'granted',
) => ({
  profile: { profileId: 'p1', traits, timeZone: undefined },
  personalization,
});
const noCounts = { perOffer: new Map<string, number>(), perPerson: new Map<string, number>() };
const MARCH = Date.parse('2026-03-02T12:00:00Z');

describe('decide', () => {
  it('returns the best eligible offer: priority, then expected value, rules holding', () => {
    expect(decide(compiled, 'receipt', person({ mortgage: true }), noCounts, MARCH)).toMatchObject({
      offer: { id: 'insurance' },
      code: 'offer',
    });
    expect(decide(compiled, 'receipt', person({}), noCounts, MARCH).offer?.id).toBe('card');
  });

  it('honours validity windows', () => {
    expect(
      decide(compiled, 'receipt', person({}), noCounts, Date.parse('2026-07-01T00:00:00Z')).offer?.id,
    ).toBe('summer');
    expect(
      decide(compiled, 'receipt', person({}), noCounts, Date.parse('2026-09-01T00:00:00Z')).offer?.id,
    ).toBe('card');
  });

  it('skips offers over their per-person or per-offer caps', () => {
    const counts = { perOffer: new Map([['card', 1000]]), perPerson: new Map([['insurance', 3]]) };
    expect(decide(compiled, 'receipt', person({ mortgage: true }), counts, MARCH).offer?.id).toBe(
      'newsletter',
    );
  });

  it('falls back to the default offer for an unknown person', () => {
    expect(decide(compiled, 'receipt', undefined, noCounts, MARCH)).toEqual({
      offer: offers[0],
      code: 'default_unknown_person',
      reason: 'default offer: unknown person',
    });
  });

  it('without consent for personalization (unknown or denied) uses only offers that need none, then the default', () => {
    for (const state of ['unknown', 'denied'] as const) {
      expect(decide(compiled, 'receipt', person({ mortgage: true }, state), noCounts, MARCH).offer?.id).toBe(
        'newsletter',
      );
    }
    const counts = { perOffer: new Map(), perPerson: new Map([['newsletter', 0]]) };
    const capped = compilePlacements(
      placements,
      offers.map((o) => (o.id === 'newsletter' ? { ...o, capPerPerson: 0 } : o)),
      hasTrait,
    );
    expect(decide(capped, 'receipt', person({}, 'unknown'), counts, MARCH)).toMatchObject({
      offer: { id: 'thanks' },
      code: 'default_no_consent',
    });
  });

  it('says so when nothing is eligible, and when the placement does not exist', () => {
    const only = compilePlacements(placements, [offers[0]!, offers[1]!], hasTrait);
    expect(decide(only, 'receipt', person({}), noCounts, MARCH).code).toBe('default_nothing_eligible');
    expect(decide(only, 'banner', person({}), noCounts, MARCH)).toMatchObject({
      offer: undefined,
      code: 'unknown_placement',
    });
  });

  it('returns the same prebuilt result object each time (nothing allocated per call)', () => {
    const a = decide(compiled, 'receipt', person({}), noCounts, MARCH);
    const b = decide(compiled, 'receipt', person({}), noCounts, MARCH);
    expect(a).toBe(b);
  });
});

describe('checkPlacements', () => {
  it('refuses a missing or personalized default, offers for unknown placements, rules without personalization', () => {
    const issues = checkPlacements(
      [
        { id: 'receipt', defaultOfferId: 'gone' },
        { id: 'banner', defaultOfferId: 'card' },
      ],
      [
        offer('card'),
        offer('stray', { placement: 'insert' }),
        offer('sly', { rule: {}, requiresPersonalization: false }),
      ],
    );
    expect(issues.map((i) => i.message)).toEqual([
      'default offer gone does not exist',
      'the default offer must not need personalization',
      'offer stray is for placement insert, which does not exist',
      'offer sly has a rule on the person, so it requires personalization',
    ]);
    expect(() => compilePlacements([{ id: 'receipt', defaultOfferId: 'gone' }], [], hasTrait)).toThrow(
      /gone/,
    );
  });
});
