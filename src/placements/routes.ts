// `GET /v1/decide` (write key: it is called from web pages, apps and receipt printers, like the
// tracking API), the promotion click redirect, and the admin routes that save definitions.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type CredentialCache, secretFromAuthorization } from '../auth/index.ts';
import { errorSchema, RapportError } from '../errors/index.ts';
import type { PlacementDefinitions, PlacementService } from './service.ts';

export interface PlacementRouteOptions {
  placements: PlacementService;
  credentials: CredentialCache;
}

const offerSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', minLength: 1, maxLength: 200 },
    placement: { type: 'string', minLength: 1, maxLength: 200 },
    rule: { description: 'A segment rule of trait conditions (and, or, not)' },
    priority: { type: 'number' },
    expectedValue: { type: 'number' },
    capPerOffer: { type: 'integer', minimum: 0, description: 'Impressions a day across everyone' },
    capPerPerson: { type: 'integer', minimum: 0, description: 'Impressions a day to one person' },
    requiresPersonalization: { type: 'boolean' },
    validFrom: { type: 'string', format: 'date-time' },
    validUntil: { type: 'string', format: 'date-time' },
    content: { description: 'What the page renders (headline, image, url …)' },
    survey: {
      type: 'string',
      minLength: 1,
      maxLength: 63,
      description: 'A survey id: the page renders the survey (GET /v1/decide answers its questions)',
    },
  },
  required: ['id', 'placement', 'priority', 'expectedValue', 'requiresPersonalization'],
  additionalProperties: false,
} as const;
const definitionsSchema = {
  type: 'object',
  properties: {
    placements: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: { type: 'string', minLength: 1, maxLength: 200 },
          defaultOfferId: { type: 'string' },
        },
        required: ['id', 'defaultOfferId'],
        additionalProperties: false,
      },
    },
    offers: { type: 'array', items: offerSchema },
  },
  required: ['placements', 'offers'],
} as const;

async function requireWriteKey(request: FastifyRequest, credentials: CredentialCache): Promise<void> {
  const secret =
    secretFromAuthorization(request.headers.authorization) ??
    (request.query as { writeKey?: string }).writeKey;
  if (!secret) {
    throw new RapportError(
      'RAPPORT_INGEST_UNKNOWN_WRITE_KEY',
      'no write key: send it as HTTP Basic username or ?writeKey=',
    );
  }
  if (!(await credentials.verify(secret, 'write'))) {
    throw new RapportError('RAPPORT_INGEST_UNKNOWN_WRITE_KEY', 'unknown or revoked write key');
  }
}

async function publicRoutes(app: FastifyInstance, options: PlacementRouteOptions): Promise<void> {
  const { placements, credentials } = options;
  app.get(
    '/v1/decide',
    {
      config: { access: 'public' },
      schema: {
        tags: ['placements'],
        summary:
          'The best eligible offer for a placement and a person (the default offer for an unknown person)',
        security: [{ writeKey: [] }],
        querystring: {
          type: 'object',
          properties: {
            placement: { type: 'string', minLength: 1, maxLength: 200 },
            userId: { type: 'string', maxLength: 500 },
            anonymousId: { type: 'string', maxLength: 500 },
            writeKey: {
              type: 'string',
              description: 'For callers that cannot send headers (an <img> or <iframe>)',
            },
          },
          required: ['placement'],
        },
        response: {
          200: {
            type: 'object',
            properties: {
              placement: { type: 'string' },
              offer: {
                type: ['object', 'null'],
                properties: { id: { type: 'string' }, content: {} },
              },
              code: { type: 'string' },
              reason: { type: 'string' },
              clickUrl: { type: 'string' },
              survey: {
                type: 'object',
                description: 'A survey offer: the questions, and the token to post the answers with',
                properties: {
                  id: { type: 'string' },
                  title: { type: 'string' },
                  intro: { type: 'string' },
                  questions: { type: 'array', items: {} },
                  token: { type: 'string' },
                  pageUrl: { type: 'string' },
                  respondUrl: { type: 'string' },
                },
              },
            },
          },
          '4xx': errorSchema,
        },
      },
    },
    async (request, reply) => {
      await requireWriteKey(request, credentials);
      const query = request.query as { placement: string; userId?: string; anonymousId?: string };
      const { result, clickUrl, survey } = await placements.decide(query.placement, query);
      if (result.code === 'unknown_placement') {
        throw new RapportError('RAPPORT_API_NOT_FOUND', `no placement ${JSON.stringify(query.placement)}`);
      }
      reply.header('cache-control', 'no-store');
      return {
        placement: query.placement,
        offer: result.offer ? { id: result.offer.id, content: result.offer.content ?? null } : null,
        code: result.code,
        reason: result.reason,
        ...(clickUrl ? { clickUrl } : {}),
        ...(survey ? { survey: { ...survey, respondUrl: '/v1/survey-response' } } : {}),
      };
    },
  );

  app.get(
    '/t/p/*',
    {
      config: { access: 'public' },
      schema: {
        tags: ['tracking links'],
        summary: 'Promotion click: records Promotion Clicked and redirects to the offer URL',
        params: { type: 'object', properties: { '*': { type: 'string', maxLength: 4096 } }, required: ['*'] },
        querystring: {
          type: 'object',
          properties: { u: { type: 'string', maxLength: 8192 } },
          required: ['u'],
        },
        response: { 302: { type: 'null' }, '4xx': errorSchema },
      },
    },
    async (request, reply) => {
      const token = (request.params as { '*': string })['*'];
      const { u } = request.query as { u: string };
      if (!placements.click(token, u))
        throw new RapportError('RAPPORT_API_BAD_REQUEST', 'this link is not valid');
      return reply.header('cache-control', 'no-store').redirect(u, 302);
    },
  );
}

async function adminPlacementRoutes(app: FastifyInstance, options: PlacementRouteOptions): Promise<void> {
  const { placements } = options;
  const security = [{ adminToken: [] }];
  app.get(
    '/api/placements',
    {
      config: { access: 'read' },
      schema: {
        tags: ['placements'],
        summary: 'Placements and their offers',
        security,
        response: { 200: definitionsSchema },
      },
    },
    async () => placements.current,
  );
  app.put(
    '/api/placements',
    {
      config: { access: 'marketing:write' },
      schema: {
        tags: ['placements'],
        summary: 'Replace placements and offers (checked whole: any issue refuses the set)',
        security,
        body: definitionsSchema,
        response: { 200: definitionsSchema, '4xx': errorSchema },
      },
    },
    async (request) => placements.save(request.body as PlacementDefinitions),
  );
}

export async function placementRoutes(app: FastifyInstance, options: PlacementRouteOptions): Promise<void> {
  await app.register(publicRoutes, options);
  await app.register(adminPlacementRoutes, options);
}
