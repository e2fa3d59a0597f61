// `npm run bench -- funnel [--people N] [--repeat R] [--engine sqlite|postgres|both]`:
// the funnel report (GET /api/funnel) at scale, without the hour-long fill of the dashboard
// bench. It writes N synthetic people straight into the segment store's tables (profiles,
// lifecycle_stage, lifecycle_history: about 2.1 transitions a person, 5% merged away, a
// segment of one person in ten), then times, R times each:
// - before: every row into the process (allStages + stageHistoryOf + profileMap) and the
//   pure funnelReport, as the report worked until it was counted in SQL;
// - after: SegmentStore.funnelTallies (one SQL query) and reportFromTallies, with no cohort
//   and with the segment as cohort.
// Both must give the same report (checked). PostgreSQL: RAPPORT_BENCH_DATABASE_URL, or the
// throwaway cluster the tests use.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import pg from 'pg';
import type { FunnelDefinition } from '../src/segments/lifecycle.ts';
import { funnelReport, reportFromTallies } from '../src/segments/live/funnel-report.ts';
import { PostgresStateStore } from '../src/store/postgres/index.ts';
import { PostgresSegmentStore } from '../src/store/postgres/segments.ts';
import { quoteIdent } from '../src/store/postgres/sql.ts';
import type { FunnelCohortFilter, SegmentStore } from '../src/store/segment-types.ts';
import { openSqlite } from '../src/store/sqlite/connection.ts';
import { SqliteSegmentStore } from '../src/store/sqlite/segments.ts';
import { SqliteStateStore, sqlitePathsIn } from '../src/store/sqlite/state.ts';
import { startThrowawayPostgres } from '../test/support/postgres.ts';

const STAGES = ['visitor', 'engaged', 'customer', 'repeat', 'loyal'];
const FUNNEL = {
  id: 'lifecycle',
  name: 'Lifecycle',
  stages: STAGES.map((id) => ({ id, name: id })),
} as unknown as FunnelDefinition;
const DAY_MS = 86_400_000;
const T0_MS = Date.parse('2026-01-01T00:00:00.000Z');

// One formula for both engines, over person i (0-based) and step j (0 ≤ j ≤ furthest):
// furthest from a hash of i; 1 in 20 merged into the person before; steps interleaved in
// time across people (inserted in order of step, then person, so ids follow time roughly).
const hash = (i: string) => `((${i} * 2654435761) % 100)`;
const furthestOf = (i: string) =>
  `(CASE WHEN ${hash(i)} < 40 THEN 0 WHEN ${hash(i)} < 70 THEN 1 WHEN ${hash(i)} < 85 THEN 2 WHEN ${hash(i)} < 95 THEN 3 ELSE 4 END)`;
const stageName = (j: string) => `(CASE ${j} ${STAGES.map((s, k) => `WHEN ${k} THEN '${s}'`).join(' ')} END)`;
const atMs = (i: string, j: string) =>
  `(${T0_MS} + ${i} * 1000 + ${j} * ${DAY_MS} * (1 + (${i} * 7 + ${j}) % 5))`;

function fillSqlite(dir: string, people: number): void {
  const db = openSqlite(sqlitePathsIn(dir).statePath, { synchronous: 'NORMAL' });
  const iso = (ms: string) => `strftime('%Y-%m-%dT%H:%M:%fZ', ${ms} / 1000.0, 'unixepoch')`;
  const series = `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${people - 1})`;
  db.transaction(() => {
    db.exec(`${series} INSERT INTO profiles (profile_id, created_at, first_seen, last_seen, event_count, traits, groups, merged_into)
      SELECT 'p' || i, '2026-01-01', '2026-01-01', '2026-01-01', 1, '{}', '{}',
             CASE WHEN i % 20 = 19 THEN 'p' || (i - 1) END FROM n`);
    db.exec(`${series} INSERT INTO lifecycle_stage
      SELECT 'lifecycle', 'p' || i, ${stageName(furthestOf('i'))}, ${iso(atMs('i', furthestOf('i')))}
      FROM n WHERE i % 20 <> 19`);
    db.exec(`${series}, steps(j) AS (VALUES (0), (1), (2), (3), (4))
      INSERT INTO lifecycle_history (funnel_id, profile_id, from_stage, to_stage, at)
      SELECT 'lifecycle', 'p' || i, ${stageName('j - 1')}, ${stageName('j')}, ${iso(atMs('i', 'j'))}
      FROM steps, n WHERE j <= ${furthestOf('i')} ORDER BY j, i`);
    db.exec(`${series} INSERT INTO segment_members
      SELECT 'tenth', 'p' || i, '2026-01-01', 'bench' FROM n WHERE i % 10 = 3`);
  })();
  db.exec('ANALYZE');
  db.close();
}

async function fillPostgres(pool: pg.Pool, schema: string, people: number): Promise<void> {
  const s = (name: string) => `${quoteIdent(schema)}.${quoteIdent(name)}`;
  const iso = (ms: string) =>
    `to_char(to_timestamp((${ms})::float8 / 1000) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
  const series = `FROM generate_series(0, ${people - 1}) AS n(i)`;
  await pool.query(`INSERT INTO ${s('profiles')} (profile_id, created_at, first_seen, last_seen, event_count, traits, "groups", merged_into)
    SELECT 'p' || i, now(), now(), now(), 1, '{}', '{}', CASE WHEN i % 20 = 19 THEN 'p' || (i - 1) END ${series}`);
  await pool.query(`INSERT INTO ${s('lifecycle_stage')}
    SELECT 'lifecycle', 'p' || i, ${stageName(furthestOf('i::bigint'))}, ${iso(atMs('i::bigint', furthestOf('i::bigint')))}
    ${series} WHERE i % 20 <> 19`);
  await pool.query(`INSERT INTO ${s('lifecycle_history')} (funnel_id, profile_id, from_stage, to_stage, at)
    SELECT 'lifecycle', 'p' || i, ${stageName('j - 1')}, ${stageName('j')}, ${iso(atMs('i::bigint', 'j'))}
    ${series}, generate_series(0, 4) AS steps(j) WHERE j <= ${furthestOf('i::bigint')} ORDER BY j, i`);
  await pool.query(`INSERT INTO ${s('segment_members')}
    SELECT 'tenth', 'p' || i, '2026-01-01', 'bench' ${series} WHERE i % 10 = 3`);
  await pool.query(
    `ANALYZE ${s('profiles')}; ANALYZE ${s('lifecycle_stage')}; ANALYZE ${s('lifecycle_history')}; ANALYZE ${s('segment_members')}`,
  );
}

async function time<T>(
  repeat: number,
  work: () => Promise<T>,
): Promise<{ p50: number; max: number; last: T }> {
  const took: number[] = [];
  let last: T | undefined;
  for (let k = 0; k < repeat; k++) {
    const start = performance.now();
    last = await work();
    took.push(performance.now() - start);
  }
  took.sort((a, b) => a - b);
  return { p50: took[Math.floor(took.length / 2)] as number, max: took.at(-1) as number, last: last as T };
}

async function measure(engine: string, store: SegmentStore, repeat: number): Promise<void> {
  const stageIds = STAGES;
  const cohorts: Array<[string, FunnelCohortFilter | null]> = [
    ['everyone', null],
    ['segment:tenth', { kind: 'segment', segmentId: 'tenth' }],
  ];
  for (const [label, cohort] of cohorts) {
    const before = await time(repeat, async () => {
      const members =
        cohort === null
          ? null
          : {
              label,
              profileIds: new Set(
                (await store.listMembers('tenth', { limit: 10_000_000 })).map((m) => m.profileId),
              ),
            };
      return funnelReport(
        FUNNEL,
        await store.allStages('lifecycle'),
        await store.stageHistoryOf('lifecycle'),
        members,
        await store.profileMap(),
      );
    });
    const after = await time(repeat, async () =>
      reportFromTallies(
        FUNNEL,
        await store.funnelTallies('lifecycle', stageIds, cohort),
        cohort ? label : null,
      ),
    );
    const same = isDeepStrictEqual(before.last, after.last);
    console.log(
      `${engine} ${label}: before p50 ${before.p50.toFixed(0)} ms (max ${before.max.toFixed(0)}), ` +
        `SQL p50 ${after.p50.toFixed(0)} ms (max ${after.max.toFixed(0)}); same report: ${same}; ` +
        `profiles ${after.last.profiles}, reached ${after.last.stages.map((s) => s.reached).join('/')}`,
    );
    if (!same) {
      console.log(JSON.stringify(before.last));
      console.log(JSON.stringify(after.last));
      process.exitCode = 1;
    }
  }
}

export async function run(args: string[]): Promise<void> {
  const flag = (name: string, fallback: string) => {
    const at = args.indexOf(`--${name}`);
    return at === -1 ? fallback : (args[at + 1] ?? fallback);
  };
  const people = Number(flag('people', '1000000'));
  const repeat = Number(flag('repeat', '3'));
  const engine = flag('engine', 'both');
  if (engine !== 'postgres') {
    const dir = mkdtempSync(join(tmpdir(), 'rapport-bench-funnel-'));
    const state = new SqliteStateStore(sqlitePathsIn(dir));
    const store = new SqliteSegmentStore(sqlitePathsIn(dir).statePath);
    const start = performance.now();
    fillSqlite(dir, people);
    console.log(`sqlite: filled ${people} people in ${((performance.now() - start) / 1000).toFixed(1)} s`);
    await measure('sqlite', store, repeat);
    await store.close();
    await state.close();
    if (process.env.KEEP) console.log(dir);
    else rmSync(dir, { recursive: true, force: true });
  }
  if (engine !== 'sqlite') {
    const cluster = process.env.RAPPORT_BENCH_DATABASE_URL ? null : await startThrowawayPostgres();
    const url = process.env.RAPPORT_BENCH_DATABASE_URL ?? (cluster?.url as string);
    const schema = `bench_funnel_${randomBytes(4).toString('hex')}`;
    const pool = new pg.Pool({ connectionString: url, max: 4 });
    const state = await PostgresStateStore.open(url, { schema, pool });
    const store = await PostgresSegmentStore.open(url, { schema, pool });
    const start = performance.now();
    await fillPostgres(pool, schema, people);
    console.log(`postgres: filled ${people} people in ${((performance.now() - start) / 1000).toFixed(1)} s`);
    await measure('postgres', store, repeat);
    await pool.query(`DROP SCHEMA ${quoteIdent(schema)} CASCADE`);
    await store.close();
    await state.close();
    await pool.end();
    await cluster?.stop();
  }
}
