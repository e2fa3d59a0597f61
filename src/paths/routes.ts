// GET /api/paths (docs/paths.md): the most common paths between touchpoints, counted in the
// warehouse. The merge map and a segment's members come from the segments capability, which
// the server hands in.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorSchema } from '../errors/index.ts';
import { resolveRange } from '../stats/range.ts';
import type { EventReader } from '../store/index.ts';
import { assemblePaths } from './assemble.ts';
import { pathsQuery } from './query.ts';
import { Paths, PathsQuery } from './schema.ts';

export interface PathRouteOptions {
  events: Pick<EventReader, 'query'>;
  engine: 'duckdb' | 'postgres';
  /** Merged-away profile → the profile it ended in. */
  profileMap(): Promise<Map<string, string>>;
  /** Every member of a segment (throws not found for an unknown one). */
  segmentMembers(segmentId: string): Promise<string[]>;
  now(): Date;
}

export const pathRoutes: FastifyPluginAsyncTypebox<PathRouteOptions> = async (app, options) => {
  app.get(
    '/api/paths',
    {
      config: { access: 'read' },
      schema: {
        tags: ['paths'],
        security: [{ adminToken: [] }],
        summary:
          'The most common paths between touchpoints: people per touchpoint at each step and transitions between steps',
        querystring: PathsQuery,
        response: { 200: Paths, '4xx': errorSchema },
      },
    },
    async (request) => {
      const q = request.query;
      const range = resolveRange({ from: q.from, to: q.to }, options.now().getTime(), 30);
      const people = q.segment === undefined ? undefined : await options.segmentMembers(q.segment);
      const query = pathsQuery({
        engine: options.engine,
        startMs: range.startMs,
        endMs: range.endMs,
        steps: q.steps,
        top: q.top,
        start: q.start,
        profileMap: await options.profileMap(),
        people,
      });
      const graph = assemblePaths(await options.events.query(query.text, query.params));
      return {
        from: range.from,
        to: range.to,
        steps: q.steps,
        top: q.top,
        start: q.start ?? null,
        segment: q.segment ?? null,
        ...graph,
      };
    },
  );
};
