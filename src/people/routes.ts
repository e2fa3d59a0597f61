// POST /api/people/search (read), POST /api/people/export (people:export, CSV streamed) and
// GET /api/people/:id/surveys (read, a person's survey answers for the 360).
// POST because the filter is a segment rule, a JSON tree. Schemas are TypeBox: one source
// for validation, the OpenAPI document and the types.
import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { strictBody } from '../api/strict-body.ts';
import { errorSchema, RapportError } from '../errors/index.ts';
import { explorePeople, type PeopleDeps, peopleCsv, surveyAnswersOf } from './explorer.ts';

export type PeopleRouteOptions = PeopleDeps;

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

const PersonSchema = Type.Object({
  profileId: Type.String(),
  firstSeen: Type.String(),
  lastSeen: Type.String(),
  eventCount: Type.Integer(),
  traits: Type.Record(Type.String(), Type.Unknown()),
  identities: Type.Array(Type.Object({ kind: Type.String(), value: Type.String() })),
});

export const PeoplePageSchema = Type.Object({
  total: Type.Integer({ description: 'everyone the filters match' }),
  offset: Type.Integer(),
  limit: Type.Integer(),
  items: Type.Array(PersonSchema),
  ruleText: Type.Union([Type.String(), Type.Null()], {
    description: 'the rule as a saved segment would hold it; null without a rule',
  }),
});

const SurveyAnswersSchema = Type.Object({
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
const IdParams = Type.Object({ id: Type.String({ minLength: 1 }) });

const tags = ['profiles'];
const security = [{ adminToken: [] }];

export const peopleRoutes: FastifyPluginAsyncTypebox<PeopleRouteOptions> = async (app, options) => {
  app.post(
    '/api/people/search',
    {
      config: { access: 'read' },
      validatorCompiler: strictBody(PeopleSearchBody),
      schema: {
        tags,
        security,
        summary:
          'The people explorer: filter by a segment rule and a search, sort by any column or trait, count, page',
        body: PeopleSearchBody,
        response: { 200: PeoplePageSchema, '4xx': errorSchema },
      },
    },
    async (request) => explorePeople(options, request.body),
  );

  app.get(
    '/api/people/:id/surveys',
    {
      config: { access: 'read' },
      schema: {
        tags,
        security,
        summary: "A person's survey answers, across every profile merged into them, newest first",
        params: IdParams,
        response: { 200: SurveyAnswersSchema, '4xx': errorSchema },
      },
    },
    async (request) => {
      const answers = await surveyAnswersOf(options, request.params.id);
      if (!answers) throw new RapportError('RAPPORT_API_NOT_FOUND', `no profile ${request.params.id}`);
      return answers;
    },
  );

  app.post(
    '/api/people/export',
    {
      config: { access: 'people:export' },
      validatorCompiler: strictBody(PeopleExportBody),
      schema: {
        tags,
        security,
        summary:
          "The explorer's list as CSV: everyone the filters match, streamed, in the list's order (sort, descending)",
        body: PeopleExportBody,
        response: {
          200: {
            description: 'CSV with a header row',
            content: { 'text/csv': { schema: { type: 'string' } } },
          },
          '4xx': errorSchema,
        },
      },
    },
    async (request, reply) => {
      const { traits = [], ...filter } = request.body;
      const lines = peopleCsv(options, filter, traits);
      // The first chunk runs the filter, so a bad rule is a 400 before any CSV is sent.
      const first = await lines.next();
      async function* rest() {
        if (!first.done) yield first.value;
        yield* lines;
      }
      reply.header('content-disposition', 'attachment; filename="people.csv"');
      // The typed reply knows the JSON shapes only; the 200 is this stream of CSV text.
      return reply.type('text/csv; charset=utf-8').send(Readable.from(rest()) as unknown as string);
    },
  );
};
