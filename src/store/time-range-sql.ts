// A time range on an events timestamp column, written per engine. Both engines compare the
// column itself, never an expression of it, so the range reaches the storage: DuckDB skips the
// row groups outside it (their min/max) instead of reading every row's every column, message
// included, and PostgreSQL can use events_by_time. `extract(epoch FROM column) >= start`
// selects the same rows but hides the column from both (the Measure page's touchpoints read
// spent 7 s of 7.6 at 5,000 people on it before it was written this way).

export type WarehouseEngine = 'duckdb' | 'postgres';

/** Seconds since the epoch (a bound parameter or a literal) as the engine's timestamp, UTC. */
export function epochSecondsSql(engine: WarehouseEngine, seconds: string): string {
  // DuckDB's TIMESTAMP has no zone: make_timestamp reads microseconds since the epoch as UTC,
  // where to_timestamp would give a TIMESTAMPTZ and compare through the local zone.
  return engine === 'duckdb'
    ? `make_timestamp(CAST(CAST(${seconds} AS DOUBLE) * 1000000 AS BIGINT))`
    : `to_timestamp(${seconds})`;
}

/** `column` within [start, end) seconds since the epoch. */
export function timeRangeSql(
  engine: WarehouseEngine,
  column: string,
  startSec: string,
  endSec: string,
): string {
  return `${column} >= ${epochSecondsSql(engine, startSec)} AND ${column} < ${epochSecondsSql(engine, endSec)}`;
}

/** `column` at or after `startSec` seconds since the epoch. */
export function timeFromSql(engine: WarehouseEngine, column: string, startSec: string): string {
  return `${column} >= ${epochSecondsSql(engine, startSec)}`;
}
