// The dashboard's aggregate routes (admin): events per day. Each answers counts computed in
// SQL by the store that holds the rows; none returns rows to count.
import type { FastifyInstance } from 'fastify';
import { requireAdmin } from '../api/auth.ts';
import { errorSchema } from '../api/schemas.ts';
import type { CredentialCache } from '../auth/index.ts';
import type { EventReader } from '../pipeline/index.ts';
import type { IngestLogStore } from '../store/index.ts';
import { eventsPerDay, MESSAGE_TYPES } from './events.ts';
import { MAX_RANGE_DAYS, resolveRange } from './range.ts';

export interface StatsRouteOptions {
  events: Pick<EventReader, 'query'>;
  log: Pick<IngestLogStore, 'countDeadLettersByDay'>;
  credentials: CredentialCache;
  /** What "today" is (tests pass their clock); default the wall clock. */
  now?: () => Date;
}

const security = [{ adminToken: [] }];
const dayText = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' } as const;
const countsByType = {
  type: 'object',
  properties: Object.fromEntries(MESSAGE_TYPES.map((type) => [type, { type: 'integer' }])),
} as const;

const eventsPerDaySchema = {
  type: 'object',
  properties: {
    from: { type: 'string', description: 'first day, YYYY-MM-DD (UTC), inclusive' },
    to: { type: 'string', description: 'last day, YYYY-MM-DD (UTC), inclusive' },
    timeZone: { type: 'string', enum: ['UTC'] },
    types: { type: 'array', items: { type: 'string' } },
    days: {
      type: 'array',
      description: 'every day of the range in order, days without events included as zeros',
      items: {
        type: 'object',
        properties: {
          date: { type: 'string' },
          total: { type: 'integer' },
          byType: countsByType,
          deadLetters: { type: 'integer', description: 'messages refused at ingest that day' },
        },
      },
    },
    totals: {
      type: 'object',
      properties: { total: { type: 'integer' }, byType: countsByType, deadLetters: { type: 'integer' } },
    },
  },
} as const;

export async function statsRoutes(app: FastifyInstance, options: StatsRouteOptions): Promise<void> {
  app.addHook('preHandler', requireAdmin(options.credentials));
  const now = options.now ?? (() => new Date());

  app.get(
    '/api/stats/events',
    {
      schema: {
        tags: ['stats'],
        summary: 'Events per UTC day by message type (by the event timestamp), and dead letters per day',
        security,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            by: { type: 'string', enum: ['day'], description: 'the bucket; only day for now' },
            days: {
              type: 'integer',
              minimum: 1,
              maximum: MAX_RANGE_DAYS,
              description: 'the last N days ending today (UTC) or `to`; default 30',
            },
            from: { ...dayText, description: 'first day (UTC), instead of days' },
            to: { ...dayText, description: 'last day (UTC), default today' },
          },
        },
        response: { 200: eventsPerDaySchema, '4xx': errorSchema },
      },
    },
    async (request) => {
      const q = request.query as { days?: number; from?: string; to?: string };
      const range = resolveRange(q, now().getTime(), 30);
      return eventsPerDay(options.events, options.log, range);
    },
  );
}
