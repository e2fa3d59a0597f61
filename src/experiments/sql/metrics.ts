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

export function metricQuery(input: MetricQueryInput): { text: string; params: unknown[] } {
  const d = input.engine === 'duckdb' ? DUCKDB : POSTGRES;
  const params: unknown[] = [];
  const bind = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const map = bind(JSON.stringify([...input.profileMap]));
  const exposures = exposureSql(input.exposure, d, bind);
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
      ? `m.type <> 'identify' AND (m.name IS NULL OR m.name NOT IN (${NOT_ACTIVITY.map(bind).join(', ')}))`
      : `m.name = ${bind(metric.event)}`;
  const perEvent =
    metric.kind === 'sum'
      ? `COALESCE(${d.number(d.property('m.properties', metric.property ?? ''))}, 0)`
      : '1';
  // conversion and retention: 1 when any event falls in the window; count and sum: their total.
  const post = `(m.ts_ms - x.exposed_ms >= ${from} AND m.ts_ms - x.exposed_ms < ${to})`;
  const pre = `(m.ts_ms - x.exposed_ms >= ${preFrom} AND m.ts_ms - x.exposed_ms < 0)`;
  const binary = metric.kind === 'conversion' || metric.kind === 'retention';
  const aggregate = (when: string) =>
    binary
      ? `CASE WHEN count(*) FILTER (WHERE ${when}) > 0 THEN 1 ELSE 0 END`
      : `COALESCE(sum(${perEvent}) FILTER (WHERE ${when}), 0)`;
  const text = `
WITH merged AS (${d.profileMapRows(map)}),
ev AS (
  SELECT COALESCE(merged.canonical_id, e.profile_id) AS person, e.name, e.type, e.properties,
         ${d.epochMs('e.timestamp')} AS ts_ms
  FROM events e LEFT JOIN merged ON merged.profile_id = e.profile_id
),
seen AS (${exposures}),
exposed AS (
  SELECT person, min(arm) AS arm, min(exposed_ms) AS exposed_ms
  FROM seen GROUP BY person HAVING count(DISTINCT arm) = 1
),
per_person AS (
  SELECT x.person, x.arm,
         ${aggregate(post)} AS value,
         ${aggregate(pre)} AS pre_value
  FROM exposed x
  LEFT JOIN ev m ON m.person = x.person AND ${eventFilter}
    AND m.ts_ms - x.exposed_ms >= ${preFrom} AND m.ts_ms - x.exposed_ms < ${to}
  GROUP BY x.person, x.arm
)
SELECT arm, count(*) AS n, sum(value) AS sum, sum(value * value) AS sum_squares,
       sum(pre_value) AS pre_sum, sum(pre_value * pre_value) AS pre_sum_squares,
       sum(value * pre_value) AS sum_products
FROM per_person GROUP BY arm ORDER BY arm`;
  return { text, params };
}

function exposureSql(source: ExposureSource, d: Dialect, bind: (value: unknown) => string): string {
  if (source.kind === 'experiment') {
    return `SELECT person, ${d.property('properties', 'variation_id')} AS arm, min(ts_ms) AS exposed_ms
  FROM ev WHERE name = 'Experiment Viewed' AND ${d.property('properties', 'experiment_id')} = ${bind(source.experimentId)}
  GROUP BY person, ${d.property('properties', 'variation_id')}`;
  }
  // A journey split logs `arm <name>` or `holdout` as the step's outcome.
  const outcome = d.property('properties', 'outcome');
  return `SELECT person, CASE WHEN ${outcome} = 'holdout' THEN 'holdout' ELSE substr(${outcome}, 5) END AS arm,
         min(ts_ms) AS exposed_ms
  FROM ev WHERE name = 'Journey Step Completed' AND ${d.property('properties', 'journeyId')} = ${bind(source.journeyId)}
    AND ${d.property('properties', 'stepId')} = ${bind(source.stepId)}
  GROUP BY person, CASE WHEN ${outcome} = 'holdout' THEN 'holdout' ELSE substr(${outcome}, 5) END`;
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
