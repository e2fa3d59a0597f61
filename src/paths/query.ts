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
  const fromStart =
    input.start === undefined
      ? 'SELECT * FROM numbered'
      : `SELECT numbered.* FROM numbered
         JOIN (SELECT person, min(n) AS first_n FROM numbered WHERE touchpoint = ${bind(input.start)}
               GROUP BY person) AS started ON started.person = numbered.person
         WHERE numbered.n >= started.first_n`;
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
    AND extract(epoch FROM e.timestamp) >= ${startSec} AND extract(epoch FROM e.timestamp) < ${endSec}
),
numbered AS (
  SELECT person, touchpoint, row_number() OVER (PARTITION BY person ORDER BY ts, seq) AS n
  FROM touches
  ${input.people === undefined ? '' : 'WHERE person IN (SELECT person FROM chosen)'}
),
from_start AS (${fromStart}),
changes AS (
  SELECT person, touchpoint, n, lag(touchpoint) OVER (PARTITION BY person ORDER BY n) AS previous
  FROM from_start
),
stepped AS (
  SELECT person, touchpoint, row_number() OVER (PARTITION BY person ORDER BY n) AS step
  FROM changes WHERE previous IS NULL OR previous <> touchpoint
),
firsts AS (SELECT person, touchpoint, step FROM stepped WHERE step <= ${steps}),
ranked AS (
  SELECT step, touchpoint,
         row_number() OVER (PARTITION BY step ORDER BY count(*) DESC, ${byName}) AS place
  FROM firsts GROUP BY step, touchpoint
),
labelled AS (
  SELECT f.person, f.step, CASE WHEN r.place <= ${top} THEN f.touchpoint END AS node
  FROM firsts f JOIN ranked r ON r.step = f.step AND r.touchpoint = f.touchpoint
)
SELECT 'node' AS row_kind, step, node AS source, NULL AS target, count(*) AS people
FROM labelled GROUP BY step, node
UNION ALL
SELECT 'link' AS row_kind, a.step, a.node AS source, b.node AS target, count(*) AS people
FROM labelled a JOIN labelled b ON b.person = a.person AND b.step = a.step + 1
GROUP BY a.step, a.node, b.node`;
  return { text, params };
}
