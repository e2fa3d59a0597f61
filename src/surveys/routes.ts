// The surveys' routes: the admin API (define, list, read, results, a person's link), the public
// answer route `POST /v1/survey-response` (a signed token, or a write key with the person's
// userId or anonymousId), and the hosted page `/s/<token>` that people reach from a message.
// Schemas are TypeBox: one source for validation, the OpenAPI document and the types.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import { strictBody } from '../api/strict-body.ts';
import { type CredentialCache, secretFromAuthorization } from '../auth/index.ts';
import { errorSchema, RapportError } from '../errors/index.ts';
import { SurveyInputSchema, SurveyInvalidError } from './definition.ts';
import { answersFromForm, messagePage, surveyPage } from './page.ts';
import { SurveyResultsSchema, SurveySchema, SurveySummarySchema } from './schemas.ts';
import { type Respondent, SurveyError, type SurveyService } from './service.ts';

export interface SurveyRouteOptions {
  surveys: SurveyService;
  credentials: CredentialCache;
  publicUrl: () => string;
}

const tags = ['surveys'];
const security: { [label: string]: string[] }[] = [{ adminToken: [] }, { session: [] }];

const CODES = {
  'unknown-survey': 'RAPPORT_SURVEY_NOT_FOUND',
  'link-invalid': 'RAPPORT_SURVEY_LINK_INVALID',
  'link-expired': 'RAPPORT_SURVEY_LINK_EXPIRED',
  'unknown-person': 'RAPPORT_SURVEY_UNKNOWN_PERSON',
  'consent-denied': 'RAPPORT_SURVEY_CONSENT_DENIED',
  closed: 'RAPPORT_SURVEY_CLOSED',
} as const;

/** The service's refusals as the catalogue's errors, naming the field. */
function asApiError(error: unknown): unknown {
  if (error instanceof SurveyInvalidError)
    return new RapportError('RAPPORT_SURVEY_INVALID', `${error.field}: ${error.message}`, {
      field: error.field,
    });
  if (error instanceof SurveyError) return new RapportError(CODES[error.reason], error.message);
  return error;
}

async function translated<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw asApiError(error);
  }
}

const IdParams = Type.Object({ id: Type.String({ maxLength: 63 }) });

export const ResponseBodySchema = Type.Object(
  {
    surveyId: Type.String({ minLength: 1, maxLength: 63 }),
    answers: Type.Record(
      Type.String({ maxLength: 63 }),
      Type.Union([
        Type.Number(),
        Type.String({ maxLength: 2000 }),
        Type.Array(Type.String({ maxLength: 200 }), { maxItems: 30 }),
      ]),
      { description: 'question id → answer: a number for scales, an option (or options) for choices, text' },
    ),
    token: Type.Optional(Type.String({ maxLength: 4096, description: 'the signed token of a survey link' })),
    userId: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    anonymousId: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    messageId: Type.Optional(
      Type.String({ minLength: 1, maxLength: 255, description: 'makes a retried request one answer' }),
    ),
    writeKey: Type.Optional(Type.String({ maxLength: 255 })),
  },
  { additionalProperties: false },
);

const ResponseOutcomeSchema = Type.Object({
  surveyId: Type.String(),
  stored: Type.Boolean({ description: 'false: the person had answered already; the first answer counts' }),
  answers: Type.Record(Type.String(), Type.Unknown()),
});

const LinkBodySchema = Type.Object(
  {
    surveyId: Type.String({ minLength: 1, maxLength: 63 }),
    profileId: Type.String({ minLength: 1, maxLength: 255 }),
  },
  { additionalProperties: false },
);

const FormSchema = Type.Record(
  Type.String({ maxLength: 70 }),
  Type.Array(Type.String({ maxLength: 2000 }), { maxItems: 30 }),
);

const closedText = (closedAt: string) =>
  `This survey closed on ${closedAt.slice(0, 10)} and takes no more answers. Thank you all the same.`;

const tokenParams = Type.Object({ '*': Type.String({ maxLength: 4096, description: 'the signed token' }) });

export const surveyRoutes: FastifyPluginAsyncTypebox<SurveyRouteOptions> = async (app, options) => {
  const { surveys } = options;
  // The hosted page's form posts url-encoded fields; this plugin's parser, nobody else's.
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => {
      const form: Record<string, string[]> = {};
      for (const [name, value] of new URLSearchParams(String(body))) {
        form[name] = [...(form[name] ?? []), value];
      }
      done(null, form);
    },
  );

  app.get(
    '/api/surveys',
    {
      config: { access: 'read' },
      schema: {
        tags,
        security,
        summary: 'Every survey with its number of answers',
        response: { 200: Type.Object({ surveys: Type.Array(SurveySummarySchema) }) },
      },
    },
    async () => ({ surveys: await surveys.list() }),
  );

  app.post(
    '/api/surveys',
    {
      config: { access: 'marketing:write' },
      validatorCompiler: strictBody(SurveyInputSchema),
      schema: {
        tags,
        security,
        summary: 'Define a survey (or replace the one with this id)',
        body: SurveyInputSchema,
        response: { 200: SurveySchema, '4xx': errorSchema },
      },
    },
    async (request) => translated(() => surveys.define(request.body)),
  );

  app.get(
    '/api/surveys/:id',
    {
      config: { access: 'read' },
      schema: {
        tags,
        security,
        summary: 'A survey',
        params: IdParams,
        response: { 200: SurveySchema, '4xx': errorSchema },
      },
    },
    async (request) => translated(() => surveys.get(request.params.id)),
  );

  for (const [action, summary] of [
    ['close', 'Close a survey: from now on an answer is refused (409 RAPPORT_SURVEY_CLOSED)'],
    ['reopen', 'Open a closed survey again'],
  ] as const)
    app.post(
      `/api/surveys/:id/${action}`,
      {
        config: { access: 'marketing:write' },
        schema: {
          tags,
          security,
          summary,
          params: IdParams,
          response: { 200: SurveySchema, '4xx': errorSchema },
        },
      },
      async (request) =>
        translated(() =>
          action === 'close' ? surveys.close(request.params.id) : surveys.reopen(request.params.id),
        ),
    );

  app.get(
    '/api/surveys/:id/results',
    {
      config: { access: 'read' },
      schema: {
        tags,
        security,
        summary:
          'Results: distributions, NPS with its interval raw and re-weighted, the response-bias report, themes, trend',
        params: IdParams,
        querystring: Type.Object({
          method: Type.Optional(
            Type.Union([Type.Literal('raking'), Type.Literal('post-stratification'), Type.Literal('none')], {
              default: 'raking',
            }),
          ),
          traits: Type.Optional(
            Type.String({
              maxLength: 1000,
              description: "comma-separated traits to re-weight on (default: the survey's)",
            }),
          ),
        }),
        response: { 200: SurveyResultsSchema, '4xx': errorSchema },
      },
    },
    async (request) => {
      const traits = request.query.traits
        ?.split(',')
        .map((t) => t.trim())
        .filter(Boolean);
      if (traits && traits.length > 5)
        throw new RapportError('RAPPORT_SURVEY_INVALID', 'traits: at most 5', { field: 'traits' });
      return translated(() =>
        surveys.results(request.params.id, {
          ...(request.query.method ? { method: request.query.method } : {}),
          ...(traits ? { traits } : {}),
        }),
      );
    },
  );

  app.post(
    '/api/survey-links',
    {
      config: { access: 'marketing:write' },
      validatorCompiler: strictBody(LinkBodySchema),
      schema: {
        tags,
        security,
        summary:
          "A person's signed link to the hosted survey page (for a channel Rapport does not send through)",
        body: LinkBodySchema,
        response: { 200: Type.Object({ url: Type.String() }), '4xx': errorSchema },
      },
    },
    async (request) =>
      translated(async () => ({
        url: `${options.publicUrl()}${await surveys.linkFor(request.body.surveyId, request.body.profileId)}`,
      })),
  );

  app.post(
    '/v1/survey-response',
    {
      config: { access: 'public' },
      validatorCompiler: strictBody(ResponseBodySchema),
      schema: {
        tags: ['tracking'],
        summary:
          "A survey answer: with a link's signed token, or with a write key and the person's userId or anonymousId",
        body: ResponseBodySchema,
        response: { 200: ResponseOutcomeSchema, '4xx': errorSchema },
      },
    },
    async (request) => {
      const body = request.body;
      return translated(async () => {
        let respondent: Respondent;
        if (body.token) {
          const link = await surveys.openLink(body.token);
          if (link.survey.id !== body.surveyId)
            throw new RapportError(
              'RAPPORT_SURVEY_LINK_INVALID',
              'surveyId: the token is for another survey',
              { field: 'surveyId' },
            );
          respondent = link.respondent;
        } else {
          const secret = secretFromAuthorization(request.headers.authorization) ?? body.writeKey;
          const credential = secret ? await options.credentials.verify(secret, 'write') : undefined;
          if (!credential)
            throw new RapportError(
              'RAPPORT_INGEST_UNKNOWN_WRITE_KEY',
              'a survey answer needs a signed token or a valid write key',
            );
          if (!body.userId && !body.anonymousId)
            throw new RapportError(
              'RAPPORT_SURVEY_INVALID',
              'userId: a userId or an anonymousId is required',
              { field: 'userId' },
            );
          respondent = { profileId: await surveys.profileOf(body), channel: 'web' };
        }
        const outcome = await surveys.respond(body.surveyId, respondent, body.answers, body.messageId);
        return { surveyId: outcome.surveyId, stored: outcome.stored, answers: outcome.answers };
      });
    },
  );

  const html = (reply: FastifyReply, status: number, page: string) =>
    reply
      .code(status)
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('referrer-policy', 'no-referrer')
      .send(page);
  const linkRefusal = (reply: FastifyReply, error: unknown) => {
    if (error instanceof SurveyError && (error.reason === 'link-invalid' || error.reason === 'link-expired'))
      return html(
        reply,
        error.reason === 'link-expired' ? 410 : 400,
        messagePage('Survey link not valid', error.message),
      );
    throw error;
  };
  const pageSchema = (summary: string) => ({
    tags: ['survey page'],
    summary,
    params: tokenParams,
    response: { 200: Type.String(), 400: Type.String(), 403: Type.String(), 410: Type.String() },
  });

  app.get(
    '/s/*',
    { config: { access: 'public' }, schema: pageSchema('The hosted survey page a signed link opens') },
    async (request, reply) => {
      try {
        const { survey } = await surveys.openLink(request.params['*']);
        if (survey.closedAt)
          return html(reply, 410, messagePage('Survey closed', closedText(survey.closedAt)));
        return html(reply, 200, surveyPage(survey));
      } catch (error) {
        return linkRefusal(reply, error);
      }
    },
  );

  app.post(
    '/s/*',
    {
      config: { access: 'public' },
      schema: { ...pageSchema("The hosted page's form: stores the answers"), body: FormSchema },
    },
    async (request, reply) => {
      let link: Awaited<ReturnType<SurveyService['openLink']>>;
      try {
        link = await surveys.openLink(request.params['*']);
      } catch (error) {
        return linkRefusal(reply, error);
      }
      try {
        const outcome = await surveys.respond(link.survey.id, link.respondent, answersFromForm(request.body));
        return html(
          reply,
          200,
          messagePage(
            'Thank you',
            outcome.stored
              ? 'Your answers are saved. Thank you for taking the time.'
              : 'We already have your answers to this survey. Thank you.',
          ),
        );
      } catch (error) {
        if (error instanceof SurveyInvalidError)
          return html(reply, 400, surveyPage(link.survey, { field: error.field, message: error.message }));
        if (error instanceof SurveyError && error.reason === 'closed')
          return html(reply, 410, messagePage('Survey closed', closedText(link.survey.closedAt ?? '')));
        if (error instanceof SurveyError && error.reason === 'consent-denied')
          return html(
            reply,
            403,
            messagePage(
              'Not saved',
              'You asked us not to use your data for analysis, so your answers were not saved.',
            ),
          );
        if (error instanceof SurveyError && error.reason === 'unknown-person')
          return html(
            reply,
            400,
            messagePage('Survey link not valid', 'This survey link is no longer valid.'),
          );
        throw error;
      }
    },
  );
};
