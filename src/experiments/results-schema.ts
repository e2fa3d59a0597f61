// The results' response schema (GET /api/experiments/:id/results), the OpenAPI document's and
// the dashboard's one source for the shape results.ts builds.
import { type Static, Type } from '@sinclair/typebox';

const N = Type.Number();
const NullableNumber = Type.Union([Type.Number(), Type.Null()]);
const Interval = Type.Union([Type.Tuple([N, N]), Type.Null()]);

const HoldoutLiftSchema = Type.Object({
  treated: Type.Object({ n: N, value: N }),
  heldOut: Type.Object({ n: N, value: N }),
  effect: NullableNumber,
  ci: Interval,
  pValue: NullableNumber,
});

export const ProgrammeLiftSchema = Type.Composite([
  HoldoutLiftSchema,
  Type.Object({ percent: N, event: Type.String(), from: Type.String(), to: Type.String() }),
]);

export const ExperimentResultsSchema = Type.Object({
  experimentId: Type.String(),
  engine: Type.String(),
  alpha: N,
  correction: Type.String(),
  srm: Type.Object({
    pValue: N,
    chiSquare: N,
    mismatch: Type.Boolean(),
    counts: Type.Record(Type.String(), N),
  }),
  metrics: Type.Array(
    Type.Object({
      name: Type.String(),
      kind: Type.String(),
      role: Type.String(),
      cuped: Type.Boolean(),
      arms: Type.Array(
        Type.Object({
          arm: Type.String(),
          n: N,
          value: N,
          effect: NullableNumber,
          ci: Interval,
          pValue: NullableNumber,
          adjustedPValue: NullableNumber,
          chanceToWin: NullableNumber,
          note: Type.Union([Type.String(), Type.Null()]),
        }),
      ),
    }),
  ),
  journeyHoldout: Type.Union([HoldoutLiftSchema, Type.Null()]),
  minPeoplePerArm: N,
  servingWeights: Type.Union([Type.Record(Type.String(), N), Type.Null()], {
    description:
      'while it runs on a placement or as a bandit: the share of people each arm is served to now (a journey split: of the treated)',
  }),
  mode: Type.Union([Type.Literal('fixed'), Type.Literal('bandit')]),
  verdict: Type.String(),
});

export const BanditSchema = Type.Object({
  placement: Type.String(),
  from: Type.String(),
  to: Type.String(),
  leader: Type.Union([Type.String(), Type.Null()]),
  explorationShare: N,
  draws: N,
  arms: Type.Array(Type.Object({ id: Type.String(), impressions: N, clicks: N, rate: N, chanceBest: N })),
});

export const BanditHistorySchema = Type.Object({
  placement: Type.String(),
  from: Type.String(),
  to: Type.String(),
  draws: N,
  days: Type.Array(
    Type.Object({
      day: Type.String(),
      arms: Type.Array(
        Type.Object({
          id: Type.String(),
          impressions: N,
          clicks: N,
          share: Type.Union([N, Type.Null()], { description: "the share of the day's impressions" }),
          chanceBest: Type.Number({ description: 'P(best) from the data up to the end of the day' }),
        }),
      ),
    }),
  ),
});

export type HoldoutLift = Static<typeof HoldoutLiftSchema>;
export type ProgrammeLift = Static<typeof ProgrammeLiftSchema>;
export type ExperimentResults = Static<typeof ExperimentResultsSchema>;
export type BanditView = Static<typeof BanditSchema>;
export type BanditHistory = Static<typeof BanditHistorySchema>;
