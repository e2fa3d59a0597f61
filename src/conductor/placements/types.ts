// Placements: owned slots (web banner, order confirmation, receipt, package insert) where
// offers compete. The vocabulary of the decide path.

import type { ConsentState } from '../arbitration/types.ts';
import type { ProfileFacts } from '../journey/advance.ts';

export interface Offer {
  id: string;
  placement: string;
  /** Segment rule JSON, evaluated on the person by the injected evaluator. A rule reads the profile, so it needs personalization. */
  rule?: unknown;
  priority: number;
  expectedValue: number;
  /** Impressions across everyone in the current cap period (the runner supplies the count). */
  capPerOffer?: number;
  /** Impressions to one person in the current cap period. */
  capPerPerson?: number;
  /** Chosen from what we know about the person: needs their consent for personalization. */
  requiresPersonalization: boolean;
  validFrom?: string;
  validUntil?: string;
  /** What the channel renders (headline, image, link …): opaque here. */
  content?: unknown;
  /** A survey the page renders in the slot (its id): answered through `POST /v1/survey-response`. */
  survey?: string;
}

export interface Placement {
  id: string;
  /** Shown to unknown people, without consent for personalization, or when nothing else is eligible. */
  defaultOfferId: string;
}

export interface PlacementPerson {
  profile: ProfileFacts;
  /** Consent for the personalization purpose; unknown is a no. */
  personalization: ConsentState;
}

/** Impression counts for the current cap period, read by the runner (offer id → count). */
export interface PlacementCounts {
  perOffer: ReadonlyMap<string, number>;
  perPerson: ReadonlyMap<string, number>;
}

export type DecideCode =
  | 'offer'
  | 'default_unknown_person'
  | 'default_no_consent'
  | 'default_nothing_eligible'
  | 'unknown_placement';

export interface DecideResult {
  offer: Offer | undefined;
  code: DecideCode;
  reason: string;
}
