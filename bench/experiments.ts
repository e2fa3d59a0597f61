// `npm run bench -- experiments [--people N] [--events M] [--repeat R] [--engine duckdb|postgres|both]`:
// an experiment's results at scale. N people exposed (Experiment Viewed, two arms) and M other
// events (one in ten an Order Completed with a revenue) written straight into the warehouse's
// events table, then timed, R times each, in the same process:
// - ours: sql/metrics.ts's query for a conversion metric and for a revenue sum (merge map,
//   first exposure, people in two arms left out, the CUPED pre-period columns);
// - baseline: hand-written SQL for the same per-arm n, Σ value and Σ value², with none of that.
// Both must give the same n and sums (checked); the ratio ours / baseline is printed.
// PostgreSQL: RAPPORT_BENCH_DATABASE_URL, or the throwaway cluster the tests use.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import type { MetricDefinition } from '../src/experiments/definition.ts';
import { armRows, type Engine, metricQuery } from '../src/experiments/sql/metrics.ts';
import { DuckDbEventStore } from '../src/store/duckdb/events.ts';
import { PostgresEventStore } from '../src/store/postgres/events.ts';
import { quoteIdent } from '../src/store/postgres/sql.ts';
import { startThrowawayPostgres } from '../test/support/postgres.ts';

const WINDOW_HOURS = 24 * 14;
const METRICS: MetricDefinition[] = [
  { name: 'purchases', kind: 'conversion', event: 'Order Completed', windowHours: WINDOW_HOURS },
  { name: 'revenue', kind: 'sum', event: 'Order Completed', property: 'revenue', windowHours: WINDOW_HOURS },
];

interface Reader {
  query(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
}

function option(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? (args[i + 1] as string) : fallback;
}

/** The same aggregates, written by hand for this one experiment and these events. */
function baselineSql(engine: Engine, metric: MetricDefinition): string {
  const duck = engine === 'duckdb';
  const prop = (key: string) =>
    duck ? `json_extract_string(properties, '$.${key}')` : `properties->>'${key}'`;
  const ms = duck ? 'epoch_ms(timestamp)' : '(extract(epoch FROM timestamp) * 1000)';
  const value =
    metric.kind === 'sum'
      ? `COALESCE(sum(CAST(${prop('revenue').replace('properties', 'e.properties')} AS DOUBLE PRECISION)), 0)`
      : 'CASE WHEN count(e.seq) > 0 THEN 1 ELSE 0 END';
  const windowMs = WINDOW_HOURS * 3_600_000;
  return `WITH x AS (
    SELECT profile_id, min(${prop('variation_id')}) AS arm, min(${ms}) AS t
    FROM events WHERE name = 'Experiment Viewed' AND ${prop('experiment_id')} = 'bench' GROUP BY profile_id
  ), v AS (
    SELECT x.profile_id, x.arm, ${value} AS value
    FROM x LEFT JOIN events e ON e.profile_id = x.profile_id AND e.name = 'Order Completed'
      AND ${ms.replace('timestamp', 'e.timestamp')} >= x.t AND ${ms.replace('timestamp', 'e.timestamp')} < x.t + ${windowMs}
    GROUP BY x.profile_id, x.arm
  ) SELECT arm, count(*) AS n, sum(value) AS sum, sum(value * value) AS sum_squares FROM v GROUP BY arm ORDER BY arm`;
}

function fillSql(engine: Engine, table: string, people: number, events: number): string[] {
  const duck = engine === 'duckdb';
  const series = (n: number) =>
    duck ? `range(${n}) AS t(i)` : `generate_series(0::bigint, ${n - 1}) AS t(i)`;
  const at = (seconds: string) =>
    duck
      ? `TIMESTAMP '2026-01-01' + to_seconds(${seconds})`
      : `timestamptz '2026-01-01 00:00:00+00' + make_interval(secs => ${seconds})`;
  const json = (pairs: string) => (duck ? `json_object(${pairs})` : `jsonb_build_object(${pairs})`);
  const message = duck ? `'{}'::JSON` : `'{}'::jsonb`;
  // Exposures over the first 10 days; a person's arm from a multiplicative hash of their index.
  const exposures = `INSERT INTO ${table} (seq, message_id, profile_id, type, name, timestamp, received_at, properties, message)
    SELECT i, 'x' || i, 'p' || i, 'track', 'Experiment Viewed', ${at(`(i % 864000)`)}, ${at('0')},
      ${json(`'experiment_id', 'bench', 'variation_id', CASE WHEN (i * 2654435761) % 100 < 50 THEN 'control' ELSE 'variant' END`)}, ${message}
    FROM ${series(people)}`;
  // Other events over 30 days, spread over the people; one in ten an order.
  const others = `INSERT INTO ${table} (seq, message_id, profile_id, type, name, timestamp, received_at, properties, message)
    SELECT ${people} + i, 'e' || i, 'p' || ((i * 7919) % ${people}), 'track',
      CASE WHEN i % 10 = 0 THEN 'Order Completed' ELSE 'Product Viewed' END, ${at(`(i % 2592000)`)}, ${at('0')},
      ${json(`'revenue', (i % 97) + 1`)}, ${message}
    FROM ${series(events)}`;
  return [exposures, others];
}

async function time(run: () => Promise<unknown>, repeat: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)] as number;
}

async function measure(engine: Engine, reader: Reader, repeat: number): Promise<void> {
  for (const metric of METRICS) {
    const ours = metricQuery({
      engine,
      exposure: { kind: 'experiment', experimentId: 'bench' },
      metric,
      profileMap: new Map(),
    });
    const baseline = baselineSql(engine, metric);
    const a = armRows(await reader.query(ours.text, ours.params));
    const b = armRows(await reader.query(baseline));
    const same =
      a.length === b.length &&
      a.every(
        (row, i) => row.n === b[i]?.n && Math.abs(row.sum - (b[i]?.sum ?? 0)) < 1e-6 * Math.max(1, row.sum),
      );
    if (!same) throw new Error(`${engine} ${metric.name}: results differ ${JSON.stringify({ a, b })}`);
    const baseMs = await time(() => reader.query(baseline), repeat);
    const oursMs = await time(() => reader.query(ours.text, ours.params), repeat);
    console.log(
      `${engine} ${metric.name}: ours ${oursMs.toFixed(0)} ms, hand-written ${baseMs.toFixed(0)} ms, ratio ${(oursMs / baseMs).toFixed(2)} (n = ${a.map((r) => r.n).join(' / ')})`,
    );
  }
}

export async function run(args: string[]): Promise<void> {
  const people = Number(option(args, 'people', '100000'));
  const events = Number(option(args, 'events', '1000000'));
  const repeat = Number(option(args, 'repeat', '3'));
  const engine = option(args, 'engine', 'both');
  console.log(`experiments: ${people} exposed people, ${events} other events, median of ${repeat}`);
  if (engine !== 'postgres') {
    const dir = mkdtempSync(join(tmpdir(), 'rapport-bench-experiments-'));
    const path = join(dir, 'events.duckdb');
    (await DuckDbEventStore.open(path)).close();
    const instance = await DuckDBInstance.create(path);
    const connection = await instance.connect();
    const start = performance.now();
    for (const sql of fillSql('duckdb', 'events', people, events)) await connection.run(sql);
    console.log(`duckdb: filled in ${((performance.now() - start) / 1000).toFixed(1)} s`);
    connection.closeSync();
    instance.closeSync();
    const store = await DuckDbEventStore.open(path);
    await measure('duckdb', store, repeat);
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  if (engine !== 'duckdb') {
    const cluster = process.env.RAPPORT_BENCH_DATABASE_URL ? null : await startThrowawayPostgres();
    const url = process.env.RAPPORT_BENCH_DATABASE_URL ?? (cluster?.url as string);
    const schema = `bench_experiments_${randomBytes(4).toString('hex')}`;
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    const store = await PostgresEventStore.open(url, { schema, pool });
    const start = performance.now();
    for (const sql of fillSql('postgres', `${quoteIdent(schema)}.events`, people, events))
      await pool.query(sql);
    await pool.query(`ANALYZE ${quoteIdent(schema)}.events`);
    console.log(`postgres: filled in ${((performance.now() - start) / 1000).toFixed(1)} s`);
    await measure('postgres', store, repeat);
    await pool.query(`DROP SCHEMA ${quoteIdent(schema)} CASCADE`);
    await store.close();
    await pool.end();
    await cluster?.stop();
  }
}
