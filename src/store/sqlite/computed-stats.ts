// Aggregates over numeric computed properties (the value page's histogram, percentiles and
// scatter) in SQL, so the server never loads every profile's value to count them, plus the
// small reports a module keeps across restarts. Values are JSON text; only JSON numbers count.
import type { NumericPropertyPair, NumericPropertySummary } from '../types.ts';
import type { SqliteDatabase } from './connection.ts';

/**
 * (profile_id, v) of live profiles whose property `?` is a JSON number. Written to match the
 * partial expression index computed_numbers_by_name exactly (same CAST, same json_type test),
 * so it is read from the index alone; merged-away profiles (few) are left out by a NOT IN on
 * a small list rather than a lookup per row.
 */
const NUMBERS = `SELECT cp.profile_id AS profile_id, CAST(cp.value AS REAL) AS v
  FROM computed_properties cp
  WHERE cp.name = ? AND json_type(cp.value) IN ('integer', 'real')
    AND cp.profile_id NOT IN (SELECT profile_id FROM profiles WHERE merged_into IS NOT NULL)`;

export function numericPropertySummary(db: SqliteDatabase, name: string): NumericPropertySummary {
  const row = db
    .prepare(
      `SELECT count(*) AS count, avg(v) AS mean, min(v) AS min, max(v) AS max,
              min(CASE WHEN v > 0 THEN v END) AS min_positive
       FROM (${NUMBERS}) numbers WHERE v IS NOT NULL`,
    )
    .get(name) as {
    count: number;
    mean: number | null;
    min: number | null;
    max: number | null;
    min_positive: number | null;
  };
  const live = db.prepare('SELECT count(*) AS n FROM profiles WHERE merged_into IS NULL').get() as {
    n: number;
  };
  return {
    profiles: live.n,
    count: row.count,
    mean: row.mean,
    min: row.min,
    max: row.max,
    minPositive: row.min_positive,
  };
}

export function numericPropertyAtPositions(
  db: SqliteDatabase,
  name: string,
  positions: number[],
): Map<number, number> {
  const wanted = [...new Set(positions.filter((p) => Number.isInteger(p) && p >= 0))];
  if (wanted.length === 0) return new Map();
  const rows = db
    .prepare(
      `SELECT i, v FROM (
         SELECT v, row_number() OVER (ORDER BY v) - 1 AS i FROM (${NUMBERS}) numbers WHERE v IS NOT NULL
       ) ranked WHERE i IN (${wanted.map(() => '?').join(',')})`,
    )
    .all(name, ...wanted) as { i: number; v: number }[];
  return new Map(rows.map((row) => [row.i, row.v]));
}

export function numericPropertyHistogram(db: SqliteDatabase, name: string, edges: number[]): number[] {
  const bins = edges.length - 1;
  if (bins < 1) return [];
  // Bin i is [edges[i], edges[i+1]); the CASE walks the inner edges, the last bin takes the rest up to the top edge.
  const cases = edges
    .slice(1, -1)
    .map((_, i) => `WHEN v < ? THEN ${i}`)
    .join(' ');
  const bin = bins === 1 ? '0' : `CASE ${cases} ELSE ${bins - 1} END`;
  const rows = db
    .prepare(
      `SELECT ${bin} AS bin, count(*) AS n FROM (${NUMBERS}) numbers
       WHERE v IS NOT NULL AND v >= ? AND v <= ? GROUP BY bin`,
    )
    .all(...edges.slice(1, -1), name, edges[0], edges.at(-1)) as { bin: number; n: number }[];
  const counts = new Array<number>(bins).fill(0);
  for (const row of rows) counts[row.bin] = row.n;
  return counts;
}

export function numericPropertyPairSample(
  db: SqliteDatabase,
  xName: string,
  yName: string,
  limit: number,
): { total: number; points: NumericPropertyPair[] } {
  const { total } = db.prepare(`SELECT count(*) AS total FROM (${NUMBERS}) numbers`).get(xName) as {
    total: number;
  };
  if (total === 0) return { total, points: [] };
  // Every k-th in x order, read from the index in that order; y is looked up for the sample only.
  const every = Math.ceil(total / limit);
  const rows = db
    .prepare(
      `SELECT xs.profile_id AS profile_id, xs.v AS x, CAST(y.value AS REAL) AS y
       FROM (SELECT profile_id, v, row_number() OVER (ORDER BY v, profile_id) - 1 AS i FROM (${NUMBERS}) numbers) xs
       JOIN computed_properties y ON y.profile_id = xs.profile_id AND y.name = ?
       WHERE xs.i % ? = 0 AND json_type(y.value) IN ('integer', 'real')
       ORDER BY xs.i`,
    )
    .all(xName, yName, every) as { profile_id: string; x: number; y: number }[];
  return { total, points: rows.map((row) => ({ profileId: row.profile_id, x: row.x, y: row.y })) };
}

export function numericPropertyCountsBelow(db: SqliteDatabase, name: string, thresholds: number[]): number[] {
  if (thresholds.length === 0) return [];
  // One walk over the values in order, read from the index (no sort): each threshold, taken in
  // ascending order, is reached when the walk meets the first value at or above it.
  const order = thresholds.map((_, i) => i).sort((left, right) => thresholds[left]! - thresholds[right]!);
  const below = new Array<number>(thresholds.length).fill(0);
  let next = 0;
  let seen = 0;
  const values = db
    .prepare(`SELECT v FROM (${NUMBERS}) numbers WHERE v IS NOT NULL ORDER BY v`)
    .pluck()
    .iterate(name) as IterableIterator<number>;
  for (const v of values) {
    while (next < order.length && thresholds[order[next]!]! <= v) below[order[next++]!] = seen;
    seen++;
  }
  while (next < order.length) below[order[next++]!] = seen;
  return below;
}
