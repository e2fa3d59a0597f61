// "What would this person see": the decision for one placement and one person, with every
// offer's verdict in words (chosen, passed over, or why it was not eligible), for the
// dashboard's editor. Pure: it walks the compiled placement as `decide` does, and its chosen
// offer is `decide`'s (a test holds the two together), so the preview cannot drift from what
// `/v1/decide` serves.
import {
  type CompiledOffer,
  type CompiledPlacements,
  type DecideResult,
  decide,
  type PlacementCounts,
  type PlacementPerson,
} from '../conductor/index.ts';
import type { OfferVerdict } from './schema.ts';

export type { OfferVerdict };

export interface OfferExplanation {
  offerId: string;
  verdict: OfferVerdict;
  reason: string;
}

export interface DecisionExplained {
  result: DecideResult;
  offers: OfferExplanation[];
}

function blocker(
  candidate: CompiledOffer,
  person: PlacementPerson,
  counts: PlacementCounts,
  nowMs: number,
): OfferExplanation | undefined {
  const offer = candidate.offer;
  const at = (verdict: OfferVerdict, reason: string) => ({ offerId: offer.id, verdict, reason });
  if (offer.requiresPersonalization && person.personalization !== 'granted')
    return at(
      'needs_consent',
      `chosen from what is known about the person, and their consent for personalization is ${person.personalization}`,
    );
  if (nowMs < candidate.fromMs) return at('not_started', `starts ${offer.validFrom}`);
  if (nowMs >= candidate.untilMs) return at('ended', `ended ${offer.validUntil}`);
  const shown = counts.perOffer.get(offer.id) ?? 0;
  if (offer.capPerOffer !== undefined && shown >= offer.capPerOffer)
    return at('offer_cap', `shown ${shown} times today, its cap is ${offer.capPerOffer} a day`);
  const seen = counts.perPerson.get(offer.id) ?? 0;
  if (offer.capPerPerson !== undefined && seen >= offer.capPerPerson)
    return at('person_cap', `this person saw it ${seen} times today, the cap is ${offer.capPerPerson}`);
  if (candidate.matches !== undefined && !candidate.matches(person.profile))
    return at('rule_not_met', 'the person does not meet its rule');
  return undefined;
}

/** The decision `decide` makes, and each of the placement's offers with why it was or was not shown. */
export function explainDecision(
  placements: CompiledPlacements,
  placementId: string,
  person: PlacementPerson | undefined,
  counts: PlacementCounts,
  nowMs: number,
): DecisionExplained | undefined {
  const compiled = placements.get(placementId);
  if (!compiled) return undefined;
  const result = decide(placements, placementId, person, counts, nowMs);
  const chosenId = result.offer?.id;
  const defaultId = compiled.placement.defaultOfferId;
  const offers: OfferExplanation[] = compiled.offers.map((candidate) => {
    const offerId = candidate.offer.id;
    if (!person)
      return {
        offerId,
        verdict: 'unknown_person',
        reason: 'only the default offer is shown to an unknown person',
      };
    const blocked = blocker(candidate, person, counts, nowMs);
    if (blocked) return blocked;
    if (offerId === chosenId) return { offerId, verdict: 'chosen', reason: result.reason };
    return {
      offerId,
      verdict: 'passed_over',
      reason: `eligible, but ${chosenId} ranks higher (priority, then expected value)`,
    };
  });
  offers.push({
    offerId: defaultId,
    verdict: chosenId === defaultId ? 'chosen' : 'default',
    reason: chosenId === defaultId ? result.reason : 'the default: shown when nothing else is',
  });
  return { result, offers };
}
