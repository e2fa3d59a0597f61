// The SQL that turns the warehouse's events into paths between touchpoints (docs/paths.md),
// on DuckDB (embedded, through the pipeline worker) or PostgreSQL. Everything is counted in
// the warehouse: the answer is one row per node (step, touchpoint) and one per transition
// between consecutive steps, at most steps × (top + 1) and (steps − 1) × (top + 1)² rows.
//
// A touchpoint is `page:<name>` for a page or screen view (its name, else properties.path,
// else "(unnamed)") or `event:<name>` for a track event; Rapport's own bookkeeping events
// (segment membership, lifecycle stage, journey progress: NOT_TOUCHPOINTS) are not touchpoints. Each person's touchpoints in the range are ordered by time (then log
// order), events of profiles merged into them included; immediate repeats collapse into one
// step; with `start`, the path begins at the person's first occurrence of that touchpoint and
// people without it are left out. The top `top` touchpoints of each step keep their name;
// the rest of the step is one "other" node (NULL here).
import { INTERNAL_EVENTS } from '../segments/live/internal.ts';
import { timeRangeSql } from '../store/index.ts';

/**
 * Track events Rapport writes about its own view of a person: the segments processor's and
 * the journeys' progress. The touchpoint itself (an email sent, opened) has its own event.
 */
export const NOT_TOUCHPOINTS: readonly string[] = [
  ...INTERNAL_EVENTS,
  'Journey Entered',
  'Journey Step Completed',
  'Journey Exited',
];

export interface PathsQueryInput {
  engine: 'duckdb' | 'postgres';
  /** Epoch ms, inclusive. */
  startMs: number;
  /** Epoch ms, exclusive. */
  endMs: number;
  steps: number;
  top: number;
  /** A touchpoint (`page:Home`, `event:Signed Up`) every path starts at. */
  start?: string | undefined;
  /** Merged-away profile → the profile it ended in. */
  profileMap: Map<string, string>;
  /** Only these (canonical) profiles; undefined: everyone. */
  people?: string[] | undefined;
}

export interface PathsQuery {
  text: string;
  params: unknown[];
}

export function pathsQuery(input: PathsQueryInput): PathsQuery {
  const duck = input.engine === 'duckdb';
  const params: unknown[] = [];
  const bind = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  // Lists travel as one JSON parameter, not one parameter per row.
  const mapRows = bind(JSON.stringify([...input.profileMap]));
  const profileMap = duck
    ? `SELECT pair[1] AS profile_id, pair[2] AS canonical_id
       FROM (SELECT unnest(CAST(CAST(${mapRows} AS JSON) AS VARCHAR[][])) AS pair) AS pairs`
    : `SELECT pair->>0 AS profile_id, pair->>1 AS canonical_id FROM jsonb_array_elements(${mapRows}::jsonb) AS pair`;
  const chosen =
    input.people === undefined
      ? ''
      : (() => {
          const ids = bind(JSON.stringify(input.people));
          return duck
            ? `chosen AS (SELECT unnest(CAST(CAST(${ids} AS JSON) AS VARCHAR[])) AS person),`
            : `chosen AS (SELECT jsonb_array_elements_text(${ids}::jsonb) AS person),`;
        })();
  const path = duck ? "json_extract_string(e.properties, '$.path')" : "e.properties->>'path'";
  const internal = NOT_TOUCHPOINTS.map((name) => bind(name)).join(', ');
  const startSec = bind(input.startMs / 1000);
  const endSec = bind(input.endMs / 1000);
  const steps = bind(input.steps);
  const top = bind(input.top);
  // Ties at the top-K boundary break by byte order on both engines.
  const byName = duck ? 'touchpoint' : 'touchpoint COLLATE "C"';
  // With a start, each person's path begins at their first (time, then log order) occurrence of it.
  const fromStart =
    input.start === undefined
      ? 'SELECT * FROM touches'
      : (() => {
          const start = bind(input.start);
          return `SELECT t.* FROM touches t
         JOIN (SELECT s.person, s.first_ts, min(t2.seq) AS first_seq
               FROM (SELECT person, min(ts) AS first_ts FROM touches WHERE touchpoint = ${start} GROUP BY person) s
               JOIN touches t2 ON t2.person = s.person AND t2.ts = s.first_ts AND t2.touchpoint = ${start}
               GROUP BY s.person, s.first_ts) f ON f.person = t.person
         WHERE t.ts > f.first_ts OR (t.ts = f.first_ts AND t.seq >= f.first_seq)`;
        })();
  const text = `WITH
profile_map AS (${profileMap}),
${chosen}
touches AS (
  SELECT coalesce(m.canonical_id, e.profile_id) AS person,
         CASE WHEN e.type = 'track' THEN 'event:' || e.name
              ELSE 'page:' || coalesce(e.name, ${path}, '(unnamed)') END AS touchpoint,
         e.timestamp AS ts, e.seq
  FROM events e LEFT JOIN profile_map m ON m.profile_id = e.profile_id
  WHERE e.type IN ('track', 'page', 'screen')
    AND NOT (e.type = 'track' AND (e.name IS NULL OR e.name IN (${internal})))
    AND ${timeRangeSql(input.engine, 'e.timestamp', startSec, endSec)}
    ${input.people === undefined ? '' : 'AND coalesce(m.canonical_id, e.profile_id) IN (SELECT person FROM chosen)'}
),
from_start AS (${fromStart}),
changes AS (
  SELECT person, touchpoint, ts, seq,
         lag(touchpoint) OVER (PARTITION BY person ORDER BY ts, seq) AS previous
  FROM from_start
),
stepped AS (
  SELECT person, touchpoint, row_number() OVER w AS step, lead(touchpoint) OVER w AS next
  FROM changes WHERE previous IS NULL OR previous <> touchpoint
  WINDOW w AS (PARTITION BY person ORDER BY ts, seq)
),
firsts AS (SELECT touchpoint, step, next FROM stepped WHERE step <= ${steps}),
ranked AS (
  SELECT step, touchpoint,
         row_number() OVER (PARTITION BY step ORDER BY count(*) DESC, ${byName}) AS place
  FROM firsts GROUP BY step, touchpoint
),
-- Each path's step with its node and the node of its next step (null: the path ends here or
-- at the last step counted); the next step's ranking is a small join, not a self-join.
labelled AS (
  SELECT f.step,
         CASE WHEN r.place <= ${top} THEN f.touchpoint END AS node,
         f.next IS NOT NULL AND f.step < ${steps} AS goes_on,
         CASE WHEN rn.place <= ${top} THEN f.next END AS next_node
  FROM firsts f
  JOIN ranked r ON r.step = f.step AND r.touchpoint = f.touchpoint
  LEFT JOIN ranked rn ON rn.step = f.step + 1 AND rn.touchpoint = f.next
)
SELECT 'node' AS row_kind, step, node AS source, NULL AS target, count(*) AS people
FROM labelled GROUP BY step, node
UNION ALL
SELECT 'link' AS row_kind, step, node AS source, next_node AS target, count(*) AS people
FROM labelled WHERE goes_on GROUP BY step, node, next_node`;
  return { text, params };
}
