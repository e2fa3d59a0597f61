// One metric per arm, counted in the warehouse with one query on DuckDB or PostgreSQL: each
// person counted once (merged profiles followed to the profile they ended in), at their first
// exposure; a person seen in two arms (a merge of two devices that got different arms) is left
// out, as GrowthBook does. The answer per arm is gbstats' input: n, Σ value, Σ value², and for
// CUPED the same metric in the window before exposure (Σ pre, Σ pre², Σ value × pre).
import { INTERNAL_EVENTS } from '../../segments/index.ts';
import type { MetricDefinition } from '../definition.ts';

/** Rapport's own bookkeeping: not a sign that the person was active. */
const NOT_ACTIVITY = [
  ...INTERNAL_EVENTS,
  'Experiment Viewed',
  'Journey Entered',
  'Journey Step Completed',
  'Journey Exited',
];

export type Engine = 'duckdb' | 'postgres';

/** Where exposures come from: `Experiment Viewed` events, or a journey's split step. */
export type ExposureSource =
  | { kind: 'experiment'; experimentId: string }
  | { kind: 'journey'; journeyId: string; stepId: string };

export interface MetricQueryInput {
  engine: Engine;
  exposure: ExposureSource;
  metric: MetricDefinition;
  /** Merged-away profile → the profile it ended in. */
  profileMap: Map<string, string>;
  /** Only people first exposed in [startMs, endMs) (epoch ms); absent: every exposure. */
  exposedBetween?: { startMs: number; endMs: number } | undefined;
  /**
   * A sum reads the first of these properties that holds a number ≥ 0 (as attribution reads
   * revenue: `revenue`, else `total`, else `value`) instead of the metric's one `property`.
   */
  sumOf?: readonly string[] | undefined;
}

export interface ArmMetricRow {
  arm: string;
  n: number;
  sum: number;
  sumSquares: number;
  preSum: number;
  preSumSquares: number;
  sumProducts: number;
}

/** The small differences between the two engines. */
interface Dialect {
  profileMapRows(param: string): string;
  property(column: string, key: string): string;
  number(text: string): string;
  epochMs(column: string): string;
}

const DUCKDB: Dialect = {
  profileMapRows: (p) =>
    `SELECT pair[1] AS profile_id, pair[2] AS canonical_id FROM (SELECT unnest(CAST(CAST(${p} AS JSON) AS VARCHAR[][])) AS pair) AS pairs`,
  property: (column, key) => `json_extract_string(${column}, '$.${key}')`,
  number: (text) => `TRY_CAST(${text} AS DOUBLE)`,
  epochMs: (column) => `epoch_ms(${column})`,
};

const POSTGRES: Dialect = {
  profileMapRows: (p) =>
    `SELECT pair->>0 AS profile_id, pair->>1 AS canonical_id FROM jsonb_array_elements(${p}::jsonb) AS pair`,
  property: (column, key) => `(${column}->>'${key}')`,
  number: (text) =>
    `(CASE WHEN ${text} ~ '^-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?$' THEN (${text})::double precision END)`,
  epochMs: (column) => `(extract(epoch FROM ${column}) * 1000)`,
};

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** The first of the properties that is a number (≥ 0 when several are read), else 0. */
function sumAmount(d: Dialect, properties: readonly string[]): string {
  // The names go into the query's JSON path: plain names only.
  for (const key of properties)
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,99}$/.test(key)) throw new Error(`not a plain property name: ${key}`);
  if (properties.length === 1) return `COALESCE(${d.number(d.property('e.properties', properties[0]!))}, 0)`;
  const nonNegative = properties.map((key) => {
    const number = d.number(d.property('e.properties', key));
    return `CASE WHEN ${number} >= 0 THEN ${number} END`;
  });
  return `COALESCE(${nonNegative.join(', ')}, 0)`;
}

export function metricQuery(input: MetricQueryInput): { text: string; params: unknown[] } {
  const d = input.engine === 'duckdb' ? DUCKDB : POSTGRES;
  const params: unknown[] = [];
  const bind = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const map = bind(JSON.stringify([...input.profileMap]));
  const { metric } = input;
  const window =
    metric.kind === 'retention'
      ? { from: metric.day * DAY_MS, to: (metric.day + 1) * DAY_MS }
      : { from: 0, to: metric.windowHours * HOUR_MS };
  const preFrom = bind(-(window.to - window.from));
  const from = bind(window.from);
  const to = bind(window.to);
  const eventFilter =
    metric.kind === 'retention'
      ? `e.type <> 'identify' AND (e.name IS NULL OR e.name NOT IN (${NOT_ACTIVITY.map(bind).join(', ')}))`
      : `e.name = ${bind(metric.event)}`;
  const perEvent = metric.kind === 'sum' ? sumAmount(d, input.sumOf ?? [metric.property ?? '']) : '1';
  // conversion and retention: 1 when any event falls in the window; count and sum: their total.
  const post = `m.ts_ms >= x.exposed_ms + ${from}`;
  const binary = metric.kind === 'conversion' || metric.kind === 'retention';
  const aggregate = (when: string) =>
    binary
      ? `CASE WHEN count(m.ts_ms) FILTER (WHERE ${when}) > 0 THEN 1 ELSE 0 END`
      : `COALESCE(sum(m.amount) FILTER (WHERE ${when}), 0)`;
  const exposedBetween = input.exposedBetween
    ? ` AND min(exposed_ms) >= ${bind(input.exposedBetween.startMs)} AND min(exposed_ms) < ${bind(input.exposedBetween.endMs)}`
    : '';
  // Each CTE reads the events table once, filtered by name first; the window join compares the
  // event's time with bounds computed from the exposure, so both engines can hash-join on person.
  const text = `
WITH merged AS (${d.profileMapRows(map)}),
seen AS (
  SELECT COALESCE(merged.canonical_id, r.profile_id) AS person, r.arm, min(r.at_ms) AS exposed_ms
  FROM (${exposureSql(input.exposure, d, bind)}) AS r
  LEFT JOIN merged ON merged.profile_id = r.profile_id
  GROUP BY 1, 2
),
exposed AS (
  SELECT person, min(arm) AS arm, min(exposed_ms) AS exposed_ms
  FROM seen GROUP BY person HAVING count(DISTINCT arm) = 1${exposedBetween}
),
metric_events AS (
  SELECT COALESCE(merged.canonical_id, e.profile_id) AS person, ${d.epochMs('e.timestamp')} AS ts_ms, ${perEvent} AS amount
  FROM events e LEFT JOIN merged ON merged.profile_id = e.profile_id
  WHERE ${eventFilter}
),
per_person AS (
  SELECT x.person, x.arm,
         ${aggregate(post)} AS value,
         ${aggregate(`m.ts_ms < x.exposed_ms`)} AS pre_value
  FROM exposed x
  LEFT JOIN metric_events m ON m.person = x.person
    AND m.ts_ms >= x.exposed_ms + ${preFrom} AND m.ts_ms < x.exposed_ms + ${to}
  GROUP BY x.person, x.arm
)
SELECT arm, count(*) AS n, sum(value) AS sum, sum(value * value) AS sum_squares,
       sum(pre_value) AS pre_sum, sum(pre_value * pre_value) AS pre_sum_squares,
       sum(value * pre_value) AS sum_products
FROM per_person GROUP BY arm ORDER BY arm`;
  return { text, params };
}

/** (profile_id, arm, at_ms) of every exposure row, before merges are followed. */
function exposureSql(source: ExposureSource, d: Dialect, bind: (value: unknown) => string): string {
  const at = d.epochMs('timestamp');
  if (source.kind === 'experiment') {
    return `SELECT profile_id, ${d.property('properties', 'variation_id')} AS arm, ${at} AS at_ms
  FROM events WHERE name = 'Experiment Viewed' AND ${d.property('properties', 'experiment_id')} = ${bind(source.experimentId)}`;
  }
  // A journey split logs `arm <name>` or `holdout` as the step's outcome.
  const outcome = d.property('properties', 'outcome');
  return `SELECT profile_id, CASE WHEN ${outcome} = 'holdout' THEN 'holdout' ELSE substr(${outcome}, 5) END AS arm,
         ${at} AS at_ms
  FROM events WHERE name = 'Journey Step Completed' AND ${d.property('properties', 'journeyId')} = ${bind(source.journeyId)}
    AND ${d.property('properties', 'stepId')} = ${bind(source.stepId)}`;
}

/** Every journey split step with a holdout that held someone out in [startMs, endMs). */
export function holdoutSplitsQuery(
  engine: Engine,
  startMs: number,
  endMs: number,
): { text: string; params: unknown[] } {
  const d = engine === 'duckdb' ? DUCKDB : POSTGRES;
  const text = `SELECT DISTINCT ${d.property('properties', 'journeyId')} AS journey_id, ${d.property('properties', 'stepId')} AS step_id
FROM events
WHERE name = 'Journey Step Completed' AND ${d.property('properties', 'outcome')} = 'holdout'
  AND ${d.epochMs('timestamp')} >= $1 AND ${d.epochMs('timestamp')} < $2
ORDER BY 1, 2`;
  return { text, params: [startMs, endMs] };
}

export function armRows(rows: Record<string, unknown>[]): ArmMetricRow[] {
  return rows.map((row) => ({
    arm: String(row.arm),
    n: Number(row.n),
    sum: Number(row.sum ?? 0),
    sumSquares: Number(row.sum_squares ?? 0),
    preSum: Number(row.pre_sum ?? 0),
    preSumSquares: Number(row.pre_sum_squares ?? 0),
    sumProducts: Number(row.sum_products ?? 0),
  }));
}
