// The weekly history the portfolio fits: spend per channel per week from the spend store and
// revenue per week from the conversion events (one query per engine dialect).
import { type SpendRow, timeRangeSql } from '../store/index.ts';
import type { SpendHistory } from './portfolio.ts';

const DAY_MS = 86_400_000;

/** Revenue per UTC day of the conversion event: `revenue`, else `total`, else `value`. */
export function revenueByDayQuery(
  engine: 'duckdb' | 'postgres',
  conversionEvent: string,
  startMs: number,
  endMs: number,
): { text: string; params: unknown[] } {
  const number = (key: string) =>
    engine === 'duckdb'
      ? `TRY_CAST(json_extract_string(properties, '$.${key}') AS DOUBLE)`
      : `CASE WHEN properties->>'${key}' ~ '^[0-9]+(\\.[0-9]+)?$' THEN (properties->>'${key}')::double precision END`;
  const day =
    engine === 'duckdb'
      ? 'CAST(CAST(timestamp AS DATE) AS VARCHAR)'
      : "to_char(timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD')";
  return {
    text: `SELECT ${day} AS day, sum(coalesce(${number('revenue')}, ${number('total')}, ${number('value')}, 0)) AS revenue
FROM events WHERE type = 'track' AND name = $1
  AND ${timeRangeSql(engine, 'timestamp', '$2', '$3')}
GROUP BY 1 ORDER BY 1`,
    params: [conversionEvent, startMs / 1000, endMs / 1000],
  };
}

/**
 * Whole weeks from `startMs` (the last partial week is left out). Weeks before the first one
 * with any spend or revenue are dropped: they are before tracking began, not weeks in which
 * nothing was earned, and fitted as real zeros they pull the baseline down (and slowed the
 * fit by minutes).
 */
export function weeklyHistory(
  startMs: number,
  endMs: number,
  spend: readonly SpendRow[],
  revenue: readonly { day: string; revenue: number }[],
): SpendHistory & { weekStarts: string[] } {
  const weeks = Math.floor((endMs - startMs) / (7 * DAY_MS));
  const weekOf = (day: string) => Math.floor((Date.parse(`${day}T00:00:00Z`) - startMs) / (7 * DAY_MS));
  const history: SpendHistory & { weekStarts: string[] } = {
    spend: {},
    outcome: new Array<number>(weeks).fill(0),
    weekStarts: Array.from({ length: weeks }, (_, week) =>
      new Date(startMs + week * 7 * DAY_MS).toISOString().slice(0, 10),
    ),
  };
  for (const row of spend) {
    const week = weekOf(row.day);
    if (week < 0 || week >= weeks) continue;
    const series = (history.spend[row.channel] as number[] | undefined) ?? new Array<number>(weeks).fill(0);
    series[week]! += row.amount;
    history.spend[row.channel] = series;
  }
  for (const row of revenue) {
    const week = weekOf(row.day);
    if (week >= 0 && week < weeks) (history.outcome as number[])[week]! += row.revenue;
  }
  const active = (week: number) =>
    history.outcome[week] !== 0 || Object.values(history.spend).some((series) => series[week] !== 0);
  let first = 0;
  while (first < weeks && !active(first)) first += 1;
  if (first === 0) return history;
  return {
    spend: Object.fromEntries(
      Object.entries(history.spend).map(([channel, series]) => [channel, series.slice(first)]),
    ),
    outcome: history.outcome.slice(first),
    weekStarts: history.weekStarts.slice(first),
  };
}
