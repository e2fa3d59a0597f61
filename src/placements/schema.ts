// The placements and offers as the admin API answers and takes them (TypeBox): the routes
// validate and serialise with them, and the dashboard's editor imports their types.
import { type Static, Type } from '@sinclair/typebox';

export const offerSchema = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 200 }),
    placement: Type.String({ minLength: 1, maxLength: 200 }),
    rule: Type.Optional(Type.Unknown({ description: 'A segment rule of trait conditions (and, or, not)' })),
    priority: Type.Number(),
    expectedValue: Type.Number(),
    capPerOffer: Type.Optional(
      Type.Integer({ minimum: 0, description: 'Impressions a day across everyone' }),
    ),
    capPerPerson: Type.Optional(Type.Integer({ minimum: 0, description: 'Impressions a day to one person' })),
    requiresPersonalization: Type.Boolean(),
    validFrom: Type.Optional(Type.String({ format: 'date-time' })),
    validUntil: Type.Optional(Type.String({ format: 'date-time' })),
    content: Type.Optional(Type.Unknown({ description: 'What the page renders (headline, image, url …)' })),
    survey: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 63,
        description: 'A survey id: the page renders the survey (GET /v1/decide answers its questions)',
      }),
    ),
  },
  { additionalProperties: false },
);
export const definitionsSchema = Type.Object({
  placements: Type.Array(
    Type.Object(
      { id: Type.String({ minLength: 1, maxLength: 200 }), defaultOfferId: Type.String() },
      { additionalProperties: false },
    ),
  ),
  offers: Type.Array(offerSchema),
});
export type Offer = Static<typeof offerSchema>;
export type Placements = Static<typeof definitionsSchema>;

/** Each offer's verdict in the preview (src/placements/preview.ts walks the placement to it). */
export const OfferVerdictSchema = Type.Union([
  Type.Literal('chosen'),
  Type.Literal('passed_over'),
  Type.Literal('default'),
  Type.Literal('not_started'),
  Type.Literal('ended'),
  Type.Literal('offer_cap'),
  Type.Literal('person_cap'),
  Type.Literal('rule_not_met'),
  Type.Literal('needs_consent'),
  Type.Literal('unknown_person'),
]);
export type OfferVerdict = Static<typeof OfferVerdictSchema>;

/** Why `decide` answered as it did (the conductor's DecideCode; a code it adds fails the route's type check). */
export const DecideCodeSchema = Type.Union([
  Type.Literal('offer'),
  Type.Literal('default_unknown_person'),
  Type.Literal('default_no_consent'),
  Type.Literal('default_nothing_eligible'),
  Type.Literal('unknown_placement'),
]);

/** POST /api/placements/preview: what the person would be shown, and each offer's verdict. */
export const PlacementPreviewSchema = Type.Object({
  placement: Type.String(),
  personalization: Type.Union([Type.String(), Type.Null()], {
    description: "The person's consent for personalization (null: an unknown visitor)",
  }),
  offer: Type.Union([Type.Object({ id: Type.String(), content: Type.Unknown() }), Type.Null()]),
  code: DecideCodeSchema,
  reason: Type.String(),
  offers: Type.Array(
    Type.Object({ offerId: Type.String(), verdict: OfferVerdictSchema, reason: Type.String() }),
  ),
});
export type PlacementPreview = Static<typeof PlacementPreviewSchema>;
