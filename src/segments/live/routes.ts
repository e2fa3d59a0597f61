// Admin routes for segments and funnels (docs/segments.md, "API"). Handlers call the
// SegmentService; none touches a driver.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { CredentialCache } from '../../auth/index.ts';
import { errorSchema } from '../../errors/index.ts';
import type { EventReader, SegmentStore, StateStore, StorageLocation } from '../../store/index.ts';
import {
  FunnelBody,
  FunnelList,
  FunnelReport,
  FunnelReportQuery,
  FunnelSaved,
  HISTORY_DAYS,
  MemberParams,
  MembersQuery,
  Preview,
  PreviewQuery,
  SavedSegment,
  Segment,
  SegmentHistory,
  SegmentHistoryQuery,
  SegmentIdParams,
  SegmentInput,
  SegmentList,
  SegmentListQuery,
  SegmentMembers,
  SegmentWhy,
} from '../schema.ts';
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

export const segmentRoutes: FastifyPluginAsyncTypebox<SegmentRouteOptions> = async (app, options) => {
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

  app.post(
    '/api/segments',
    {
      config: { access: 'marketing:write' },
      schema: {
        tags,
        security,
        summary: 'Create a segment (JSON rule or text); built from history, then live',
        body: SegmentInput,
        response: { 201: SavedSegment, '4xx': errorSchema },
      },
    },
    async (request, reply) => reply.code(201).send(await service.create(request.body)),
  );
  app.put(
    '/api/segments/:id',
    {
      config: { access: 'marketing:write' },
      schema: {
        tags,
        security,
        summary: 'Change a segment: version + 1, rebuilt from history',
        params: SegmentIdParams,
        body: SegmentInput,
        response: { 200: SavedSegment, '4xx': errorSchema },
      },
    },
    async (request) => service.update(request.params.id, request.body),
  );
  app.delete(
    '/api/segments/:id',
    {
      config: { access: 'marketing:write' },
      schema: {
        tags,
        security,
        summary: 'Delete a segment, its members and history (no exit events)',
        params: SegmentIdParams,
        response: { 204: Type.Null(), '4xx': errorSchema },
      },
    },
    async (request, reply) => {
      await service.remove(request.params.id);
      return reply.code(204).send(null);
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
        querystring: SegmentListQuery,
        response: { 200: SegmentList, '4xx': errorSchema },
      },
    },
    async (request) => {
      const { trendDays } = request.query;
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
        params: SegmentIdParams,
        response: { 200: Segment, '4xx': errorSchema },
      },
    },
    async (request) => {
      const id = request.params.id;
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
        params: SegmentIdParams,
        querystring: SegmentHistoryQuery,
        response: { 200: SegmentHistory, '4xx': errorSchema },
      },
    },
    async (request) => service.history(request.params.id, request.query.days ?? HISTORY_DAYS),
  );
  app.post(
    '/api/segments/preview',
    {
      config: { access: 'read' },
      schema: {
        tags,
        security,
        summary: 'Size and a sample of members a rule would have now; nothing is saved',
        body: SegmentInput,
        querystring: PreviewQuery,
        response: { 200: Preview, '4xx': errorSchema },
      },
    },
    async (request) => service.preview(request.body, request.query.sample ?? 20),
  );
  app.get(
    '/api/segments/:id/members',
    {
      config: { access: 'read' },
      schema: {
        tags,
        security,
        summary: 'Members in profile id order, a page at a time',
        params: SegmentIdParams,
        querystring: MembersQuery,
        response: { 200: SegmentMembers, '4xx': errorSchema },
      },
    },
    async (request) => {
      const query = request.query;
      return service.members(request.params.id, query.cursor, query.limit ?? 100);
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
        params: SegmentIdParams,
        produces: ['text/csv'],
      },
    },
    async (request, reply) => {
      const id = request.params.id;
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
        params: MemberParams,
        response: { 200: SegmentWhy, '4xx': errorSchema },
      },
    },
    async (request) => {
      return service.why(request.params.id, request.params.profileId);
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
        response: { 200: FunnelList },
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
        params: SegmentIdParams,
        body: FunnelBody,
        response: { 200: FunnelSaved, '4xx': errorSchema },
      },
    },
    async (request) => {
      const body = {
        ...request.body,
        id: request.params.id,
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
        params: SegmentIdParams,
        response: { 204: Type.Null(), '4xx': errorSchema },
      },
    },
    async (request, reply) => {
      await service.deleteFunnel(request.params.id);
      return reply.code(204).send(null);
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
        querystring: FunnelReportQuery,
        response: { 200: FunnelReport, '4xx': errorSchema },
      },
    },
    async (request) => {
      const query = request.query;
      return service.funnelReport(query.funnel ?? 'lifecycle', query.cohort);
    },
  );
};
