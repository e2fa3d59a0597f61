// The stats API's contract (events per day, message stats, placement stats): one source for the
// routes' validation, the OpenAPI document and the dashboard's types. Only TypeBox is imported,
// so the dashboard's compiler can read this file (types only; nothing from here reaches the bundle).
import { type Static, type TInteger, type TObject, Type } from '@sinclair/typebox';
import { Nullable, StringEnum } from '../errors/schema.ts';

/** Segment's message types, in the order the chart stacks them. */
export const MESSAGE_TYPES = ['track', 'identify', 'page', 'screen', 'group', 'alias'] as const;
export type MessageTypeName = (typeof MESSAGE_TYPES)[number];

export const MESSAGE_METRICS = [
  'sent',
  'delivered',
  'opened',
  'clicked',
  'bounced',
  'failed',
  'suppressed',
  'deferred',
] as const;
export type MessageMetric = (typeof MESSAGE_METRICS)[number];

/** A leap year of days: a year-on-year chart fits, a decade-long scan does not. */
export const MAX_RANGE_DAYS = 366;
export const DEFAULT_WINDOW_DAYS = 7;
export const MAX_WINDOW_DAYS = 90;

/** An object with one integer per name (a count per message type or metric). */
function countsOf<const K extends readonly string[]>(names: K): TObject<Record<K[number], TInteger>> {
  const properties: Record<string, TInteger> = {};
  for (const name of names) properties[name] = Type.Integer();
  return Type.Object(properties as Record<K[number], TInteger>);
}

const day = (description: string) => Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description });
const rangeFields = {
  from: Type.String({ description: 'first day, YYYY-MM-DD (UTC), inclusive' }),
  to: Type.String({ description: 'last day, YYYY-MM-DD (UTC), inclusive' }),
  timeZone: StringEnum(['UTC']),
};

export const EventsPerDayQuery = Type.Object(
  {
    by: Type.Optional(StringEnum(['day'], { description: 'the bucket; only day for now' })),
    days: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_RANGE_DAYS,
        description: 'the last N days ending today (UTC) or `to`; default 30',
      }),
    ),
    from: Type.Optional(day('first day (UTC), instead of days')),
    to: Type.Optional(day('last day (UTC), default today')),
  },
  { additionalProperties: false },
);

const countsByType = countsOf(MESSAGE_TYPES);
export const EventsDay = Type.Object({
  date: Type.String(),
  total: Type.Integer(),
  byType: countsByType,
  deadLetters: Type.Integer({ description: 'messages refused at ingest that day' }),
});
export type EventsDay = Static<typeof EventsDay>;

export const EventsPerDay = Type.Object({
  ...rangeFields,
  types: Type.Array(StringEnum(MESSAGE_TYPES)),
  days: Type.Array(EventsDay, {
    description: 'every day of the range in order, days without events included as zeros',
  }),
  totals: Type.Object({ total: Type.Integer(), byType: countsByType, deadLetters: Type.Integer() }),
});
export type EventsPerDay = Static<typeof EventsPerDay>;

export const MessageStatsQuery = Type.Object(
  {
    from: Type.Optional(day('first day (UTC); default: to')),
    to: Type.Optional(day('last day (UTC); default: today')),
  },
  { additionalProperties: false },
);

const messageCounts = countsOf(MESSAGE_METRICS);
export type MessageCounts = Static<typeof messageCounts>;

export const MessageReason = Type.Object({
  /** suppressed = dropped by arbitration; deferred = held for later. */
  outcome: StringEnum(['suppressed', 'deferred']),
  code: Type.String(),
  messages: Type.Integer(),
});
export type MessageReason = Static<typeof MessageReason>;

export const MessageStats = Type.Object({
  ...rangeFields,
  note: Type.Optional(
    Type.String({ description: 'present when no range was given: the answer is for today (UTC)' }),
  ),
  metrics: Type.Array(StringEnum(MESSAGE_METRICS)),
  totals: messageCounts,
  byChannel: Type.Array(Type.Object({ channel: Nullable(Type.String()), ...messageCounts.properties })),
  byJourney: Type.Array(Type.Object({ journeyId: Nullable(Type.String()), ...messageCounts.properties }), {
    description: 'journeyId null: API sends and messages without a journey',
  }),
  reasons: Type.Array(MessageReason, {
    description: 'dropped (suppressed) and deferred messages by decision code, most first',
  }),
});
export type MessageStats = Static<typeof MessageStats>;

export const PlacementStatsQuery = Type.Object(
  {
    from: Type.Optional(day('first day (UTC); default: 29 days before to')),
    to: Type.Optional(day('last day (UTC); default: today')),
    goal: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: 'the event that counts as a conversion after a click (e.g. Order Completed)',
      }),
    ),
    window: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_WINDOW_DAYS,
        description: `days after the first click in which the goal counts; default ${DEFAULT_WINDOW_DAYS}`,
      }),
    ),
  },
  { additionalProperties: false },
);

const placementCounts = {
  placement: Type.String(),
  impressions: Type.Integer({ description: 'Promotion Viewed events' }),
  clicks: Type.Integer({ description: 'Promotion Clicked events' }),
  ctr: Nullable(Type.Number({ description: 'clicks / impressions' })),
  conversions: Nullable(
    Type.Integer({
      description: 'people who clicked, then did the goal event within the window; null without a goal',
    }),
  ),
};

export const OfferStats = Type.Object({
  ...placementCounts,
  offerId: Type.String(),
  viewers: Type.Integer({ description: 'distinct people who saw it' }),
  clickers: Type.Integer({ description: 'distinct people who clicked' }),
  conversionRate: Nullable(Type.Number({ description: 'conversions / clickers' })),
});
export type OfferStats = Static<typeof OfferStats>;

export const PlacementStats = Type.Object({
  ...rangeFields,
  note: Type.Optional(
    Type.String({ description: 'present when no range was given: the last 30 days (UTC)' }),
  ),
  goal: Nullable(Type.Object({ event: Type.String(), windowDays: Type.Integer() })),
  /** Every offer defined now (zeros included), then any other offer seen in the range. */
  offers: Type.Array(OfferStats),
  placements: Type.Array(Type.Object(placementCounts)),
});
export type PlacementStats = Static<typeof PlacementStats>;
