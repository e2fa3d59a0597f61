// `GET /v1/decide` (write key: it is called from web pages, apps and receipt printers, like the
// tracking API), the promotion click redirect, and the admin routes that save definitions.

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { strictBody } from '../api/strict-body.ts';
import { type CredentialCache, secretFromAuthorization } from '../auth/index.ts';
import { errorSchema, RapportError } from '../errors/index.ts';
import { definitionsSchema, PlacementPreviewSchema } from './schema.ts';
import type { PlacementService } from './service.ts';

export interface PlacementRouteOptions {
  placements: PlacementService;
  credentials: CredentialCache;
}

const PreviewBody = Type.Object(
  {
    placement: Type.String({ minLength: 1, maxLength: 200 }),
    profileId: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: 'Absent: an unknown visitor' }),
    ),
    definitions: Type.Optional(definitionsSchema),
  },
  { additionalProperties: false },
);
async function requireWriteKey(
  request: FastifyRequest<{ Querystring: { writeKey?: string } }>,
  credentials: CredentialCache,
): Promise<void> {
  const secret = secretFromAuthorization(request.headers.authorization) ?? request.query.writeKey;
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

const publicRoutes: FastifyPluginAsyncTypebox<PlacementRouteOptions> = async (app, options) => {
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
        querystring: Type.Object({
          placement: Type.String({ minLength: 1, maxLength: 200 }),
          userId: Type.Optional(Type.String({ maxLength: 500 })),
          anonymousId: Type.Optional(Type.String({ maxLength: 500 })),
          writeKey: Type.Optional(
            Type.String({ description: 'For callers that cannot send headers (an <img> or <iframe>)' }),
          ),
        }),
        response: {
          200: Type.Object({
            placement: Type.Optional(Type.String()),
            offer: Type.Optional(
              Type.Union([
                Type.Object({ id: Type.Optional(Type.String()), content: Type.Optional(Type.Unknown()) }),
                Type.Null(),
              ]),
            ),
            code: Type.Optional(Type.String()),
            reason: Type.Optional(Type.String()),
            clickUrl: Type.Optional(Type.String()),
            survey: Type.Optional(
              Type.Object(
                {
                  id: Type.Optional(Type.String()),
                  title: Type.Optional(Type.String()),
                  intro: Type.Optional(Type.String()),
                  questions: Type.Optional(Type.Array(Type.Unknown())),
                  token: Type.Optional(Type.String()),
                  pageUrl: Type.Optional(Type.String()),
                  respondUrl: Type.Optional(Type.String()),
                },
                { description: 'A survey offer: the questions, and the token to post the answers with' },
              ),
            ),
          }),
          '4xx': errorSchema,
        },
      },
    },
    async (request, reply) => {
      await requireWriteKey(request, credentials);
      const query = request.query;
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
        params: Type.Object({ '*': Type.String({ maxLength: 4096 }) }),
        querystring: Type.Object({ u: Type.String({ maxLength: 8192 }) }),
        response: { 302: Type.Null(), '4xx': errorSchema },
      },
    },
    async (request, reply) => {
      const token = request.params['*'];
      const { u } = request.query;
      if (!placements.click(token, u))
        throw new RapportError('RAPPORT_API_BAD_REQUEST', 'this link is not valid');
      return reply.header('cache-control', 'no-store').redirect(u, 302);
    },
  );
};

const adminPlacementRoutes: FastifyPluginAsyncTypebox<PlacementRouteOptions> = async (app, options) => {
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
  app.post(
    '/api/placements/preview',
    {
      config: { access: 'read' },
      validatorCompiler: strictBody(PreviewBody),
      schema: {
        tags: ['placements'],
        summary:
          'What a person would be shown, each offer with why it was or was not, under the saved definitions or a draft (nothing stored or counted)',
        security,
        body: PreviewBody,
        response: { 200: PlacementPreviewSchema, '4xx': errorSchema },
      },
    },
    async (request) => {
      const { placement, profileId, definitions } = request.body;
      const explained = await placements.preview({ placement, profileId, definitions });
      const offer = explained.result.offer;
      return {
        placement,
        personalization: explained.personalization,
        offer: offer ? { id: offer.id, content: offer.content ?? null } : null,
        code: explained.result.code,
        reason: explained.result.reason,
        offers: explained.offers,
      };
    },
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
    async (request) => placements.save(request.body),
  );
};

export const placementRoutes: FastifyPluginAsyncTypebox<PlacementRouteOptions> = async (app, options) => {
  await app.register(publicRoutes, options);
  await app.register(adminPlacementRoutes, options);
};
