// The funnel report's tallies as one SQL query, for the SQLite and PostgreSQL segment stores.
// It computes what funnelTallies (segments/live/funnel-report.ts) computes over the rows in
// memory, so a report at 1M profiles never ships the lifecycle tables to the process:
// - merged-away profiles are resolved to their survivor through the merge chain (at most
//   100 hops further, as profileMap does) and have no current stage of their own;
// - a person's furthest stage is the highest stage index in lifecycle_stage or any
//   lifecycle_history.to_stage of theirs or of a profile merged into them;
// - a completed stay is a history row whose from_stage is the to_stage of the same profile's
//   previous row (in insertion order, by id), timed from that row; its stage is that stage.
import type { FunnelCohortFilter, FunnelTallies } from './segment-types.ts';

export interface FunnelSqlDialect {
  engine: 'sqlite' | 'postgres';
  /** Table names, already quoted where needed. */
  tables: { profiles: string; stages: string; stageHistory: string; members: string; states: string };
  /**
   * PostgreSQL: each merged-away profile with its survivor, resolved before the query
   * (`survivorsOf`). Citus runs a recursive CTE only when it filters on the distribution
   * column, so the merge chain is not walked in SQL there.
   */
  survivors?: { ids: string[]; persons: string[] };
}

/** Each merged-away profile's survivor: the end of its merge chain, at most 100 hops on. */
export function survivorsOf(merged: ReadonlyArray<{ id: string; mergedInto: string }>): {
  ids: string[];
  persons: string[];
} {
  const next = new Map(merged.map((row) => [row.id, row.mergedInto]));
  const ids: string[] = [];
  const persons: string[] = [];
  for (const { id, mergedInto } of merged) {
    let person = mergedInto;
    for (let hops = 0; next.has(person) && hops < 100; hops++) person = next.get(person)!;
    ids.push(id);
    persons.push(person);
  }
  return { ids, persons };
}

export interface FunnelSql {
  text: string;
  /** Positional values ($1…) for PostgreSQL; named values (@p1…) for SQLite. */
  values: unknown[];
}

export function funnelTalliesSql(
  dialect: FunnelSqlDialect,
  funnelId: string,
  stageIds: string[],
  cohort: FunnelCohortFilter | null,
): FunnelSql {
  const pg = dialect.engine === 'postgres';
  const t = dialect.tables;
  const values: unknown[] = [];
  const param = (value: unknown) => {
    values.push(value);
    return pg ? `$${values.length}` : `@p${values.length}`;
  };
  const funnel = param(funnelId);
  const stageParams = stageIds.map((id) => param(id));
  // Stage id → index; null for ids that are not (or no longer) stages of the funnel.
  const indexOf = (column: string) =>
    `CASE ${column} ${stageParams.map((p, i) => `WHEN ${p} THEN ${i}`).join(' ')} END`;
  // Epoch milliseconds of an ISO instant (what Date.parse gives), exact on both engines.
  const ms = (column: string) =>
    pg
      ? `(extract(epoch FROM ${column}::timestamptz) * 1000)::bigint`
      : `CAST(round(unixepoch(${column}, 'subsec') * 1000) AS INTEGER)`;
  const median = pg ? 'percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)' : 'median(ms)';
  // PostgreSQL types a UNION's column pairwise from the first branches: a bare NULL is text.
  const noMedian = pg ? 'NULL::float8' : 'NULL';
  const collate = pg ? ' COLLATE "C"' : '';
  // The longest chain a merged-away id has: its end is the survivor.
  const survivor = pg
    ? 'SELECT DISTINCT ON (id) id, target AS person FROM chain ORDER BY id, hops DESC'
    : 'SELECT id, target AS person, max(hops) FROM chain GROUP BY id';

  const given = dialect.survivors;
  const chainSql = given
    ? `survivor AS MATERIALIZED (SELECT * FROM unnest(${param(given.ids)}::text[], ${param(given.persons)}::text[]) AS s(id, person)),`
    : `chain(id, target, hops) AS (
  SELECT profile_id, merged_into, 0 FROM ${t.profiles} WHERE merged_into IS NOT NULL
  UNION ALL
  SELECT c.id, p.merged_into, c.hops + 1 FROM chain c JOIN ${t.profiles} p ON p.profile_id = c.target
  WHERE p.merged_into IS NOT NULL AND c.hops < 100
),
survivor AS MATERIALIZED (${survivor}),`;

  let cohortSql: string | null = null;
  if (cohort?.kind === 'segment')
    cohortSql = `SELECT profile_id AS id FROM ${t.members} WHERE segment_id = ${param(cohort.segmentId)}`;
  else if (cohort?.kind === 'firstSeen') {
    const first = pg ? "(state::json ->> 'firstSeenMs')::float8" : "json_extract(state, '$.firstSeenMs')";
    cohortSql = `SELECT profile_id AS id FROM ${t.states}
      WHERE ${first} >= ${param(cohort.fromMs)} AND ${first} < ${param(cohort.toMs)}`;
  } else if (cohort?.kind === 'profiles')
    cohortSql = pg
      ? `SELECT unnest(${param(cohort.profileIds)}::text[])${collate} AS id`
      : `SELECT value AS id FROM json_each(${param(JSON.stringify(cohort.profileIds))})`;
  const inCohort = (column: string) => (cohortSql === null ? '' : `AND ${column} IN (SELECT id FROM cohort)`);

  const text = `
WITH ${given ? '' : 'RECURSIVE '}${chainSql}
${cohortSql === null ? '' : `cohort AS MATERIALIZED (${cohortSql}),`}
current_stage AS (
  SELECT s.profile_id AS person, ${indexOf('s.stage')} AS i FROM ${t.stages} s
  WHERE s.funnel_id = ${funnel} AND s.profile_id NOT IN (SELECT id FROM survivor) ${inCohort('s.profile_id')}
),
history AS (
  SELECT h.id, h.profile_id, coalesce(m.person, h.profile_id) AS person, h.from_stage, h.to_stage, h.at
  FROM ${t.stageHistory} h LEFT JOIN survivor m ON m.id = h.profile_id
  WHERE h.funnel_id = ${funnel}
),
counted_history AS (
  SELECT * FROM history WHERE true ${inCohort('person')}
),
reach AS (
  SELECT person, i FROM current_stage WHERE i IS NOT NULL
  UNION ALL
  SELECT person, ${indexOf('to_stage')} FROM counted_history WHERE ${indexOf('to_stage')} IS NOT NULL
),
steps AS (
  SELECT from_stage, ${ms('at')} AS at_ms,
         lag(to_stage) OVER w AS previous_to, lag(${ms('at')}) OVER w AS previous_ms
  FROM counted_history
  WINDOW w AS (PARTITION BY profile_id ORDER BY id)
),
stays AS (
  SELECT ${indexOf('previous_to')} AS i, at_ms - previous_ms AS ms FROM steps WHERE previous_to = from_stage
)
SELECT 'current' AS kind, i, count(*) AS n, ${noMedian} AS median FROM current_stage WHERE i IS NOT NULL GROUP BY i
UNION ALL
SELECT 'furthest', f, count(*), ${noMedian} FROM (SELECT max(i) AS f FROM reach GROUP BY person) furthest GROUP BY f
UNION ALL
SELECT 'stays', i, count(*), ${median} FROM stays WHERE i IS NOT NULL GROUP BY i`;
  return { text, values };
}

/** The query's rows (kind, stage index, count, median) as tallies over `stages` stages. */
export function talliesFromRows(
  stages: number,
  rows: Array<{ kind: string; i: number | string; n: number | string; median: number | string | null }>,
): FunnelTallies {
  const tallies: FunnelTallies = {
    current: Array.from({ length: stages }, () => 0),
    furthest: Array.from({ length: stages }, () => 0),
    completedStays: Array.from({ length: stages }, () => 0),
    medianStayMs: Array.from({ length: stages }, () => null),
  };
  for (const row of rows) {
    const i = Number(row.i);
    const n = Number(row.n);
    if (row.kind === 'current') tallies.current[i] = n;
    else if (row.kind === 'furthest') tallies.furthest[i] = n;
    else {
      tallies.completedStays[i] = n;
      tallies.medianStayMs[i] = row.median === null ? null : Number(row.median);
    }
  }
  return tallies;
}
