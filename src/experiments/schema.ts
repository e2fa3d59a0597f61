// The experiments API's params, queries, bodies and the answers declared nowhere else: one
// source for validation, the OpenAPI document and the types (the dashboard imports its types
// from here). An experiment's document is `ExperimentSchema` (definition.ts, which also
// validates it), its results, bandits and programme lift are in results-schema.ts.
import { type Static, Type } from '@sinclair/typebox';

export const ExperimentIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });

/** A saved experiment: its id here, the rest checked by `parseExperiment` (definition.ts). */
export const ExperimentBody = Type.Object({ id: Type.String() }, { additionalProperties: true });

export const PlacementParams = Type.Object({ placement: Type.String({ minLength: 1, maxLength: 200 }) });

export const BanditQuery = Type.Object({
  from: Type.Optional(Type.String()),
  to: Type.Optional(Type.String()),
  days: Type.Optional(Type.Integer()),
});

export const ProgrammeLiftQuery = Type.Object({
  event: Type.String({ minLength: 1, maxLength: 255, description: 'the goal event' }),
  days: Type.Optional(Type.Integer({ minimum: 1, maximum: 365, default: 30 })),
});

export const AssignBody = Type.Object(
  {
    experimentId: Type.String({ minLength: 1, maxLength: 100 }),
    userId: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
    anonymousId: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
  },
  { additionalProperties: false },
);

/** POST /v1/assign's answer: a person's arm, and why they are outside the experiment if they are. */
export const AssignAnswer = Type.Object({
  experimentId: Type.String(),
  variationId: Type.String(),
  variationName: Type.String(),
  inExperiment: Type.Boolean(),
  reason: Type.Union([Type.String(), Type.Null()]),
});
export type AssignAnswer = Static<typeof AssignAnswer>;
