// The one query that reads touchpoints and conversions from the warehouse (DuckDB embedded,
// the `events` table on PostgreSQL), merges followed, ordered by person, time and log order.
// It returns rows, not counts: classification by UTM and referrer (touchpoints.ts) is easier
// to read, test and change in TypeScript than in two SQL dialects.
import { timeRangeSql } from '../store/index.ts';
import { TOUCH_EVENTS } from './touchpoints.ts';

export interface TouchpointsQueryInput {
  engine: 'duckdb' | 'postgres';
  /** Epoch ms, inclusive: the range's start minus the lookback window. */
  startMs: number;
  /** Epoch ms, exclusive. */
  endMs: number;
  conversionEvent: string;
  /** Merged-away profile → the profile it ended in. */
  profileMap: Map<string, string>;
  /** Only these (canonical) profiles; undefined: everyone. */
  people?: readonly string[] | undefined;
}

/** The merge map as a table (profile_id → canonical_id), from a bound JSON array of pairs. */
export function profileMapSql(engine: 'duckdb' | 'postgres', mapParam: string): string {
  return engine === 'duckdb'
    ? `SELECT pair[1] AS profile_id, pair[2] AS canonical_id
       FROM (SELECT unnest(CAST(CAST(${mapParam} AS JSON) AS VARCHAR[][])) AS pair) AS pairs`
    : `SELECT pair->>0 AS profile_id, pair->>1 AS canonical_id FROM jsonb_array_elements(${mapParam}::jsonb) AS pair`;
}

/** `AND person IN (…)` for events `e` joined to the merge map `m`; '' for everyone. */
export function peopleFilter(
  engine: 'duckdb' | 'postgres',
  people: readonly string[] | undefined,
  bind: (value: unknown) => string,
): string {
  if (people === undefined) return '';
  const list = bind(JSON.stringify(people));
  return engine === 'duckdb'
    ? `AND coalesce(m.canonical_id, e.profile_id) IN (SELECT unnest(CAST(CAST(${list} AS JSON) AS VARCHAR[])))`
    : `AND coalesce(m.canonical_id, e.profile_id) IN (SELECT jsonb_array_elements_text(${list}::jsonb))`;
}

export function touchpointsQuery(input: TouchpointsQueryInput): { text: string; params: unknown[] } {
  const duck = input.engine === 'duckdb';
  const params: unknown[] = [];
  const bind = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const profileMap = profileMapSql(input.engine, bind(JSON.stringify([...input.profileMap])));
  const names = [...TOUCH_EVENTS, input.conversionEvent].map((name) => bind(name)).join(', ');
  const startSec = bind(input.startMs / 1000);
  const endSec = bind(input.endMs / 1000);
  const people = peopleFilter(input.engine, input.people, bind);
  const tsMs = duck ? 'epoch_ms(e.timestamp)' : 'floor(extract(epoch FROM e.timestamp) * 1000)';
  // Only a page view's channel reads the context (its UTM and referrer): the whole message is
  // left unread for the other rows.
  const context = `CASE WHEN e.type IN ('page', 'screen') THEN ${
    duck ? "CAST(json_extract(e.message, '$.context') AS VARCHAR)" : "(e.message->'context')::text"
  } END`;
  const properties = duck ? 'CAST(e.properties AS VARCHAR)' : 'e.properties::text';
  const text = `WITH profile_map AS (${profileMap})
SELECT coalesce(m.canonical_id, e.profile_id) AS person, e.type, e.name, ${tsMs} AS ts_ms, e.seq,
       ${properties} AS properties, ${context} AS context
FROM events e LEFT JOIN profile_map m ON m.profile_id = e.profile_id
WHERE (e.type IN ('page', 'screen') OR (e.type = 'track' AND e.name IN (${names})))
  AND ${timeRangeSql(input.engine, 'e.timestamp', startSec, endSec)}
  ${people}
ORDER BY person, ts_ms, e.seq`;
  return { text, params };
}

const parseObject = (value: unknown): Record<string, unknown> => {
  if (value === null || value === undefined) return {};
  const parsed = typeof value === 'string' ? JSON.parse(value) : value;
  return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
};

/** The query's rows as TouchRows. */
export function toTouchRow(row: Record<string, unknown>) {
  return {
    person: String(row.person),
    type: String(row.type),
    name: row.name === null || row.name === undefined ? null : String(row.name),
    tsMs: Number(row.ts_ms),
    seq: Number(row.seq),
    properties: parseObject(row.properties),
    context: parseObject(row.context),
  };
}
