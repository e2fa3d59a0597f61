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
