// The recommendations API's schemas (TypeBox): one source for validation, the OpenAPI document
// and the types the handlers and the dashboard read.
import { type Static, Type } from '@sinclair/typebox';

export const BasketKindSchema = Type.Union([Type.Literal('order'), Type.Literal('person')], {
  description: 'order: one basket per order; person: every order of a person is one basket',
});

export const RulesQuerySchema = Type.Object({
  minSupport: Type.Number({ exclusiveMinimum: 0, maximum: 1, description: 'share of baskets' }),
  minConfidence: Type.Number({ minimum: 0, maximum: 1 }),
  minLength: Type.Integer({ minimum: 1, default: 2, description: 'items in a rule, both sides' }),
  maxLength: Type.Integer({ minimum: 1, maximum: 20, default: 10 }),
  basket: Type.Optional(BasketKindSchema),
  days: Type.Optional(Type.Integer({ minimum: 1, description: 'only orders of the last N days' })),
  limit: Type.Optional(Type.Integer({ minimum: 0, description: 'at most this many rules in the answer' })),
});
export type RulesQuery = Static<typeof RulesQuerySchema>;

export const RuleSchema = Type.Object({
  lhs: Type.Array(Type.String()),
  rhs: Type.Array(Type.String()),
  support: Type.Number(),
  confidence: Type.Number(),
  lift: Type.Number(),
  count: Type.Integer({ description: 'baskets holding every item of the rule' }),
  llr: Type.Number({ description: 'log-likelihood ratio of the lhs/rhs table (Mahout)' }),
});
export type Rule = Static<typeof RuleSchema>;

export const RulesReportSchema = Type.Object({
  baskets: Type.Integer(),
  items: Type.Integer(),
  count: Type.Integer({ description: 'rules found (the answer may hold fewer: limit)' }),
  rules: Type.Array(RuleSchema),
  warnings: Type.Array(Type.String()),
  orders: Type.Integer({ description: 'Order Completed events read' }),
  basket: BasketKindSchema,
  computedAt: Type.String({ format: 'date-time' }),
});
export type RulesReport = Static<typeof RulesReportSchema>;

export const RecommendationSettingsSchema = Type.Object(
  {
    minSupport: Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 0.01 }),
    minConfidence: Type.Number({ minimum: 0, maximum: 1, default: 0.1 }),
    minCount: Type.Integer({
      minimum: 1,
      default: 3,
      description: 'a pair needs at least this many baskets',
    }),
    minLlr: Type.Number({
      minimum: 0,
      default: 3.84,
      description: 'a pair needs at least this log-likelihood ratio (3.84: p = 0.05)',
    }),
    basket: BasketKindSchema,
    days: Type.Integer({ minimum: 1, default: 365, description: 'orders of the last N days' }),
    limit: Type.Integer({ minimum: 1, maximum: 20, default: 3, description: 'products per person' }),
    exclude: Type.Array(Type.String({ minLength: 1 }), { default: [], description: 'never recommended' }),
    holdoutShare: Type.Number({
      minimum: 0,
      maximum: 0.5,
      default: 0.1,
      description: 'share of people kept without recommendations, to measure against',
    }),
    triggerAfterDays: Type.Integer({
      minimum: 1,
      default: 14,
      description: 'bought X this many days ago, suggested Y not bought: a Recommendation Due event',
    }),
    refreshHours: Type.Number({ minimum: 0, default: 24, description: '0 turns the schedule off' }),
  },
  { additionalProperties: false },
);
export type RecommendationSettings = Static<typeof RecommendationSettingsSchema>;

export const DEFAULT_SETTINGS: RecommendationSettings = {
  minSupport: 0.01,
  minConfidence: 0.1,
  minCount: 3,
  minLlr: 3.84,
  basket: 'person',
  days: 365,
  limit: 3,
  exclude: [],
  holdoutShare: 0.1,
  triggerAfterDays: 14,
  refreshHours: 24,
};

export const RefreshSummarySchema = Type.Object({
  computedAt: Type.String({ format: 'date-time' }),
  baskets: Type.Integer(),
  items: Type.Integer(),
  rules: Type.Integer({ description: 'pair rules found' }),
  topRules: Type.Array(RuleSchema, { description: 'the strongest 50 by lift' }),
  people: Type.Integer({ description: 'buyers considered' }),
  withRecommendations: Type.Integer(),
  holdout: Type.Integer({ description: 'buyers held out: no recommendations, exposure recorded' }),
  withoutConsent: Type.Integer({ description: 'buyers who refused personalization: none' }),
  changed: Type.Integer({ description: 'people whose recommendations trait was written' }),
  due: Type.Integer({ description: 'Recommendation Due events written' }),
  warnings: Type.Array(Type.String()),
  settings: RecommendationSettingsSchema,
});
export type RefreshSummary = Static<typeof RefreshSummarySchema>;
