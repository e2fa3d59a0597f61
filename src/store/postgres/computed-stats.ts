import type { NumericPropertyPair, NumericPropertySummary } from '../types.ts';
import { type PgQueryable, type PostgresTables, storableText, toNumber } from './sql.ts';

/**
 * (profile_id, v) of live profiles whose property `$n` is a JSON number. The cast sits in a
 * CASE so no predicate pushed down into it can meet a text value.
 */
function numbers(tables: PostgresTables, nameParam: string): string {
  return `SELECT cp.profile_id AS profile_id,
           CASE WHEN jsonb_typeof(cp.value) = 'number' THEN (cp.value)::float8 END AS v
    FROM ${tables.computedProperties} cp
    JOIN ${tables.profiles} p ON p.profile_id = cp.profile_id AND p.merged_into IS NULL
    WHERE cp.name = ${nameParam}`;
}

const orNull = (value: unknown): number | null =>
  value === null || value === undefined ? null : toNumber(value);

export async function numericPropertySummary(
  db: PgQueryable,
  tables: PostgresTables,
  name: string,
): Promise<NumericPropertySummary> {
  const { rows } = await db.query<Record<string, unknown>>(
    // The live profile count as its own CTE, not a subquery in the select list, which Citus
    // cannot push down to the shards.
    `WITH live AS (SELECT count(*) AS profiles FROM ${tables.profiles} WHERE merged_into IS NULL),
     summary AS (
       SELECT count(*) AS count, avg(v) AS mean, min(v) AS min, max(v) AS max,
              min(v) FILTER (WHERE v > 0) AS min_positive
       FROM (${numbers(tables, '$1')}) numbers WHERE v IS NOT NULL)
     SELECT summary.*, live.profiles FROM summary, live`,
    [storableText(name)],
  );
  const row = rows[0]!;
  return {
    profiles: toNumber(row.profiles),
    count: toNumber(row.count),
    mean: orNull(row.mean),
    min: orNull(row.min),
    max: orNull(row.max),
    minPositive: orNull(row.min_positive),
  };
}

export async function numericPropertyAtPositions(
  db: PgQueryable,
  tables: PostgresTables,
  name: string,
  positions: number[],
): Promise<Map<number, number>> {
  const wanted = [...new Set(positions.filter((p) => Number.isInteger(p) && p >= 0))];
  if (wanted.length === 0) return new Map();
  const { rows } = await db.query<{ i: string; v: number }>(
    `SELECT i, v FROM (
       SELECT v, row_number() OVER (ORDER BY v) - 1 AS i FROM (${numbers(tables, '$1')}) numbers
       WHERE v IS NOT NULL
     ) ranked WHERE i = ANY($2::bigint[])`,
    [storableText(name), wanted],
  );
  return new Map(rows.map((row) => [toNumber(row.i), toNumber(row.v)]));
}

export async function numericPropertyHistogram(
  db: PgQueryable,
  tables: PostgresTables,
  name: string,
  edges: number[],
): Promise<number[]> {
  const bins = edges.length - 1;
  if (bins < 1) return [];
  // Bin i is [edges[i], edges[i+1]); the CASE walks the inner edges ($4…), the last bin takes the rest.
  const cases = edges
    .slice(1, -1)
    .map((_, i) => `WHEN v < $${i + 4}::float8 THEN ${i}`)
    .join(' ');
  const bin = bins === 1 ? '0' : `CASE ${cases} ELSE ${bins - 1} END`;
  const { rows } = await db.query<{ bin: number; n: string }>(
    `SELECT ${bin} AS bin, count(*) AS n FROM (${numbers(tables, '$1')}) numbers
     WHERE v IS NOT NULL AND v >= $2::float8 AND v <= $3::float8 GROUP BY 1`,
    [storableText(name), edges[0], edges.at(-1), ...edges.slice(1, -1)],
  );
  const counts = new Array<number>(bins).fill(0);
  for (const row of rows) counts[toNumber(row.bin)] = toNumber(row.n);
  return counts;
}

export async function numericPropertyPairSample(
  db: PgQueryable,
  tables: PostgresTables,
  xName: string,
  yName: string,
  limit: number,
): Promise<{ total: number; points: NumericPropertyPair[] }> {
  const counted = await db.query<{ total: string }>(
    `SELECT count(*) AS total FROM (${numbers(tables, '$1')}) numbers WHERE v IS NOT NULL`,
    [storableText(xName)],
  );
  const total = toNumber(counted.rows[0]!.total);
  if (total === 0) return { total, points: [] };
  // Every k-th in x order; y is looked up for the sample only.
  const { rows } = await db.query<{ profile_id: string; x: number; y: number }>(
    `SELECT xs.profile_id, xs.v AS x, (y.value)::float8 AS y
     FROM (
       SELECT profile_id, v, row_number() OVER (ORDER BY v, profile_id COLLATE "C") - 1 AS i
       FROM (${numbers(tables, '$1')}) numbers WHERE v IS NOT NULL
     ) xs
     JOIN ${tables.computedProperties} y ON y.profile_id = xs.profile_id AND y.name = $2
     WHERE xs.i % $3::bigint = 0 AND jsonb_typeof(y.value) = 'number'
     ORDER BY xs.i`,
    [storableText(xName), storableText(yName), Math.ceil(total / limit)],
  );
  return {
    total,
    points: rows.map((row) => ({ profileId: row.profile_id, x: toNumber(row.x), y: toNumber(row.y) })),
  };
}

export async function numericPropertyCountsBelow(
  db: PgQueryable,
  tables: PostgresTables,
  name: string,
  thresholds: number[],
): Promise<number[]> {
  if (thresholds.length === 0) return [];
  // width_bucket(v, ascending thresholds) = how many thresholds are <= v (a binary search per
  // row), so one pass counts the values between each pair of neighbours; the counts below each
  // threshold are then running sums.
  const ascending = [...new Set(thresholds)].sort((left, right) => left - right);
  const { rows } = await db.query<{ bucket: number; n: string }>(
    `SELECT width_bucket(v, $2::float8[]) AS bucket, count(*) AS n
     FROM (${numbers(tables, '$1')}) numbers WHERE v IS NOT NULL GROUP BY 1`,
    [storableText(name), ascending],
  );
  const inBucket = new Array<number>(ascending.length + 1).fill(0);
  for (const row of rows) inBucket[toNumber(row.bucket)] = toNumber(row.n);
  // Values below ascending[j] are those with at most j thresholds at or under them.
  const belowByThreshold = new Map<number, number>();
  let running = 0;
  ascending.forEach((threshold, j) => {
    running += inBucket[j]!;
    belowByThreshold.set(threshold, running);
  });
  return thresholds.map((threshold) => belowByThreshold.get(threshold)!);
}
