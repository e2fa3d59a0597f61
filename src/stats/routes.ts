// The dashboard's aggregate routes (admin): events per day, messages by channel and journey,
// placement impressions, clicks and conversions. Each answers counts computed in
// SQL by the store that holds the rows; none returns rows to count.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { CredentialCache } from '../auth/index.ts';
import { errorSchema, RapportError } from '../errors/index.ts';
import type { ConductorStore, EventReader, IngestLogStore, WarehouseEngine } from '../store/index.ts';
import { eventsPerDay } from './events.ts';
import { messageStats } from './messages.ts';
import { placementStats } from './placements.ts';
import { resolveRange } from './range.ts';
import {
  DEFAULT_WINDOW_DAYS,
  EventsPerDay,
  EventsPerDayQuery,
  MessageStats,
  MessageStatsQuery,
  PlacementStats,
  PlacementStatsQuery,
} from './schema.ts';

export interface StatsRouteOptions {
  events: Pick<EventReader, 'query'>;
  /** The warehouse's engine: the range filters are written per engine. */
  engine: WarehouseEngine;
  log: Pick<IngestLogStore, 'countDeadLettersByDay'>;
  decisions: Pick<ConductorStore, 'countDecisions'>;
  /** The offers defined now (listed with zeros when nobody saw them). */
  offers: () => ReadonlyArray<{ id: string; placement: string }>;
  credentials: CredentialCache;
  /** What "today" is (tests pass their clock); default the wall clock. */
  now?: () => Date;
}

const security = [{ adminToken: [] }];

export const statsRoutes: FastifyPluginAsyncTypebox<StatsRouteOptions> = async (app, options) => {
  const now = options.now ?? (() => new Date());

  app.get(
    '/api/stats/events',
    {
      config: { access: 'read' },
      schema: {
        tags: ['stats'],
        summary: 'Events per UTC day by message type (by the event timestamp), and dead letters per day',
        security,
        querystring: EventsPerDayQuery,
        response: { 200: EventsPerDay, '4xx': errorSchema },
      },
    },
    async (request) => {
      const q = request.query;
      const range = resolveRange(q, now().getTime(), 30);
      return eventsPerDay(options.events, options.engine, options.log, range);
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
        querystring: MessageStatsQuery,
        response: { 200: MessageStats, '4xx': errorSchema },
      },
    },
    async (request) => {
      const q = request.query;
      const range = resolveRange({ from: q.from ?? q.to, to: q.to }, now().getTime(), 1);
      const defaulted = q.from === undefined && q.to === undefined;
      return messageStats(options.decisions, options.events, options.engine, range, defaulted);
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
        querystring: PlacementStatsQuery,
        response: { 200: PlacementStats, '4xx': errorSchema },
      },
    },
    async (request) => {
      const q = request.query;
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
      return placementStats(options.events, options.engine, {
        range,
        defaulted: q.from === undefined && q.to === undefined,
        goal: q.goal ? { event: q.goal, windowDays: q.window ?? DEFAULT_WINDOW_DAYS } : null,
        defined: options.offers(),
      });
    },
  );
};
