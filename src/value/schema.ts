// The value API's answers that the dashboard reads as they are (TypeBox): the routes serialise
// with them and web/src/api.ts imports their types.
import { type Static, Type } from '@sinclair/typebox';

const NullableNumber = Type.Union([Type.Number(), Type.Null()]);
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
