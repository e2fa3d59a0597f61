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
import { PeopleExportBody, PeoplePageSchema, PeopleSearchBody, SurveyAnswersSchema } from './schema.ts';

export type PeopleRouteOptions = PeopleDeps;

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
