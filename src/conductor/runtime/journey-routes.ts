// Journeys, the arbitration log, the outbox and API sends (docs/journeys.md,
// docs/arbitration.md). Handlers call the conductor's JourneyService; none touches a store.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { strictBody } from '../../api/strict-body.ts';
import type { CredentialCache } from '../../auth/index.ts';
import { errorSchema } from '../../errors/index.ts';
import { OUTBOX_STATUSES, type OutboxStatus } from '../../store/index.ts';
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
const idParams = { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } as const;

const journeySchema = {
  type: 'object',
  properties: {
    journeyId: { type: 'string' },
    version: { type: 'integer' },
    status: { type: 'string', enum: ['active', 'paused'] },
    definition: {
      type: 'object',
      additionalProperties: true,
      description: 'the journey document (docs/journeys.md)',
    },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
  },
} as const;

const invalidSchema = {
  type: 'object',
  properties: {
    error: { type: 'string' },
    message: { type: 'string' },
    issues: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          code: { type: 'string' },
          stepId: { type: 'string' },
          field: { type: 'string' },
          message: { type: 'string' },
        },
      },
    },
  },
  additionalProperties: true,
} as const;

const JourneyIssueSchema = Type.Object({
  code: Type.String(),
  stepId: Type.Optional(Type.String()),
  field: Type.String({ description: 'a JSON pointer into the document' }),
  message: Type.String(),
});

const JourneyCheckSchema = Type.Object({
  ok: Type.Boolean(),
  issues: Type.Array(JourneyIssueSchema, { description: 'empty when ok; each names its step and field' }),
});

const JourneyVersionSchema = Type.Object({
  version: Type.Integer(),
  savedAt: Type.String(),
  name: Type.Union([Type.String(), Type.Null()]),
});

const statsSchema = {
  type: 'object',
  properties: {
    journeyId: { type: 'string' },
    version: { type: 'integer' },
    entered: { type: 'integer' },
    active: { type: 'integer' },
    completed: { type: 'integer' },
    converted: { type: 'integer' },
    aborted: { type: 'integer' },
    steps: {
      type: 'object',
      description: 'per step id: people there now and passes through it, ever',
      additionalProperties: {
        type: 'object',
        properties: { current: { type: 'integer' }, passed: { type: 'integer' } },
      },
    },
  },
} as const;

const decisionSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    at: { type: 'string' },
    profileId: { type: 'string' },
    journeyId: { type: ['string', 'null'] },
    stepId: { type: ['string', 'null'] },
    idempotencyKey: { type: 'string' },
    channel: { type: ['string', 'null'] },
    action: { type: 'string', enum: ['send', 'defer', 'drop', 'fail'] },
    code: { type: 'string' },
    reason: { type: 'string' },
    until: { type: ['string', 'null'] },
  },
} as const;

const outboxSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    idempotencyKey: { type: 'string' },
    profileId: { type: 'string' },
    journeyId: { type: ['string', 'null'] },
    stepId: { type: ['string', 'null'] },
    origin: { type: 'string' },
    kind: { type: 'string' },
    status: { type: 'string', enum: [...OUTBOX_STATUSES] },
    attempts: { type: 'integer' },
    nextAttemptAt: { type: 'string' },
    channel: { type: ['string', 'null'] },
    decisionCode: { type: ['string', 'null'] },
    decisionReason: { type: ['string', 'null'] },
    lastError: { type: ['string', 'null'] },
    providerMessageId: { type: ['string', 'null'] },
    sentAt: { type: ['string', 'null'] },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
  },
} as const;

const pageQuery = {
  limit: { type: 'integer', minimum: 1, maximum: 500 },
  before: { type: 'integer', description: 'cursor: rows with a smaller id' },
} as const;

export async function journeyRoutes(app: FastifyInstance, options: JourneyRouteOptions): Promise<void> {
  const { journeys } = options;

  const save = { type: 'object', additionalProperties: true, description: 'a journey document' } as const;
  app.post(
    '/api/journeys',
    {
      config: { access: 'marketing:write' },
      schema: {
        tags: ['journeys'],
        summary: 'Save a journey (a new one, or a new version); checked before it is stored',
        security,
        body: save,
        response: { 201: journeySchema, 400: invalidSchema, 409: errorSchema },
      },
    },
    async (request, reply) => reply.code(201).send(await journeys.save(request.body)),
  );

  app.put(
    '/api/journeys/:id',
    {
      config: { access: 'marketing:write' },
      schema: {
        tags: ['journeys'],
        summary: 'Publish a version of this journey',
        security,
        params: idParams,
        body: save,
        response: { 200: journeySchema, 400: invalidSchema, 409: errorSchema },
      },
    },
    async (request) => journeys.save(request.body, (request.params as { id: string }).id),
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
          200: Type.Object({
            version: Type.Integer(),
            definition: Type.Object({}, { additionalProperties: true }),
          }),
          404: errorSchema,
        },
      },
    },
    async (request) => journeys.version(request.params.id, request.params.version),
  );

  app.get(
    '/api/journeys',
    {
      config: { access: 'read' },
      schema: {
        tags: ['journeys'],
        summary: 'Journeys (latest version each)',
        security,
        response: { 200: { type: 'array', items: journeySchema } },
      },
    },
    async () => journeys.list(),
  );

  app.get(
    '/api/journeys/:id',
    {
      config: { access: 'read' },
      schema: {
        tags: ['journeys'],
        summary: 'One journey',
        security,
        params: idParams,
        response: { 200: journeySchema, 404: errorSchema },
      },
    },
    async (request) => journeys.get((request.params as { id: string }).id),
  );

  app.delete(
    '/api/journeys/:id',
    {
      config: { access: 'marketing:write' },
      schema: {
        tags: ['journeys'],
        summary: 'Delete a journey: no one enters it again; trips under way stay as they are',
        security,
        params: idParams,
        response: { 204: { type: 'null' }, 404: errorSchema },
      },
    },
    async (request, reply) => {
      await journeys.setStatus((request.params as { id: string }).id, 'deleted');
      return reply.code(204).send();
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
          params: idParams,
          response: { 200: journeySchema, 404: errorSchema },
        },
      },
      async (request) => journeys.setStatus((request.params as { id: string }).id, status),
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
        params: idParams,
        querystring: {
          type: 'object',
          properties: { limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 } },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              profileId: {
                type: 'string',
                description: 'the live profile (a merged-away id answers for it)',
              },
              items: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    instanceId: { type: 'string' },
                    journeyId: { type: 'string' },
                    name: { type: 'string', description: 'the name in the version entered under' },
                    version: { type: 'integer' },
                    status: {
                      type: 'string',
                      enum: ['active', 'completed', 'exited'],
                      description:
                        'active: running or waiting; completed: reached an exit or the goal; exited: taken out',
                    },
                    exitReason: {
                      type: ['string', 'null'],
                      enum: ['completed', 'converted', 'aborted', null],
                    },
                    currentStep: { type: 'string', description: 'the step they are at, or left from' },
                    enteredAt: { type: 'string' },
                    exitedAt: { type: ['string', 'null'] },
                  },
                },
              },
            },
          },
          '4xx': errorSchema,
        },
      },
    },
    async (request) =>
      journeys.profileJourneys(
        (request.params as { id: string }).id,
        (request.query as { limit: number }).limit,
      ),
  );

  app.get(
    '/api/journeys/:id/stats',
    {
      config: { access: 'read' },
      schema: {
        tags: ['journeys'],
        summary: 'Entered, active, completed, converted, and per-step counts for the graph',
        security,
        params: idParams,
        response: { 200: statsSchema, 404: errorSchema },
      },
    },
    async (request) => journeys.stats((request.params as { id: string }).id),
  );

  app.get(
    '/api/journey-stats',
    {
      config: { access: 'read' },
      schema: {
        tags: ['journeys'],
        summary: 'Every journey’s entered, active, completed, converted and per-step counts, in one answer',
        security,
        response: { 200: { type: 'array', items: statsSchema } },
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
        querystring: {
          type: 'object',
          properties: { profileId: { type: 'string' }, journeyId: { type: 'string' }, ...pageQuery },
        },
        response: {
          200: { type: 'object', properties: { items: { type: 'array', items: decisionSchema } } },
        },
      },
    },
    async (request) => {
      const q = request.query as { profileId?: string; journeyId?: string; limit?: number; before?: number };
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
        querystring: {
          type: 'object',
          properties: {
            status: { type: 'string', enum: [...OUTBOX_STATUSES] },
            profileId: { type: 'string' },
            journeyId: { type: 'string' },
            ...pageQuery,
          },
        },
        response: { 200: { type: 'object', properties: { items: { type: 'array', items: outboxSchema } } } },
      },
    },
    async (request) => {
      const q = request.query as {
        status?: OutboxStatus;
        profileId?: string;
        journeyId?: string;
        limit?: number;
        before?: number;
      };
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
          200: {
            type: 'object',
            properties: { subject: { type: 'string' }, text: { type: 'string' }, html: { type: 'string' } },
          },
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
          200: {
            type: 'object',
            properties: {
              idempotencyKey: { type: 'string', description: 'as logged in /api/decisions (code test_send)' },
              to: { type: 'string' },
              accepted: { type: 'boolean' },
              status: { type: 'string', enum: ['sent', 'failed', 'retry'] },
              error: { type: ['string', 'null'] },
              subject: { type: ['string', 'null'] },
            },
          },
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
}
