// Placements over a range of UTC days, per placement and offer, counted in the warehouse from
// the events /v1/decide and the click redirect append (docs/placements.md):
// - impressions: `Promotion Viewed` (one per answer with an offer);
// - clicks: `Promotion Clicked` (one per view clicked: the click's id is its view's);
// - conversions: people who clicked the offer in the range and then performed the goal event
//   (a parameter: offers have no goal of their own) within the window after their first click.
import { type EventReader, timeRangeSql, type WarehouseEngine } from '../store/index.ts';
import type { DayRange } from './range.ts';
import { DEFAULT_WINDOW_DAYS, MAX_WINDOW_DAYS, type OfferStats, type PlacementStats } from './schema.ts';

export const VIEWED = 'Promotion Viewed';
export const CLICKED = 'Promotion Clicked';
export { DEFAULT_WINDOW_DAYS, MAX_WINDOW_DAYS, type OfferStats, type PlacementStats };

const range = (engine: WarehouseEngine) => timeRangeSql(engine, 'timestamp', '$1', '$2');

/** Both engines: `->>` reads JSON text; epoch seconds are UTC (see ./events.ts). */
export const placementCountsSql = (
  engine: WarehouseEngine,
): string => `SELECT properties->>'placement' AS placement, properties->>'promotion_id' AS offer, name,
    count(*) AS events, count(DISTINCT profile_id) AS people
  FROM events
  WHERE type = 'track' AND name IN ('${VIEWED}', '${CLICKED}') AND ${range(engine)}
  GROUP BY 1, 2, 3`;

/**
 * A conversion is counted once per person and offer: their first click on it in the range, then
 * the goal event by the same stored profile, after the click and within the window ($4 seconds).
 */
export const conversionsSql = (engine: WarehouseEngine): string => `WITH clicks AS (
    SELECT properties->>'placement' AS placement, properties->>'promotion_id' AS offer, profile_id,
      min(extract(epoch FROM timestamp)) AS clicked_at
    FROM events
    WHERE type = 'track' AND name = '${CLICKED}' AND ${range(engine)}
    GROUP BY 1, 2, 3
  )
  SELECT c.placement, c.offer, count(*) AS conversions
  FROM clicks c
  WHERE EXISTS (
    SELECT 1 FROM events g
    WHERE g.type = 'track' AND g.name = $3 AND g.profile_id = c.profile_id
      AND extract(epoch FROM g.timestamp) > c.clicked_at
      AND extract(epoch FROM g.timestamp) <= c.clicked_at + $4
  )
  GROUP BY 1, 2`;

/**
 * One placement's impressions and clicks per offer and UTC day ($3: the placement). The day is
 * whole days since the epoch, the same number on both engines. The `->>` test is in parentheses:
 * DuckDB binds `->>` looser than `AND`.
 */
export const placementDailySql = (
  engine: WarehouseEngine,
): string => `SELECT properties->>'promotion_id' AS offer, name,
    CAST(floor(extract(epoch FROM timestamp) / 86400) AS INTEGER) AS day, count(*) AS events
  FROM events
  WHERE type = 'track' AND name IN ('${VIEWED}', '${CLICKED}') AND ${range(engine)}
    AND (properties->>'placement') = $3
  GROUP BY 1, 2, 3`;

export interface OfferDay {
  /** YYYY-MM-DD (UTC). */
  day: string;
  offerId: string;
  impressions: number;
  clicks: number;
}

/** A placement's impressions and clicks per offer and day in the range (days without any left out). */
export async function placementDaily(
  events: Pick<EventReader, 'query'>,
  engine: WarehouseEngine,
  placementId: string,
  range: DayRange,
): Promise<OfferDay[]> {
  const rows = await events.query(placementDailySql(engine), [
    range.startMs / 1000,
    range.endMs / 1000,
    placementId,
  ]);
  const byKey = new Map<string, OfferDay>();
  for (const row of rows) {
    const day = new Date(Number(row.day) * 86_400_000).toISOString().slice(0, 10);
    const offerId = String(row.offer ?? '');
    const key = `${day}\u0000${offerId}`;
    const entry = byKey.get(key) ?? { day, offerId, impressions: 0, clicks: 0 };
    if (row.name === VIEWED) entry.impressions += Number(row.events);
    else entry.clicks += Number(row.events);
    byKey.set(key, entry);
  }
  return [...byKey.values()];
}

export interface PlacementStatsQuery {
  range: DayRange;
  defaulted: boolean;
  goal: { event: string; windowDays: number } | null;
  /** The offers defined now, so an offer nobody saw is listed with zeros. */
  defined: ReadonlyArray<{ id: string; placement: string }>;
}

const ratio = (part: number | null, whole: number): number | null =>
  part === null || whole === 0 ? null : part / whole;

/** Pure: folds the grouped rows into offers and placements. */
export function assemblePlacementStats(
  query: PlacementStatsQuery,
  counts: Array<Record<string, unknown>>,
  conversions: Array<Record<string, unknown>>,
): PlacementStats {
  const offers = new Map<string, OfferStats>();
  const keyOf = (placement: string, offer: string) => `${placement}\u0000${offer}`;
  const offerOf = (placement: string, offerId: string) => {
    const key = keyOf(placement, offerId);
    let stats = offers.get(key);
    if (!stats) {
      stats = {
        placement,
        offerId,
        impressions: 0,
        viewers: 0,
        clicks: 0,
        clickers: 0,
        ctr: null,
        conversions: query.goal ? 0 : null,
        conversionRate: null,
      };
      offers.set(key, stats);
    }
    return stats;
  };
  for (const offer of query.defined) offerOf(offer.placement, offer.id);
  for (const row of counts) {
    const stats = offerOf(String(row.placement ?? ''), String(row.offer ?? ''));
    if (row.name === VIEWED) {
      stats.impressions += Number(row.events);
      stats.viewers += Number(row.people);
    } else {
      stats.clicks += Number(row.events);
      stats.clickers += Number(row.people);
    }
  }
  if (query.goal) {
    for (const row of conversions) {
      const stats = offerOf(String(row.placement ?? ''), String(row.offer ?? ''));
      stats.conversions = (stats.conversions ?? 0) + Number(row.conversions);
    }
  }
  const placements = new Map<string, PlacementStats['placements'][number]>();
  for (const stats of offers.values()) {
    stats.ctr = ratio(stats.clicks, stats.impressions);
    stats.conversionRate = ratio(stats.conversions, stats.clickers);
    const total = placements.get(stats.placement) ?? {
      placement: stats.placement,
      impressions: 0,
      clicks: 0,
      ctr: null,
      conversions: query.goal ? 0 : null,
    };
    total.impressions += stats.impressions;
    total.clicks += stats.clicks;
    if (total.conversions !== null) total.conversions += stats.conversions ?? 0;
    placements.set(stats.placement, total);
  }
  for (const total of placements.values()) total.ctr = ratio(total.clicks, total.impressions);
  return {
    from: query.range.from,
    to: query.range.to,
    timeZone: 'UTC',
    ...(query.defaulted ? { note: 'no from or to given: the last 30 days (UTC)' } : {}),
    goal: query.goal,
    offers: [...offers.values()],
    placements: [...placements.values()],
  };
}

export async function placementStats(
  events: Pick<EventReader, 'query'>,
  engine: WarehouseEngine,
  query: PlacementStatsQuery,
): Promise<PlacementStats> {
  const bounds = [query.range.startMs / 1000, query.range.endMs / 1000];
  const [counts, conversions] = await Promise.all([
    events.query(placementCountsSql(engine), bounds),
    query.goal
      ? events.query(conversionsSql(engine), [...bounds, query.goal.event, query.goal.windowDays * 86_400])
      : Promise.resolve([]),
  ]);
  return assemblePlacementStats(query, counts, conversions);
}
