// The programme's lift: the people active in a period, split by the global holdout (a SHA-256
// of the profile id, computed here in SQL exactly as arbitration computes it in
// conductor/arbitration/holdout.ts), and per side how many did the goal event in the period.
// The hash's first 32 bits, as 8 lowercase hex digits, compare as text in the same order as the
// numbers, so no engine-specific cast from hex is needed.
import { HOLDOUT_SALT } from '../../conductor/index.ts';
import type { Engine } from './metrics.ts';

export interface ProgrammeQueryInput {
  engine: Engine;
  percent: number;
  event: string;
  startMs: number;
  endMs: number;
  profileMap: Map<string, string>;
}

/** position < percent/100 ⇔ first 32 bits < ceil(percent/100 · 2³²), as 8 hex digits. */
export function holdoutThresholdHex(percent: number): string {
  const threshold = Math.min(2 ** 32 - 1, Math.ceil((percent / 100) * 2 ** 32));
  return threshold.toString(16).padStart(8, '0');
}

export function programmeQuery(input: ProgrammeQueryInput): { text: string; params: unknown[] } {
  const duck = input.engine === 'duckdb';
  const params: unknown[] = [];
  const bind = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const map = bind(JSON.stringify([...input.profileMap]));
  const merged = duck
    ? `SELECT pair[1] AS profile_id, pair[2] AS canonical_id FROM (SELECT unnest(CAST(CAST(${map} AS JSON) AS VARCHAR[][])) AS pair) AS pairs`
    : `SELECT pair->>0 AS profile_id, pair->>1 AS canonical_id FROM jsonb_array_elements(${map}::jsonb) AS pair`;
  const salted = `${bind(HOLDOUT_SALT)} || person`;
  const hash = duck ? `sha256(${salted})` : `encode(sha256(convert_to(${salted}, 'UTF8')), 'hex')`;
  const epochMs = duck ? 'epoch_ms(e.timestamp)' : '(extract(epoch FROM e.timestamp) * 1000)';
  const text = `
WITH merged AS (${merged}),
people AS (
  SELECT COALESCE(merged.canonical_id, e.profile_id) AS person,
         max(CASE WHEN e.name = ${bind(input.event)} THEN 1 ELSE 0 END) AS value
  FROM events e LEFT JOIN merged ON merged.profile_id = e.profile_id
  WHERE ${epochMs} >= ${bind(input.startMs)} AND ${epochMs} < ${bind(input.endMs)}
  GROUP BY 1
)
SELECT CASE WHEN substr(${hash}, 1, 8) < ${bind(holdoutThresholdHex(input.percent))} THEN 'holdout' ELSE 'treated' END AS arm,
       count(*) AS n, sum(value) AS sum, sum(value) AS sum_squares
FROM people GROUP BY 1 ORDER BY 1`;
  return { text, params };
}
