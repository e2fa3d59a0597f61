// Admin routes for segments and funnels (docs/segments.md, "API"). Handlers call the
// SegmentService; none touches a driver.
import type { FastifyInstance } from 'fastify';
import type { CredentialCache } from '../../auth/index.ts';
import { errorSchema } from '../../errors/index.ts';
import { addPathRoutes } from '../../paths/index.ts';
import type { EventReader, SegmentStore, StateStore, StorageLocation } from '../../store/index.ts';
import { SegmentService } from './service.ts';

export interface SegmentRouteOptions {
  state: StateStore;
  /** The pipeline as segments use it: the events it reads, and a wake after a write. */
  pipeline: EventReader & { wake(): void };
  credentials: CredentialCache;
  location: StorageLocation;
  /** The segment store the service works on (the server opens it and closes it). */
  store: SegmentStore;
  /** Tests only: the clock the processors use (pipeline/clock.ts). */
  clock?: { now(): Date } | undefined;
}

const ruleInput = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    rule: {},
    text: { type: 'string' },
  },
  additionalProperties: false,
} as const;
const segmentSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    rule: { type: 'object', additionalProperties: true },
    text: { type: 'string' },
    version: { type: 'integer' },
    status: { type: 'string', enum: ['building', 'live'] },
    size: { type: 'integer' },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
  },
} as const;
const memberSchema = {
  type: 'object',
  properties: { profileId: { type: 'string' }, since: { type: 'string' }, reason: { type: 'string' } },
} as const;
const pointSchema = {
  type: 'object',
  properties: {
    day: { type: 'string', description: 'UTC day, YYYY-MM-DD' },
    size: { type: 'integer', description: 'members at the end of the day (now, for today)' },
    joined: { type: 'integer' },
    left: { type: 'integer' },
  },
} as const;
const idParams = { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } as const;
const anyObject = { type: 'object', additionalProperties: true } as const;

export async function segmentRoutes(app: FastifyInstance, options: SegmentRouteOptions): Promise<void> {
  const { store } = options;
  const security = [{ adminToken: [] }];
  const tags = ['segments'];
  const now = options.clock ? () => options.clock?.now() ?? new Date() : () => new Date();
  const service = new SegmentService({
    store,
    state: options.state,
    events: options.pipeline,
    engine: options.location.databaseUrl ? 'postgres' : 'duckdb',
    wake: () => options.pipeline.wake(),
    now,
  });

  // Paths read the warehouse with this store's merge map and a segment's members as filter.
  addPathRoutes(app, {
    events: options.pipeline,
    engine: options.location.databaseUrl ? 'postgres' : 'duckdb',
    profileMap: () => store.profileMap(),
    segmentMembers: (id) => service.allMembers(id),
    now,
  });

  app.post(
    '/api/segments',
    {
      config: { access: 'marketing:write' },
      schema: {
        tags,
        security,
        summary: 'Create a segment (JSON rule or text); built from history, then live',
        body: ruleInput,
        response: { 201: segmentSchema, '4xx': errorSchema },
      },
    },
    async (request, reply) => reply.code(201).send(await service.create(request.body as never)),
  );
  app.put(
    '/api/segments/:id',
    {
      config: { access: 'marketing:write' },
      schema: {
        tags,
        security,
        summary: 'Change a segment: version + 1, rebuilt from history',
        params: idParams,
        body: ruleInput,
        response: { 200: segmentSchema, '4xx': errorSchema },
      },
    },
    async (request) => service.update((request.params as { id: string }).id, request.body as never),
  );
  app.delete(
    '/api/segments/:id',
    {
      config: { access: 'marketing:write' },
      schema: {
        tags,
        security,
        summary: 'Delete a segment, its members and history (no exit events)',
        params: idParams,
        response: { 204: { type: 'null' }, '4xx': errorSchema },
      },
    },
    async (request, reply) => {
      await service.remove((request.params as { id: string }).id);
      return reply.code(204).send();
    },
  );
  app.get(
    '/api/segments',
    {
      config: { access: 'read' },
      schema: {
        tags,
        security,
        summary: 'Every segment with its size; with trendDays, its size over the last days too',
        querystring: {
          type: 'object',
          properties: {
            trendDays: {
              type: 'integer',
              minimum: 1,
              maximum: 90,
              description: 'add `trend`: size, joined and left for each of the last trendDays UTC days',
            },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              segments: {
                type: 'array',
                items: {
                  ...segmentSchema,
                  properties: { ...segmentSchema.properties, trend: { type: 'array', items: pointSchema } },
                },
              },
            },
          },
          '4xx': errorSchema,
        },
      },
    },
    async (request) => {
      const { trendDays } = request.query as { trendDays?: number };
      return { segments: trendDays ? await service.listWithTrend(trendDays) : await service.list() };
    },
  );
  app.get(
    '/api/segments/:id',
    {
      config: { access: 'read' },
      schema: {
        tags,
        security,
        summary: 'One segment',
        params: idParams,
        response: { 200: segmentSchema, '4xx': errorSchema },
      },
    },
    async (request) => {
      const id = (request.params as { id: string }).id;
      const size = (await service.list()).find((s) => s.id === id)?.size ?? 0;
      return { ...(await service.get(id)), size };
    },
  );
  app.get(
    '/api/segments/:id/history',
    {
      config: { access: 'read' },
      schema: {
        tags,
        security,
        summary:
          'Membership over time: size at the end of each UTC day, with the entries and exits of the day',
        params: idParams,
        querystring: {
          type: 'object',
          properties: { days: { type: 'integer', minimum: 1, maximum: 365, default: 30 } },
        },
        response: {
          200: {
            type: 'object',
            properties: { segmentId: { type: 'string' }, points: { type: 'array', items: pointSchema } },
          },
          '4xx': errorSchema,
        },
      },
    },
    async (request) =>
      service.history((request.params as { id: string }).id, (request.query as { days: number }).days),
  );
  app.post(
    '/api/segments/preview',
    {
      config: { access: 'read' },
      schema: {
        tags,
        security,
        summary: 'Size and a sample of members a rule would have now; nothing is saved',
        body: ruleInput,
        querystring: {
          type: 'object',
          properties: { sample: { type: 'integer', minimum: 0, maximum: 1000 } },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              size: { type: 'integer' },
              sample: { type: 'array', items: { type: 'string' } },
              text: { type: 'string' },
            },
          },
          '4xx': errorSchema,
        },
      },
    },
    async (request) =>
      service.preview(request.body as never, (request.query as { sample?: number }).sample ?? 20),
  );
  app.get(
    '/api/segments/:id/members',
    {
      config: { access: 'read' },
      schema: {
        tags,
        security,
        summary: 'Members in profile id order, a page at a time',
        params: idParams,
        querystring: {
          type: 'object',
          properties: { cursor: { type: 'string' }, limit: { type: 'integer', minimum: 1, maximum: 5000 } },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              members: { type: 'array', items: memberSchema },
              nextCursor: { type: ['string', 'null'] },
            },
          },
          '4xx': errorSchema,
        },
      },
    },
    async (request) => {
      const query = request.query as { cursor?: string; limit?: number };
      return service.members((request.params as { id: string }).id, query.cursor, query.limit ?? 100);
    },
  );
  app.get(
    '/api/segments/:id/members.csv',
    {
      config: { access: 'people:export' },
      schema: {
        tags,
        security,
        summary: 'Every member as CSV (profile_id, since, reason)',
        params: idParams,
        produces: ['text/csv'],
      },
    },
    async (request, reply) => {
      const id = (request.params as { id: string }).id;
      await service.get(id);
      reply.header('content-type', 'text/csv; charset=utf-8');
      reply.header('content-disposition', `attachment; filename="${id}-members.csv"`);
      let body = '';
      for await (const chunk of service.membersCsv(id)) body += chunk;
      return body;
    },
  );
  app.get(
    '/api/segments/:id/members/:profileId/why',
    {
      config: { access: 'read' },
      schema: {
        tags,
        security,
        summary: 'Why a profile is (or is not) in a segment: the rule evaluated node by node',
        params: {
          type: 'object',
          properties: { id: { type: 'string' }, profileId: { type: 'string' } },
          required: ['id', 'profileId'],
        },
        response: { 200: anyObject, '4xx': errorSchema },
      },
    },
    async (request) => {
      const params = request.params as { id: string; profileId: string };
      return service.why(params.id, params.profileId);
    },
  );

  app.get(
    '/api/funnels',
    {
      config: { access: 'read' },
      schema: {
        tags: ['lifecycle'],
        security,
        summary: 'Lifecycle funnels and their stage rules',
        response: { 200: { type: 'object', properties: { funnels: { type: 'array', items: anyObject } } } },
      },
    },
    async () => ({ funnels: await service.funnels() }),
  );
  app.put(
    '/api/funnels/:id',
    {
      config: { access: 'marketing:write' },
      schema: {
        tags: ['lifecycle'],
        security,
        summary: 'Create or replace a funnel; stages are rebuilt from history',
        params: idParams,
        body: anyObject,
        response: { 200: anyObject, '4xx': errorSchema },
      },
    },
    async (request) => {
      const body = {
        ...(request.body as Record<string, unknown>),
        id: (request.params as { id: string }).id,
      };
      const { funnel, changed } = await service.saveFunnel(body);
      return { id: funnel.id, changed };
    },
  );
  app.delete(
    '/api/funnels/:id',
    {
      config: { access: 'marketing:write' },
      schema: {
        tags: ['lifecycle'],
        security,
        summary: 'Delete a funnel with its stages and history',
        params: idParams,
        response: { 204: { type: 'null' }, '4xx': errorSchema },
      },
    },
    async (request, reply) => {
      await service.deleteFunnel((request.params as { id: string }).id);
      return reply.code(204).send();
    },
  );
  app.get(
    '/api/funnel',
    {
      config: { access: 'read' },
      schema: {
        tags: ['lifecycle'],
        security,
        summary:
          'Funnel report: counts, stage-to-stage conversion, median time in stage, by cohort; computedAt: as of when (kept up to 5 minutes, recomputed in the background after 15 s)',
        querystring: {
          type: 'object',
          properties: { funnel: { type: 'string' }, cohort: { type: 'string' } },
        },
        response: { 200: anyObject, '4xx': errorSchema },
      },
    },
    async (request) => {
      const query = request.query as { funnel?: string; cohort?: string };
      return service.funnelReport(query.funnel ?? 'lifecycle', query.cohort);
    },
  );
}
