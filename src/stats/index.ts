// The dashboard's aggregates (docs/dashboard.md): events per day, messages by channel and
// journey, placement impressions and clicks. Range rules in ./range.ts; routes in ./routes.ts.
export { assembleEventsPerDay, type EventsPerDay, eventsPerDay, MESSAGE_TYPES } from './events.ts';
export { assembleMessageStats, MESSAGE_METRICS, type MessageStats, messageStats } from './messages.ts';
export {
  assemblePlacementStats,
  type OfferDay,
  type PlacementStats,
  placementDaily,
  placementStats,
} from './placements.ts';
export { type DayRange, daysOf, MAX_RANGE_DAYS, resolveRange } from './range.ts';
export { type StatsRouteOptions, statsRoutes } from './routes.ts';
