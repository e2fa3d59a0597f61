// decide: the best eligible offer for a placement and a person, on the page-render path
// (p99 under 5 ms at 2,000 requests/s). A walk down a precompiled array, no allocation.
// The same arbitration as messages, as it applies to a slot the person is already looking at:
// consent for personalization (unknown is no), priority then expected value, caps per offer
// and per person. Quiet hours do not apply: nothing is pushed to the person.
import type { CompiledOffer, CompiledPlacements } from './compile.ts';
import type { DecideResult, PlacementCounts, PlacementPerson } from './types.ts';

const UNKNOWN_PLACEMENT: DecideResult = {
  offer: undefined,
  code: 'unknown_placement',
  reason: 'no such placement',
};

export function decide(
  placements: CompiledPlacements,
  placementId: string,
  person: PlacementPerson | undefined,
  counts: PlacementCounts,
  nowMs: number,
  /** An experiment's arm: this offer first, when the person is eligible for it (consent included). */
  preferredOfferId?: string,
): DecideResult {
  const compiled = placements.get(placementId);
  if (!compiled) return UNKNOWN_PLACEMENT;
  if (!person) return compiled.fallback.unknownPerson;
  const personalized = person.personalization === 'granted';
  const candidates = personalized ? compiled.offers : compiled.anonymous;
  if (preferredOfferId !== undefined) {
    const preferred = candidates.find((candidate) => candidate.offer.id === preferredOfferId);
    if (preferred && isEligible(preferred, person, counts, nowMs)) return preferred.chosen;
  }
  for (let i = 0; i < candidates.length; i += 1) {
    const candidate = candidates[i]!;
    if (isEligible(candidate, person, counts, nowMs)) return candidate.chosen;
  }
  return personalized ? compiled.fallback.nothingEligible : compiled.fallback.noConsent;
}

function isEligible(
  candidate: CompiledOffer,
  person: PlacementPerson,
  counts: PlacementCounts,
  nowMs: number,
) {
  if (nowMs < candidate.fromMs || nowMs >= candidate.untilMs) return false;
  const offer = candidate.offer;
  if (offer.capPerOffer !== undefined && (counts.perOffer.get(offer.id) ?? 0) >= offer.capPerOffer)
    return false;
  if (offer.capPerPerson !== undefined && (counts.perPerson.get(offer.id) ?? 0) >= offer.capPerPerson)
    return false;
  return candidate.matches === undefined || candidate.matches(person.profile);
}
