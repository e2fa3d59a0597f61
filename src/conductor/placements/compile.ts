// Offers are compiled once per configuration change, so that deciding is a walk down a
// sorted array: best first (priority, then expected value, then id), validity windows as
// numbers, and every possible answer built ahead of time so the hot path allocates nothing.
import type { ProfileFacts, RulePredicate } from '../journey/advance.ts';
import type { DecideResult, Offer, Placement } from './types.ts';

export interface CompiledOffer {
  offer: Offer;
  fromMs: number;
  untilMs: number;
  matches: ((profile: ProfileFacts) => boolean) | undefined;
  chosen: DecideResult;
}

export interface CompiledPlacement {
  placement: Placement;
  /** Every offer, best first. */
  offers: CompiledOffer[];
  /** The offers that need no personalization, best first. */
  anonymous: CompiledOffer[];
  fallback: { unknownPerson: DecideResult; noConsent: DecideResult; nothingEligible: DecideResult };
}

export type CompiledPlacements = ReadonlyMap<string, CompiledPlacement>;

export interface PlacementIssue {
  placementId?: string;
  offerId?: string;
  message: string;
}

export function checkPlacements(
  placements: readonly Placement[],
  offers: readonly Offer[],
): PlacementIssue[] {
  const issues: PlacementIssue[] = [];
  const placementIds = new Set(placements.map((p) => p.id));
  const offerById = new Map(offers.map((o) => [o.id, o]));
  for (const placement of placements) {
    const fallback = offerById.get(placement.defaultOfferId);
    if (!fallback)
      issues.push({
        placementId: placement.id,
        message: `default offer ${placement.defaultOfferId} does not exist`,
      });
    else if (fallback.requiresPersonalization || fallback.rule !== undefined) {
      issues.push({
        placementId: placement.id,
        offerId: fallback.id,
        message: 'the default offer must not need personalization',
      });
    }
  }
  for (const offer of offers) {
    if (!placementIds.has(offer.placement)) {
      issues.push({
        offerId: offer.id,
        message: `offer ${offer.id} is for placement ${offer.placement}, which does not exist`,
      });
    }
    if (offer.rule !== undefined && !offer.requiresPersonalization) {
      issues.push({
        offerId: offer.id,
        message: `offer ${offer.id} has a rule on the person, so it requires personalization`,
      });
    }
  }
  return issues;
}

/** Throws when `checkPlacements` finds issues: compile only what was checked at save. */
export function compilePlacements(
  placements: readonly Placement[],
  offers: readonly Offer[],
  evaluateRule: RulePredicate,
): CompiledPlacements {
  const issues = checkPlacements(placements, offers);
  if (issues.length > 0)
    throw new Error(`placements do not compile: ${issues.map((i) => i.message).join('; ')}`);
  const compiled = new Map<string, CompiledPlacement>();
  for (const placement of placements) {
    const ranked = offers
      .filter((offer) => offer.placement === placement.id && offer.id !== placement.defaultOfferId)
      .sort(byValue)
      .map((offer) => compileOffer(offer, evaluateRule));
    const fallback = offers.find((offer) => offer.id === placement.defaultOfferId)!;
    compiled.set(placement.id, {
      placement,
      offers: ranked,
      anonymous: ranked.filter((c) => !c.offer.requiresPersonalization),
      fallback: {
        unknownPerson: {
          offer: fallback,
          code: 'default_unknown_person',
          reason: 'default offer: unknown person',
        },
        noConsent: {
          offer: fallback,
          code: 'default_no_consent',
          reason: 'default offer: no consent for personalization',
        },
        nothingEligible: {
          offer: fallback,
          code: 'default_nothing_eligible',
          reason: 'default offer: no offer is eligible',
        },
      },
    });
  }
  return compiled;
}

function byValue(a: Offer, b: Offer): number {
  return (
    b.priority - a.priority || b.expectedValue - a.expectedValue || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

function compileOffer(offer: Offer, evaluateRule: RulePredicate): CompiledOffer {
  const rule = offer.rule;
  return {
    offer,
    fromMs: offer.validFrom ? Date.parse(offer.validFrom) : Number.NEGATIVE_INFINITY,
    untilMs: offer.validUntil ? Date.parse(offer.validUntil) : Number.POSITIVE_INFINITY,
    matches: rule === undefined ? undefined : (profile) => evaluateRule(rule, profile),
    chosen: {
      offer,
      code: 'offer',
      reason: `offer ${offer.id}: best eligible (priority ${offer.priority}, expected value ${offer.expectedValue})`,
    },
  };
}
