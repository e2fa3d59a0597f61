// The value API's answers (TypeBox): the routes serialise with them and web/src/api.ts imports
// their types. Only TypeBox and node-free modules are imported, so the dashboard's compiler can
// read this file (types only; nothing from here reaches the bundle).
import { type Static, Type } from '@sinclair/typebox';
import { Nullable, StringEnum } from '../errors/schema.ts';
import { VALUE_METRICS } from './distribution.ts';

const NullableNumber = Type.Union([Type.Number(), Type.Null()]);
const numberOrNull = Nullable(Type.Number());
const numberMap = Type.Record(Type.String(), Type.Number());

/** The subscriber churn model of the last refresh: whether it is fitted, and how well it ranks. */
export const ChurnModelSchema = Type.Object({
  computedAt: Type.String({ format: 'date-time' }),
  fitted: Type.Boolean({
    description: 'false: too few churners or stayers; subscribers show "not enough data"',
  }),
  note: Type.Union([Type.String(), Type.Null()], { description: 'why the model is not fitted' }),
  examples: Type.Integer({ description: 'subscribers active at the learning cutoff' }),
  heldOut: Type.Integer({ description: 'of them, held out to measure the AUC' }),
  heldOutAuc: Type.Union([Type.Number(), Type.Null()], {
    description: 'P(a churner is ranked above a stayer) on the held-out subscribers; 0.5 is a coin toss',
  }),
  trainingAuc: NullableNumber,
  baseRate: NullableNumber,
});
export type ChurnModel = Static<typeof ChurnModelSchema>;

/** One customer of the ranking, with the sentence that explains their score. */
export const RankingItemSchema = Type.Object({
  profileId: Type.String(),
  rank: Type.Integer({ description: '1 = the most valuable customer' }),
  score: Type.Number({ description: 'value score, 0-1' }),
  explanation: Type.String(),
  clv: numberOrNull,
  churnRisk: numberOrNull,
  leadScore: Type.Number(),
});
export type RankingItem = Static<typeof RankingItemSchema>;

export const RankingSchema = Type.Object({
  computedAt: Type.String({ format: 'date-time' }),
  customers: Type.Integer(),
  items: Type.Array(RankingItemSchema),
});
export type Ranking = Static<typeof RankingSchema>;

export const RenewalsSchema = Type.Object({
  computedAt: Type.String({ format: 'date-time' }),
  from: Type.String(),
  totalRevenue: Type.Number(),
  totalAtRisk: Type.Number(),
  totalRiskUnknown: Type.Number({
    description: 'revenue whose churn risk is unknown: the subscriber model had too little data',
  }),
  months: Type.Array(
    Type.Object({
      month: Type.String({ description: 'YYYY-MM, UTC' }),
      renewals: Type.Integer(),
      revenue: Type.Number(),
      revenueAtRisk: Type.Number(),
      revenueRiskUnknown: Type.Number(),
    }),
  ),
});
export type Renewals = Static<typeof RenewalsSchema>;

export const BudgetSchema = Type.Object({
  computedAt: Type.String({ format: 'date-time' }),
  amount: Type.Number(),
  costPerCustomer: Type.Number(),
  spent: Type.Number(),
  remaining: Type.Number(),
  valueAtRiskCovered: Type.Number(),
  savableCovered: Type.Number({
    description: 'Σ savable over the chosen: the value the plan expects to keep',
  }),
  effect: Type.Number({ description: 'the share of would-be leavers an action keeps' }),
  effectSource: StringEnum(['prior', 'measured']),
  candidates: Type.Integer({ description: 'customers with something that can still be saved' }),
  chosen: Type.Array(
    Type.Object({
      profileId: Type.String(),
      value: Type.Number(),
      churnRisk: Type.Number(),
      pAlive: Type.Number(),
      cost: Type.Number(),
      valueAtRisk: Type.Number({ description: 'value × churn risk' }),
      savable: Type.Number({ description: 'value × P(alive) × churn risk × effect' }),
    }),
  ),
});
export type Budget = Static<typeof BudgetSchema>;

export const ValueDistributionSchema = Type.Object({
  metric: StringEnum(VALUE_METRICS),
  computedAt: Type.Union([Type.String(), Type.Null()], {
    description: "the last refresh's time; null when none has run",
  }),
  scale: StringEnum(['log', 'linear']),
  profiles: Type.Integer({ description: 'live profiles' }),
  count: Type.Integer({ description: 'live profiles with a value' }),
  withoutValue: Type.Integer({ description: 'live profiles with no value yet' }),
  mean: numberOrNull,
  min: numberOrNull,
  max: numberOrNull,
  percentiles: Type.Union([
    Type.Object({ p10: Type.Number(), p50: Type.Number(), p90: Type.Number(), p99: Type.Number() }),
    Type.Null(),
  ]),
  bins: Type.Array(Type.Object({ from: Type.Number(), to: Type.Number(), count: Type.Integer() })),
});
export type ValueDistribution = Static<typeof ValueDistributionSchema>;

export const ValueScatterSchema = Type.Object({
  computedAt: Type.Union([Type.String(), Type.Null()]),
  total: Type.Integer({ description: 'live profiles with a CLV' }),
  sampled: Type.Integer({ description: 'of them, in points' }),
  limit: Type.Integer(),
  every: Type.Integer({ description: 'every k-th profile in CLV order (ties by profile id)' }),
  points: Type.Array(Type.Object({ profileId: Type.String(), clv: Type.Number(), pAlive: Type.Number() })),
});
export type ValueScatter = Static<typeof ValueScatterSchema>;

/** One row of the holdout check: a bucket of repeat purchases, or the total. */
export const HoldoutRowSchema = Type.Object({
  bucket: Type.String({ description: '"0" … "6", "7+" or "total"' }),
  customers: Type.Integer(),
  actual: Type.Number(),
  predicted: Type.Number(),
  actualPerCustomer: Type.Number(),
  predictedPerCustomer: Type.Number(),
  relativeError: Type.Union([Type.Number(), Type.Null()], {
    description: '(predicted − actual) / actual; null when actual is 0',
  }),
});
export type HoldoutRow = Static<typeof HoldoutRowSchema>;

export const ValueValidationSchema = Type.Object({
  computedAt: Type.String({ format: 'date-time' }),
  note: Type.Union([Type.String(), Type.Null()], {
    description: 'why there is no validation, when there is none',
  }),
  validation: Type.Union([
    Type.Object({
      calibrationEnd: Type.String({ format: 'date' }),
      holdoutEnd: Type.String({ format: 'date' }),
      holdoutDays: Type.Integer(),
      unit: StringEnum(['days', 'weeks', 'months']),
      customers: Type.Integer(),
      params: numberMap,
      groups: Type.Array(
        Type.Object({
          group: Type.Integer(),
          customers: Type.Integer(),
          meanPredicted: Type.Number(),
          meanActual: Type.Number(),
          minPredicted: Type.Number(),
          maxPredicted: Type.Number(),
        }),
        { description: 'customers in ten equal groups by predicted holdout purchases' },
      ),
      buckets: Type.Array(HoldoutRowSchema),
      total: HoldoutRowSchema,
      verdict: StringEnum(['good', 'poor', 'too little data']),
      errors: Type.Object({
        meanAbsoluteError: Type.Number(),
        rootMeanSquaredError: Type.Number(),
        correlation: Type.Union([Type.Number(), Type.Null()]),
      }),
      warnings: Type.Array(Type.String()),
    }),
    Type.Null(),
  ]),
});
export type ValueValidation = Static<typeof ValueValidationSchema>;
