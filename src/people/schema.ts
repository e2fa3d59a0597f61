// The people explorer's contract (TypeBox): the routes validate and serialise with it, the
// OpenAPI document shows it, and the dashboard imports its types (web/src/people-api.ts).
import { type Static, Type } from '@sinclair/typebox';
import { ProfileSummary } from '../profiles/schema.ts';

const filterFields = {
  q: Type.Optional(
    Type.String({
      maxLength: 500,
      description: 'a name, email, user or anonymous id, profile id, or text any trait value contains',
    }),
  ),
  rule: Type.Optional(
    Type.Unknown({ description: 'a segment rule as JSON (docs/segments.md): only the people it holds now' }),
  ),
  text: Type.Optional(Type.String({ maxLength: 20_000, description: 'the same rule as text' })),
};

const sortFields = {
  sort: Type.Optional(
    Type.String({
      maxLength: 210,
      description: 'lastSeen (default, newest first), firstSeen, eventCount, profileId or trait:NAME',
    }),
  ),
  descending: Type.Optional(Type.Boolean()),
};

export const PeopleSearchBody = Type.Object(
  {
    ...filterFields,
    ...sortFields,
    offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000, default: 0 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 25 })),
  },
  { additionalProperties: false },
);

export const PeopleExportBody = Type.Object(
  {
    ...filterFields,
    ...sortFields,
    traits: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 200 }), {
        maxItems: 50,
        description: 'trait columns after profile_id, name, email, first_seen, last_seen, event_count',
      }),
    ),
  },
  { additionalProperties: false },
);

/** A person in the explorer's page: the same summary GET /api/profiles lists. */
export const PersonSchema = ProfileSummary;

export const PeoplePageSchema = Type.Object({
  total: Type.Integer({ description: 'everyone the filters match' }),
  offset: Type.Integer(),
  limit: Type.Integer(),
  items: Type.Array(PersonSchema),
  ruleText: Type.Union([Type.String(), Type.Null()], {
    description: 'the rule as a saved segment would hold it; null without a rule',
  }),
});

export const SurveyAnswersSchema = Type.Object({
  profileId: Type.String({ description: 'the person (a merged-away id answers for the survivor)' }),
  items: Type.Array(
    Type.Object({
      surveyId: Type.String(),
      answers: Type.Record(Type.String(), Type.Unknown(), { description: 'question id → answer' }),
      channel: Type.Union([Type.String(), Type.Null()]),
      answeredAt: Type.String(),
    }),
    { description: 'newest first' },
  ),
});

export type PeopleSearch = Static<typeof PeopleSearchBody>;
export type PeoplePage = Static<typeof PeoplePageSchema>;
export type SurveyAnswers = Static<typeof SurveyAnswersSchema>;
