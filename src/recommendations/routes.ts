// The recommendations API (admin token): rules on demand, the settings, the last refresh and a
// refresh now. Registered from server.ts with one line; the plugin owns its service and schedule
// and stops the schedule when the server closes.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { type CredentialCache, requireAdmin } from '../auth/index.ts';
import { errorSchema } from '../errors/index.ts';
import {
  RecommendationSettingsSchema,
  RefreshSummarySchema,
  RulesQuerySchema,
  RulesReportSchema,
} from './schemas.ts';
import { type RecommendationDeps, RecommendationService } from './service.ts';

export interface RecommendationRouteOptions extends RecommendationDeps {
  credentials: CredentialCache;
  /** Whether this process runs the schedule (off with RAPPORT_PROCESSORS=off). */
  schedule: boolean;
}

const refused = { 400: errorSchema, 401: errorSchema, 403: errorSchema };
const common = { tags: ['recommendations'], security: [{ adminToken: [] }] };

export async function recommendationRoutes(
  fastify: FastifyInstance,
  options: RecommendationRouteOptions,
): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const service = new RecommendationService(options);
  // onRequest: refused before the body or query is parsed, so a stranger learns nothing of them.
  const onRequest = requireAdmin(options.credentials);
  app.get(
    '/api/recommendations/rules',
    {
      config: { access: 'read' },
      onRequest,
      schema: {
        ...common,
        summary: 'Association rules mined from the store’s orders (Order Completed products)',
        querystring: RulesQuerySchema,
        response: { 200: RulesReportSchema, ...refused },
      },
    },
    async (request) => service.rules(request.query),
  );
  app.get(
    '/api/recommendations/settings',
    {
      config: { access: 'read' },
      onRequest,
      schema: {
        ...common,
        summary: 'Next best products: settings',
        response: { 200: RecommendationSettingsSchema, ...refused },
      },
    },
    async () => service.settings(),
  );
  app.put(
    '/api/recommendations/settings',
    {
      config: { access: 'marketing:write' },
      onRequest,
      schema: {
        ...common,
        summary: 'Next best products: replace the settings',
        body: RecommendationSettingsSchema,
        response: { 200: RecommendationSettingsSchema, ...refused },
      },
    },
    async (request) => service.saveSettings(request.body),
  );
  app.get(
    '/api/recommendations/status',
    {
      config: { access: 'read' },
      onRequest,
      schema: {
        ...common,
        summary: 'The last refresh of next best products (null before the first)',
        response: {
          200: Type.Object({
            last: Type.Union([RefreshSummarySchema, Type.Null()]),
            settings: RecommendationSettingsSchema,
          }),
          ...refused,
        },
      },
    },
    async () => ({ last: await service.last(), settings: await service.settings() }),
  );
  app.post(
    '/api/recommendations/refresh',
    {
      config: { access: 'marketing:write' },
      onRequest,
      schema: {
        ...common,
        summary: 'Refresh every buyer’s next best products now',
        response: { 200: RefreshSummarySchema, ...refused },
      },
    },
    async () => service.refresh(),
  );
  if (options.schedule) {
    service.schedule((error) => app.log.error({ err: error }, 'scheduled recommendations refresh failed'));
  }
  app.addHook('onClose', async () => service.stop());
}
