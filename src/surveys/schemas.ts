// The response schemas of the survey routes (TypeBox): validation, the OpenAPI document and
// the dashboard's types come from them.
import { type Static, Type } from '@sinclair/typebox';
import { SurveyInputSchema } from './definition.ts';

export const SurveySchema = Type.Object({
  ...SurveyInputSchema.properties,
  createdAt: Type.String(),
  updatedAt: Type.String(),
  version: Type.Optional(Type.Integer({ description: '1 when defined, one more at every edit' })),
  closedAt: Type.Optional(Type.String({ description: 'when it was closed: it takes no more answers' })),
  history: Type.Optional(
    Type.Array(
      Type.Object({
        version: Type.Integer(),
        title: Type.String(),
        questions: Type.Array(Type.Unknown()),
        savedAt: Type.String(),
      }),
      { description: 'the versions before this one, oldest first' },
    ),
  ),
});

export const SurveySummarySchema = Type.Object({
  ...SurveySchema.properties,
  responses: Type.Integer(),
});

const EstimateSchema = Type.Object({
  value: Type.Number(),
  low: Type.Number(),
  high: Type.Number(),
  n: Type.Integer(),
  effectiveN: Type.Number({ description: "Kish's effective number of answers, (Σw)²/Σw²" }),
});
const MaybeEstimate = Type.Union([EstimateSchema, Type.Null()]);

const ThemeSchema = Type.Object({
  term: Type.String(),
  count: Type.Integer(),
  share: Type.Number(),
  examples: Type.Array(Type.String()),
});

export const QuestionResultSchema = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  text: Type.String(),
  answered: Type.Integer(),
  distribution: Type.Array(
    Type.Object({
      value: Type.String(),
      count: Type.Integer(),
      share: Type.Number(),
      weightedShare: Type.Number(),
    }),
  ),
  nps: Type.Optional(
    Type.Object({
      raw: MaybeEstimate,
      corrected: MaybeEstimate,
      promoters: Type.Number(),
      passives: Type.Number(),
      detractors: Type.Number(),
    }),
  ),
  mean: Type.Optional(Type.Object({ raw: MaybeEstimate, corrected: MaybeEstimate })),
  themes: Type.Optional(
    Type.Object({ answers: Type.Integer(), themes: Type.Array(ThemeSchema), unthemed: Type.Integer() }),
  ),
});

export const SurveyResultsSchema = Type.Object({
  surveyId: Type.String(),
  title: Type.String(),
  responses: Type.Integer(),
  base: Type.Integer({ description: 'live people in the base' }),
  responseRate: Type.Number(),
  weighting: Type.Object({
    method: Type.Union([Type.Literal('raking'), Type.Literal('post-stratification'), Type.Literal('none')]),
    traits: Type.Array(Type.String()),
    uncoveredShare: Type.Number({ description: 'share of the base in categories nobody answered from' }),
    iterations: Type.Union([Type.Integer(), Type.Null()]),
    converged: Type.Union([Type.Boolean(), Type.Null()]),
    effectiveN: Type.Number(),
  }),
  gaps: Type.Array(
    Type.Object({
      trait: Type.String(),
      category: Type.String(),
      baseShare: Type.Number(),
      responderShare: Type.Number(),
      gap: MaybeEstimate,
    }),
  ),
  asked: Type.Object(
    {
      people: Type.Integer({
        description: 'live people asked (a link sent, the survey shown in a placement)',
      }),
      responders: Type.Integer({ description: 'of them, how many answered' }),
      responseRate: Type.Number(),
      answeredUnasked: Type.Integer({
        description: 'people who answered with no record of being asked (a page posting answers directly)',
      }),
      gaps: Type.Array(
        Type.Object({
          trait: Type.String(),
          category: Type.String(),
          askedShare: Type.Number(),
          responderShare: Type.Number(),
          gap: MaybeEstimate,
        }),
      ),
    },
    { description: 'who answered against everyone asked' },
  ),
  byVersion: Type.Array(
    Type.Object({ version: Type.Union([Type.Integer(), Type.Null()]), responses: Type.Integer() }),
    { description: 'answers by the version of the survey they answered' },
  ),
  questions: Type.Array(QuestionResultSchema),
  trend: Type.Array(Type.Object({ week: Type.String(), responses: Type.Integer(), nps: MaybeEstimate })),
  byGroup: Type.Array(
    Type.Object({
      trait: Type.String(),
      category: Type.String(),
      responses: Type.Integer(),
      nps: MaybeEstimate,
    }),
  ),
});

export type SurveyResultsBody = Static<typeof SurveyResultsSchema>;
export type SurveySummary = Static<typeof SurveySummarySchema>;
