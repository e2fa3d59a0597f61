// The attribution API's answers that the Measure page reads (TypeBox, the objects the routes
// serialise with): every model's credit, ROI, spend import, the budget portfolio and channel
// preference. The dashboard
// imports their types (web/src/measure-api.ts). Type comes from the type provider, as it always
// did in the attribution routes.
import { type Static, type TLiteral, Type } from '@sinclair/typebox';
import { MODEL_NAMES } from './types.ts';

const Nullable = (schema: ReturnType<typeof Type.Number>) => Type.Union([schema, Type.Null()]);
export const RoiRowSchema = Type.Object({
  channel: Type.String(),
  reach: Type.Integer(),
  engaged: Type.Integer(),
  sends: Type.Integer(),
  conversions: Type.Number(),
  value: Type.Number(),
  spend: Type.Number(),
  sendCost: Type.Number(),
  cost: Type.Number(),
  roas: Nullable(Type.Number()),
  roi: Nullable(Type.Number()),
  costPerConversion: Nullable(Type.Number()),
  incrementalConversions: Nullable(Type.Number()),
});

const NullableInterval = Type.Union([Type.Tuple([Type.Number(), Type.Number()]), Type.Null()]);
const NullableNumber = Type.Union([Type.Number(), Type.Null()]);

export const HoldoutRoiSchema = Type.Object({
  journeyId: Type.String(),
  stepId: Type.String(),
  channels: Type.Array(Type.String(), { description: "the channels of the journey's campaign rows" }),
  treatedPeople: Type.Integer(),
  heldOutPeople: Type.Integer(),
  treatedRate: NullableNumber,
  heldOutRate: NullableNumber,
  incrementalConversions: NullableNumber,
  incrementalConversionsInterval: NullableInterval,
  incrementalRevenue: NullableNumber,
  incrementalRevenueInterval: NullableInterval,
  attributedConversions: Type.Number(),
  attributedRevenue: Type.Number(),
  cost: Type.Number(),
  attributedRoi: NullableNumber,
  incrementalRoi: NullableNumber,
  incrementalRoiInterval: NullableInterval,
});

export const RoiSchema = Type.Object({
  from: Type.String(),
  to: Type.String(),
  model: Type.String(),
  groupBy: Type.String(),
  segment: Type.Union([Type.String(), Type.Null()]),
  currency: Type.Union([Type.String(), Type.Null()]),
  conversions: Type.Integer(),
  value: Type.Number(),
  rows: Type.Array(RoiRowSchema),
  unmatchedSpend: Type.Array(Type.Object({ channel: Type.String(), amount: Type.Number() })),
  holdouts: Type.Array(HoldoutRoiSchema, {
    description: 'per journey split with a holdout: incremental conversions and revenue, ROI on both',
  }),
  query: Type.String(),
  spendQuery: Type.String({ description: 'the SQL that summed the spend' }),
});

export const SpendResultSchema = Type.Object({
  read: Type.Integer(),
  imported: Type.Integer(),
  currency: Type.Union([Type.String(), Type.Null()]),
  rejected: Type.Array(Type.Object({ line: Type.Integer(), field: Type.String(), reason: Type.String() })),
});

const Interval = Type.Tuple([Type.Number(), Type.Number()]);

export const PortfolioSchema = Type.Object({
  from: Type.String(),
  to: Type.String(),
  weeks: Type.Integer(),
  currency: Type.Union([Type.String(), Type.Null()]),
  baseline: Type.Number({ description: 'weekly revenue without any spend' }),
  rSquared: Type.Number(),
  curves: Type.Array(
    Type.Object({
      channel: Type.String(),
      decay: Type.Number(),
      beta: Type.Number(),
      kappa: Type.Number(),
      decayInterval: Interval,
      betaInterval: Interval,
      kappaInterval: Interval,
      points: Type.Array(
        Type.Object({
          spend: Type.Number(),
          revenue: Type.Number(),
          low: Type.Number(),
          high: Type.Number(),
        }),
      ),
    }),
  ),
  plan: Type.Object({
    budget: Type.Number(),
    channels: Type.Array(
      Type.Object({
        channel: Type.String(),
        currentSpend: Type.Number(),
        suggestedSpend: Type.Number(),
        marginalRoi: Type.Number(),
        marginalRoiInterval: Interval,
      }),
    ),
    currentRevenue: Type.Number(),
    suggestedRevenue: Type.Number(),
    expectedGain: Type.Number(),
    gainInterval: Interval,
  }),
  query: Type.String({ description: 'the SQL that summed revenue per day' }),
  spendQuery: Type.String(),
});

const IntervalOrNull = Type.Union([Type.Tuple([Type.Number(), Type.Number()]), Type.Null()]);

export const PreferenceSchema = Type.Object({
  from: Type.String(),
  to: Type.String(),
  segment: Type.Union([Type.String(), Type.Null()]),
  conversion: Type.String(),
  currency: Type.Union([Type.String(), Type.Null()]),
  people: Type.Integer(),
  withHistory: Type.Integer({ description: 'people with a send: the denominator of preferredShare' }),
  withStated: Type.Integer({ description: 'people who stated a preference: the denominator of statedShare' }),
  channels: Type.Array(
    Type.Object({
      channel: Type.String(),
      reach: Type.Integer(),
      opened: Type.Integer(),
      clicked: Type.Integer(),
      converted: Type.Integer(),
      conversionRate: Type.Union([Type.Number(), Type.Null()]),
      conversionInterval: IntervalOrNull,
      preferred: Type.Integer(),
      preferredShare: Type.Union([Type.Number(), Type.Null()]),
      preferredInterval: IntervalOrNull,
      stated: Type.Integer(),
      statedShare: Type.Union([Type.Number(), Type.Null()]),
      statedInterval: IntervalOrNull,
      spend: Type.Number(),
      spendShare: Type.Union([Type.Number(), Type.Null()]),
      flag: Type.Union([Type.Literal('spend-not-preferred'), Type.Literal('preferred-starved'), Type.Null()]),
    }),
  ),
  queries: Type.Object({
    deliveries: Type.String(),
    stated: Type.String(),
    rates: Type.String(),
    converted: Type.String(),
    spend: Type.String(),
  }),
});

export type RoiRow = Static<typeof RoiRowSchema>;
export type HoldoutRoiRow = Static<typeof HoldoutRoiSchema>;
export type RoiAnswer = Static<typeof RoiSchema>;
export type SpendImport = Static<typeof SpendResultSchema>;
export type PortfolioAnswer = Static<typeof PortfolioSchema>;
export type PreferenceAnswer = Static<typeof PreferenceSchema>;
export type PreferenceRow = PreferenceAnswer['channels'][number];

/** A channel's (or channel / campaign's) share of the conversions and their revenue. */
export const CreditSchema = Type.Object({ conversions: Type.Number(), value: Type.Number() });
export type Credit = Static<typeof CreditSchema>;

/** One literal per name, as a tuple (a plain `map` would type it as an array and lose the names). */
function literalsOf<const T extends readonly string[]>(
  names: T,
): { -readonly [K in keyof T]: TLiteral<T[K]> } {
  return names.map((name) => Type.Literal(name)) as { -readonly [K in keyof T]: TLiteral<T[K]> };
}

/** The model names as a union of literals: a record keyed by it keeps every name in its type. */
export const ModelNameSchema = Type.Union(literalsOf(MODEL_NAMES));

export const AttributionReportSchema = Type.Object({
  from: Type.String(),
  to: Type.String(),
  conversion: Type.String(),
  lookbackDays: Type.Integer(),
  order: Type.Integer(),
  withNulls: Type.Boolean(),
  people: Type.Integer({ description: 'people with a touch or a conversion read' }),
  conversions: Type.Integer(),
  value: Type.Number({ description: 'revenue of the attributable conversions' }),
  conversionsWithoutRevenue: Type.Integer({ description: 'conversions with no revenue property (value 0)' }),
  conversionsWithoutTouches: Type.Integer({
    description: 'conversions with no touch in the lookback window',
  }),
  paths: Type.Integer({
    description: 'one per attributable conversion and one per person who did not convert',
  }),
  channels: Type.Array(
    Type.Object({
      channel: Type.String(),
      reach: Type.Integer(),
      touches: Type.Integer(),
      engaged: Type.Integer(),
    }),
  ),
  models: Type.Record(ModelNameSchema, Type.Record(Type.String(), CreditSchema), {
    description: 'per model, the credit per channel (or channel / campaign)',
  }),
  query: Type.String({ description: 'the SQL that read the touchpoints' }),
  segment: Type.Union([Type.String(), Type.Null()]),
  groupBy: Type.Union([Type.Literal('channel'), Type.Literal('campaign')]),
});
export type AttributionAnswer = Static<typeof AttributionReportSchema>;
