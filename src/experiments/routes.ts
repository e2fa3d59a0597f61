// The experiments admin API (admin token). Schemas are TypeBox through the type provider: one
// source for validation, the OpenAPI document and the handlers' types.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireAdmin } from '../api/index.ts';
import { errorSchema } from '../api/schemas.ts';
import type { CredentialCache } from '../auth/index.ts';
import { CompareRequestSchema, CompareResultSchema, compare } from './stats/compare.ts';

export interface ExperimentRouteOptions {
  credentials: CredentialCache;
}

export const experimentRoutes: FastifyPluginAsyncTypebox<ExperimentRouteOptions> = async (app, options) => {
  app.addHook('preHandler', requireAdmin(options.credentials));
  app.post(
    '/api/experiments/compare',
    {
      schema: {
        tags: ['experiments'],
        summary: 'Compare a variant with the control from aggregate statistics',
        security: [{ adminToken: [] }],
        body: CompareRequestSchema,
        response: { 200: CompareResultSchema, 400: errorSchema, 401: errorSchema },
      },
    },
    async (request) => compare(request.body),
  );
};
