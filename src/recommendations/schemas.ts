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
