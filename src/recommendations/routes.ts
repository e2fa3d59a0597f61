// The recommendations API (admin token). Registered from server.ts with one line.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { requireAdmin } from '../api/index.ts';
import { errorSchema } from '../api/schemas.ts';
import type { CredentialCache } from '../auth/index.ts';
import { RulesQuerySchema, RulesReportSchema } from './schemas.ts';
import { type RecommendationDeps, storeRules } from './service.ts';

export interface RecommendationRouteOptions extends RecommendationDeps {
  credentials: CredentialCache;
}

export async function recommendationRoutes(
  fastify: FastifyInstance,
  options: RecommendationRouteOptions,
): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const admin = requireAdmin(options.credentials);
  app.get(
    '/api/recommendations/rules',
    {
      preHandler: admin,
      schema: {
        tags: ['recommendations'],
        summary: 'Association rules mined from the store’s orders (Order Completed products)',
        security: [{ adminToken: [] }],
        querystring: RulesQuerySchema,
        response: { 200: RulesReportSchema, 400: errorSchema, 401: errorSchema, 403: errorSchema },
      },
    },
    async (request) => storeRules(options, request.query),
  );
}
