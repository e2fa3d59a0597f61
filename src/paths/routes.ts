// GET /api/paths (docs/paths.md): the most common paths between touchpoints, counted in the
// warehouse. Added to the segments plugin's scope (segments/live/routes.ts), which holds the
// admin-token check and the segment store: the merge map and a segment's members come from it.
import type { FastifyInstance } from 'fastify';
import { errorSchema } from '../errors/index.ts';
import { resolveRange } from '../stats/range.ts';
import type { EventReader } from '../store/index.ts';
import { assemblePaths } from './assemble.ts';
import { pathsQuery } from './query.ts';

export interface PathRouteOptions {
  events: Pick<EventReader, 'query'>;
  engine: 'duckdb' | 'postgres';
  /** Merged-away profile → the profile it ended in. */
  profileMap(): Promise<Map<string, string>>;
  /** Every member of a segment (throws not found for an unknown one). */
  segmentMembers(segmentId: string): Promise<string[]>;
  now(): Date;
}

export const MAX_STEPS = 10;
export const MAX_TOP = 20;

const dayText = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' } as const;

const pathsSchema = {
  type: 'object',
  properties: {
    from: { type: 'string', description: 'first day, YYYY-MM-DD (UTC), inclusive' },
    to: { type: 'string', description: 'last day, YYYY-MM-DD (UTC), inclusive' },
    steps: { type: 'integer' },
    top: { type: 'integer' },
    start: { type: ['string', 'null'] },
    segment: { type: ['string', 'null'] },
    people: { type: 'integer', description: 'people with at least one touchpoint in the range' },
    nodes: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: { type: 'string', description: '<step>|<touchpoint>' },
          step: { type: 'integer', description: '1 = the first touchpoint of each path' },
          touchpoint: { type: 'string', description: 'page:<name>, event:<name> or other' },
          kind: { type: 'string', enum: ['page', 'event', 'other'] },
          name: { type: 'string' },
          people: { type: 'integer' },
          ended: { type: 'integer', description: 'people whose path ends at this node' },
        },
      },
    },
    links: {
      type: 'array',
      description: 'transitions from step k to step k + 1, most people first',
      items: {
        type: 'object',
        properties: {
          source: { type: 'string' },
          target: { type: 'string' },
          step: { type: 'integer' },
          people: { type: 'integer' },
        },
      },
    },
  },
} as const;

export function addPathRoutes(app: FastifyInstance, options: PathRouteOptions): void {
  app.get(
    '/api/paths',
    {
      config: { access: 'read' },
      schema: {
        tags: ['paths'],
        security: [{ adminToken: [] }],
        summary:
          'The most common paths between touchpoints: people per touchpoint at each step and transitions between steps',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            from: { ...dayText, description: 'first day (UTC); default 29 days before to' },
            to: { ...dayText, description: 'last day (UTC); default today' },
            steps: { type: 'integer', minimum: 2, maximum: MAX_STEPS, default: 5 },
            top: {
              type: 'integer',
              minimum: 1,
              maximum: MAX_TOP,
              default: 6,
              description: 'touchpoints kept by name at each step; the rest are "other"',
            },
            start: {
              type: 'string',
              pattern: '^(page|event):.+',
              description:
                'paths begin at the first occurrence of this touchpoint (page:Home, event:Signed Up)',
            },
            segment: {
              type: 'string',
              minLength: 1,
              description: 'only the current members of this segment',
            },
          },
        },
        response: { 200: pathsSchema, '4xx': errorSchema },
      },
    },
    async (request) => {
      const q = request.query as {
        from?: string;
        to?: string;
        steps: number;
        top: number;
        start?: string;
        segment?: string;
      };
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
}
