// Journeys, the arbitration log, the outbox and API sends (docs/journeys.md,
// docs/arbitration.md). Handlers call the conductor's JourneyService; none touches a store.
import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { strictBody } from '../../api/strict-body.ts';
import type { CredentialCache } from '../../auth/index.ts';
import { errorSchema, RapportError } from '../../errors/index.ts';
import type { StoredJourney } from '../../store/index.ts';
import type { JourneyDefinition } from '../journey/definition.ts';
import {
  DecisionsQuery,
  DecisionsSchema,
  type JourneyAnswer,
  JourneyCheckSchema,
  JourneyDocumentBody,
  JourneyIdParams,
  JourneyInvalidSchema,
  JourneySchema,
  JourneyStatsSchema,
  JourneyVersionDocumentSchema,
  JourneyVersionSchema,
  OutboxQuery,
  OutboxSchema,
  PROFILE_JOURNEYS_LIMIT,
  ProfileJourneysQuery,
  ProfileJourneysSchema,
  RenderedTemplateSchema,
  TemplateTestSendAnswerSchema,
} from '../schema.ts';
import {
  ApiSendSchema,
  type JourneyService,
  TemplatePreviewSchema,
  TemplateTestSendSchema,
} from './service.ts';

export interface JourneyRouteOptions {
  journeys: JourneyService;
  credentials: CredentialCache;
}

const security = [{ adminToken: [] }];
/** A journey as the API shows it: a deleted one is never answered (its routes answer 404). */
function visible(journey: StoredJourney): JourneyAnswer {
  if (journey.status === 'deleted')
    throw new RapportError('RAPPORT_API_NOT_FOUND', `no journey ${journey.journeyId}`);
  return { ...journey, status: journey.status, definition: savedDocument(journey.definition) };
}

/** A stored journey document: the store keeps JSON, and only a document that passed the saving schema is saved. */
function savedDocument(definition: unknown): JourneyDefinition {
  return definition as JourneyDefinition;
}

export const journeyRoutes: FastifyPluginAsyncTypebox<JourneyRouteOptions> = async (app, options) => {
  const { journeys } = options;

  app.post(
    '/api/journeys',
    {
      config: { access: 'marketing:write' },
      schema: {
        tags: ['journeys'],
        summary: 'Save a journey (a new one, or a new version); checked before it is stored',
        security,
        body: JourneyDocumentBody,
        response: { 201: JourneySchema, 400: JourneyInvalidSchema, 409: errorSchema },
      },
    },
    async (request, reply) => reply.code(201).send(visible(await journeys.save(request.body))),
  );

  app.put(
    '/api/journeys/:id',
    {
      config: { access: 'marketing:write' },
      schema: {
        tags: ['journeys'],
        summary: 'Publish a version of this journey',
        security,
        params: JourneyIdParams,
        body: JourneyDocumentBody,
        response: { 200: JourneySchema, 400: JourneyInvalidSchema, 409: errorSchema },
      },
    },
    async (request) => visible(await journeys.save(request.body, request.params.id)),
  );

  const typed = app.withTypeProvider<TypeBoxTypeProvider>();
  typed.post(
    '/api/journeys/check',
    {
      // Checks only: nothing is stored, so reading is enough to ask.
      config: { access: 'read' },
      schema: {
        tags: ['journeys'],
        summary:
          'Check a journey document as saving would, without saving it (the builder’s inline validation)',
        security,
        body: Type.Object({}, { additionalProperties: true, description: 'a journey document' }),
        response: { 200: JourneyCheckSchema },
      },
    },
    async (request) => journeys.check(request.body),
  );

  typed.get(
    '/api/journeys/:id/versions',
    {
      config: { access: 'read' },
      schema: {
        tags: ['journeys'],
        summary: 'Every saved version of a journey, newest first',
        security,
        params: Type.Object({ id: Type.String() }),
        response: { 200: Type.Array(JourneyVersionSchema), 404: errorSchema },
      },
    },
    async (request) => journeys.versions(request.params.id),
  );

  typed.get(
    '/api/journeys/:id/versions/:version',
    {
      config: { access: 'read' },
      schema: {
        tags: ['journeys'],
        summary: 'One saved version of a journey',
        security,
        params: Type.Object({ id: Type.String(), version: Type.Integer({ minimum: 1 }) }),
        response: {
          200: JourneyVersionDocumentSchema,
          404: errorSchema,
        },
      },
    },
    async (request) => {
      const saved = await journeys.version(request.params.id, request.params.version);
      return { version: saved.version, definition: savedDocument(saved.definition) };
    },
  );

  app.get(
    '/api/journeys',
    {
      config: { access: 'read' },
      schema: {
        tags: ['journeys'],
        summary: 'Journeys (latest version each)',
        security,
        response: { 200: Type.Array(JourneySchema) },
      },
    },
    async () => (await journeys.list()).filter((journey) => journey.status !== 'deleted').map(visible),
  );

  app.get(
    '/api/journeys/:id',
    {
      config: { access: 'read' },
      schema: {
        tags: ['journeys'],
        summary: 'One journey',
        security,
        params: JourneyIdParams,
        response: { 200: JourneySchema, 404: errorSchema },
      },
    },
    async (request) => visible(await journeys.get(request.params.id)),
  );

  app.delete(
    '/api/journeys/:id',
    {
      config: { access: 'marketing:write' },
      schema: {
        tags: ['journeys'],
        summary: 'Delete a journey: no one enters it again; trips under way stay as they are',
        security,
        params: JourneyIdParams,
        response: { 204: Type.Null(), 404: errorSchema },
      },
    },
    async (request, reply) => {
      await journeys.setStatus(request.params.id, 'deleted');
      return reply.code(204).send(null);
    },
  );

  for (const [verb, status] of [
    ['pause', 'paused'],
    ['resume', 'active'],
  ] as const) {
    app.post(
      `/api/journeys/:id/${verb}`,
      {
        config: { access: 'marketing:write' },
        schema: {
          tags: ['journeys'],
          summary:
            verb === 'pause'
              ? 'Pause: no new entries, and waiting people hold until resumed'
              : 'Resume: entries again, and timers that came due meanwhile fire',
          security,
          params: JourneyIdParams,
          response: { 200: JourneySchema, 404: errorSchema },
        },
      },
      async (request) => {
        const journey = await journeys.setStatus(request.params.id, status);
        if (!journey) throw new RapportError('RAPPORT_API_NOT_FOUND', `no journey ${request.params.id}`);
        return visible(journey);
      },
    );
  }

  app.get(
    '/api/profiles/:id/journeys',
    {
      config: { access: 'read' },
      schema: {
        tags: ['journeys', 'profiles'],
        summary: 'The journeys a person is in or has been in (across merged profiles), latest entered first',
        security,
        params: JourneyIdParams,
        querystring: ProfileJourneysQuery,
        response: {
          200: ProfileJourneysSchema,
          '4xx': errorSchema,
        },
      },
    },
    async (request) =>
      journeys.profileJourneys(request.params.id, request.query.limit ?? PROFILE_JOURNEYS_LIMIT),
  );

  app.get(
    '/api/journeys/:id/stats',
    {
      config: { access: 'read' },
      schema: {
        tags: ['journeys'],
        summary: 'Entered, active, completed, converted, and per-step counts for the graph',
        security,
        params: JourneyIdParams,
        response: { 200: JourneyStatsSchema, 404: errorSchema },
      },
    },
    async (request) => journeys.stats(request.params.id),
  );

  app.get(
    '/api/journey-stats',
    {
      config: { access: 'read' },
      schema: {
        tags: ['journeys'],
        summary: 'Every journey’s entered, active, completed, converted and per-step counts, in one answer',
        security,
        response: { 200: Type.Array(JourneyStatsSchema) },
      },
    },
    async () => journeys.allStats(),
  );

  app.get(
    '/api/decisions',
    {
      config: { access: 'read' },
      schema: {
        tags: ['journeys'],
        summary: 'The arbitration log: every send, deferral, drop and failure with its reason, newest first',
        security,
        querystring: DecisionsQuery,
        response: { 200: DecisionsSchema },
      },
    },
    async (request) => {
      const q = request.query;
      return {
        items: await journeys.decisions({
          limit: q.limit ?? 100,
          ...(q.profileId ? { profileId: q.profileId } : {}),
          ...(q.journeyId ? { journeyId: q.journeyId } : {}),
          ...(q.before !== undefined ? { beforeId: q.before } : {}),
        }),
      };
    },
  );

  app.get(
    '/api/outbox',
    {
      config: { access: 'read' },
      schema: {
        tags: ['journeys'],
        summary: 'Messages and tasks queued, deferred, sent, dropped, failed or dead, newest first',
        security,
        querystring: OutboxQuery,
        response: { 200: OutboxSchema },
      },
    },
    async (request) => {
      const q = request.query;
      return {
        items: await journeys.outbox({
          limit: q.limit ?? 100,
          ...(q.status ? { status: q.status } : {}),
          ...(q.profileId ? { profileId: q.profileId } : {}),
          ...(q.journeyId ? { journeyId: q.journeyId } : {}),
          ...(q.before !== undefined ? { beforeId: q.before } : {}),
        }),
      };
    },
  );

  app.withTypeProvider<TypeBoxTypeProvider>().post(
    '/api/templates/preview',
    {
      // Renders with sample values only: nothing is stored or sent.
      config: { access: 'read' },
      validatorCompiler: strictBody(TemplatePreviewSchema),
      schema: {
        tags: ['journeys'],
        summary: 'Render a message template with sample values, exactly as a send renders it (MJML compiled)',
        security,
        body: TemplatePreviewSchema,
        response: {
          200: RenderedTemplateSchema,
          '4xx': errorSchema,
        },
      },
    },
    async (request) => journeys.previewFor(request.body),
  );

  app.withTypeProvider<TypeBoxTypeProvider>().post(
    '/api/templates/test-send',
    {
      config: { access: 'marketing:write' },
      validatorCompiler: strictBody(TemplateTestSendSchema),
      schema: {
        tags: ['journeys'],
        summary:
          'Render a template (for a person, or with sample values) and send it once to the address given',
        description:
          'Through the configured email channel, as a send renders it; no journey, arbitration or consent (it goes to the address typed, not to the person); logged in /api/decisions with code test_send. 409 when no email channel is configured.',
        security,
        body: TemplateTestSendSchema,
        response: {
          200: TemplateTestSendAnswerSchema,
          '4xx': errorSchema,
        },
      },
    },
    async (request) => journeys.testSend(request.body),
  );

  app.withTypeProvider<TypeBoxTypeProvider>().post(
    '/api/messages',
    {
      validatorCompiler: strictBody(ApiSendSchema),
      config: { access: 'marketing:write' },
      schema: {
        tags: ['journeys'],
        summary: 'Send one message to a person, through the same arbitration as journey sends',
        description:
          'An unknown field is refused (400 naming it), never dropped. What the channel needs is checked here: email a subject, webhook a to.url.',
        security,
        body: ApiSendSchema,
        response: {
          202: {
            type: 'object',
            properties: {
              idempotencyKey: { type: 'string' },
              profileId: { type: 'string' },
              queued: { type: 'boolean', description: 'false when this key was queued before' },
            },
          },
          '4xx': errorSchema,
        },
      },
    },
    async (request, reply) => reply.code(202).send(await journeys.send(request.body)),
  );
};
