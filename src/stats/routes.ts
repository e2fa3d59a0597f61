// The dashboard's aggregate routes (admin): events per day, messages by channel and journey,
// placement impressions, clicks and conversions. Each answers counts computed in
// SQL by the store that holds the rows; none returns rows to count.
import type { FastifyInstance } from 'fastify';
import type { CredentialCache } from '../auth/index.ts';
import { errorSchema, RapportError } from '../errors/index.ts';
import type { ConductorStore, EventReader, IngestLogStore } from '../store/index.ts';
import { eventsPerDay, MESSAGE_TYPES } from './events.ts';
import { MESSAGE_METRICS, messageStats } from './messages.ts';
import { DEFAULT_WINDOW_DAYS, MAX_WINDOW_DAYS, placementStats } from './placements.ts';
import { MAX_RANGE_DAYS, resolveRange } from './range.ts';

export interface StatsRouteOptions {
  events: Pick<EventReader, 'query'>;
  log: Pick<IngestLogStore, 'countDeadLettersByDay'>;
  decisions: Pick<ConductorStore, 'countDecisions'>;
  /** The offers defined now (listed with zeros when nobody saw them). */
  offers: () => ReadonlyArray<{ id: string; placement: string }>;
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

const messageCounts = Object.fromEntries(MESSAGE_METRICS.map((metric) => [metric, { type: 'integer' }]));
const rangeFields = {
  from: { type: 'string', description: 'first day, YYYY-MM-DD (UTC), inclusive' },
  to: { type: 'string', description: 'last day, YYYY-MM-DD (UTC), inclusive' },
  timeZone: { type: 'string', enum: ['UTC'] },
} as const;

const messageStatsSchema = {
  type: 'object',
  properties: {
    ...rangeFields,
    note: { type: 'string', description: 'present when no range was given: the answer is for today (UTC)' },
    metrics: { type: 'array', items: { type: 'string' } },
    totals: { type: 'object', properties: messageCounts },
    byChannel: {
      type: 'array',
      items: { type: 'object', properties: { channel: { type: ['string', 'null'] }, ...messageCounts } },
    },
    byJourney: {
      type: 'array',
      description: 'journeyId null: API sends and messages without a journey',
      items: { type: 'object', properties: { journeyId: { type: ['string', 'null'] }, ...messageCounts } },
    },
    reasons: {
      type: 'array',
      description: 'dropped (suppressed) and deferred messages by decision code, most first',
      items: {
        type: 'object',
        properties: {
          outcome: { type: 'string', enum: ['suppressed', 'deferred'] },
          code: { type: 'string' },
          messages: { type: 'integer' },
        },
      },
    },
  },
} as const;

const offerStatsFields = {
  placement: { type: 'string' },
  impressions: { type: 'integer', description: 'Promotion Viewed events' },
  clicks: { type: 'integer', description: 'Promotion Clicked events' },
  ctr: { type: ['number', 'null'], description: 'clicks / impressions' },
  conversions: {
    type: ['integer', 'null'],
    description: 'people who clicked, then did the goal event within the window; null without a goal',
  },
} as const;

const placementStatsSchema = {
  type: 'object',
  properties: {
    ...rangeFields,
    note: { type: 'string', description: 'present when no range was given: the last 30 days (UTC)' },
    goal: {
      type: ['object', 'null'],
      properties: { event: { type: 'string' }, windowDays: { type: 'integer' } },
    },
    offers: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          ...offerStatsFields,
          offerId: { type: 'string' },
          viewers: { type: 'integer', description: 'distinct people who saw it' },
          clickers: { type: 'integer', description: 'distinct people who clicked' },
          conversionRate: { type: ['number', 'null'], description: 'conversions / clickers' },
        },
      },
    },
    placements: { type: 'array', items: { type: 'object', properties: offerStatsFields } },
  },
} as const;

export async function statsRoutes(app: FastifyInstance, options: StatsRouteOptions): Promise<void> {
  const now = options.now ?? (() => new Date());

  app.get(
    '/api/stats/events',
    {
      config: { access: 'read' },
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

  app.get(
    '/api/messages/stats',
    {
      config: { access: 'read' },
      schema: {
        tags: ['stats'],
        summary:
          'Messages sent, delivered, opened, clicked, bounced, failed, suppressed and deferred, by channel and journey, with the reasons for drops and deferrals',
        security,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            from: { ...dayText, description: 'first day (UTC); default: to' },
            to: { ...dayText, description: 'last day (UTC); default: today' },
          },
        },
        response: { 200: messageStatsSchema, '4xx': errorSchema },
      },
    },
    async (request) => {
      const q = request.query as { from?: string; to?: string };
      const range = resolveRange({ from: q.from ?? q.to, to: q.to }, now().getTime(), 1);
      const defaulted = q.from === undefined && q.to === undefined;
      return messageStats(options.decisions, options.events, range, defaulted);
    },
  );

  app.get(
    '/api/placements/stats',
    {
      config: { access: 'read' },
      schema: {
        tags: ['stats'],
        summary: 'Impressions, clicks, click-through and conversions per placement and offer',
        security,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            from: { ...dayText, description: 'first day (UTC); default: 29 days before to' },
            to: { ...dayText, description: 'last day (UTC); default: today' },
            goal: {
              type: 'string',
              minLength: 1,
              maxLength: 200,
              description: 'the event that counts as a conversion after a click (e.g. Order Completed)',
            },
            window: {
              type: 'integer',
              minimum: 1,
              maximum: MAX_WINDOW_DAYS,
              description: `days after the first click in which the goal counts; default ${DEFAULT_WINDOW_DAYS}`,
            },
          },
        },
        response: { 200: placementStatsSchema, '4xx': errorSchema },
      },
    },
    async (request) => {
      const q = request.query as { from?: string; to?: string; goal?: string; window?: number };
      if (q.window !== undefined && q.goal === undefined) {
        throw new RapportError(
          'RAPPORT_API_BAD_REQUEST',
          'window: give a goal event to count conversions in',
          {
            field: 'window',
          },
        );
      }
      const range = resolveRange({ from: q.from, to: q.to }, now().getTime(), 30);
      return placementStats(options.events, {
        range,
        defaulted: q.from === undefined && q.to === undefined,
        goal: q.goal ? { event: q.goal, windowDays: q.window ?? DEFAULT_WINDOW_DAYS } : null,
        defined: options.offers(),
      });
    },
  );
}
