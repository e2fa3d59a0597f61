// `npm run bench -- recommend [--orders N] [--products P] [--support S]`: association rules over
// many orders against the counting query alone, in the same process and on the same data.
// N synthetic `Order Completed` events (1-4 products each from P, skewed toward popular ones,
// with planted pairs: an even product among the first 100 brings the next one in half its
// orders) are written into an in-memory DuckDB event store. Then:
// - baseline: the pair-counting query alone (self-join of the order lines, GROUP BY pair,
//   HAVING count ≥ the minimum), which is what a SQL-only "bought together" gives;
// - rules: what GET /api/recommendations/rules does: read the orders (SQL + JSON parse),
//   build baskets, mine every frequent itemset (up to 10 items) and its rules.
// The pair counts of both must agree (checked). Also: one person's next best products, timed
// per call over every customer (p50, p99), the pure lookup the refresh runs per person.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import {
  basketsOf,
  mineRules,
  minimumCount,
  nextBest,
  pairRulesByItem,
  readOrders,
} from '../src/recommendations/index.ts';
import { DuckDbEventStore } from '../src/store/duckdb/events.ts';

function option(args: string[], name: string, fallback: number): number {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? Number(args[index + 1]) : fallback;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

async function timed<T>(work: () => Promise<T> | T): Promise<[T, number]> {
  const start = performance.now();
  const result = await work();
  return [result, performance.now() - start];
}

export async function run(args: string[]): Promise<void> {
  const orders = option(args, 'orders', 200_000);
  const products = option(args, 'products', 2_000);
  const minSupport = option(args, 'support', 0.0005);
  const customers = Math.max(1, Math.floor(orders / 3));
  // The store makes its tables; a plain connection fills them (the store reads read-only);
  // the store then reads them as the API does.
  const dir = mkdtempSync(join(tmpdir(), 'rapport-bench-recommend-'));
  const path = join(dir, 'events.duckdb');
  await (await DuckDbEventStore.open(path)).close();
  const [, fillMs] = await timed(async () => {
    const instance = await DuckDBInstance.create(path);
    const db = await instance.connect();
    await db.run(`CREATE TABLE lines AS
      WITH base AS (
        SELECT o, k, (hash(o, k) % 1000000) / 1000000.0 AS u
        FROM range(${orders}) t(o), range(4) s(k) WHERE k <= hash(o) % 4
      ), items AS (SELECT o, CAST(floor(${products} * u * u) AS BIGINT) AS p FROM base),
      planted AS (SELECT o, p + 1 AS p FROM items WHERE p % 2 = 0 AND p < 100 AND hash(o, p) % 2 = 0)
      SELECT DISTINCT o AS order_id, 'p' || p AS product_id FROM (SELECT * FROM items UNION ALL SELECT * FROM planted)`);
    await db.run(`INSERT INTO events
      SELECT order_id + 1, 'm' || order_id, 'c' || (order_id % ${customers}), 'track', 'Order Completed',
             'c' || (order_id % ${customers}), NULL, TIMESTAMP '2026-01-01' + to_days(CAST(order_id % 300 AS INTEGER)),
             TIMESTAMP '2026-01-01',
             json_object('order_id', 'o' || order_id, 'products', json_group_array(json_object('product_id', product_id))),
             '{}'
      FROM lines GROUP BY order_id`);
    db.closeSync();
    instance.closeSync();
  });
  const store = await DuckDbEventStore.open(path, { memoryLimit: '2GB' });
  const [[{ n: lineCount }]] = [await store.query('SELECT count(*) AS n FROM lines')] as [[{ n: number }]];
  const minCount = minimumCount(minSupport, orders);
  console.log(
    `${orders.toLocaleString('en')} orders, ${Number(lineCount).toLocaleString('en')} order lines, ${products.toLocaleString('en')} products; minimum support ${minSupport} (${minCount} orders); filled in ${(fillMs / 1000).toFixed(1)} s`,
  );

  const [pairs, baselineMs] = await timed(() =>
    store.query(
      `SELECT a.product_id AS x, b.product_id AS y, count(*) AS n FROM lines a JOIN lines b
       ON a.order_id = b.order_id AND a.product_id < b.product_id GROUP BY 1, 2 HAVING count(*) >= ${minCount}`,
    ),
  );
  const [read, readMs] = await timed(() => readOrders(store));
  const [lists, basketMs] = await timed(() =>
    [...basketsOf(read.orders, 'order').baskets.values()].map((items) => [...items]),
  );
  const [result, mineMs] = await timed(() =>
    mineRules(lists, { minSupport, minConfidence: 0, minLength: 2 }),
  );
  // The same pair counts both ways.
  const mined = new Map<string, number>();
  for (const rule of result.rules) {
    if (rule.lhs.length === 1) mined.set([rule.lhs[0], rule.rhs[0]].sort().join('|'), rule.count);
  }
  const mismatches = pairs.filter((row) => mined.get(`${row.x}|${row.y}`) !== Number(row.n)).length;
  if (mismatches > 0 || mined.size !== pairs.length) {
    throw new Error(`pair counts differ: ${mismatches} of ${pairs.length} (mined ${mined.size})`);
  }
  const rulesMs = readMs + basketMs + mineMs;
  console.log(
    `baseline, the pair-counting query alone: ${baselineMs.toFixed(0)} ms, ${pairs.length} frequent pairs`,
  );
  console.log(
    `rules (read ${readMs.toFixed(0)} ms + baskets ${basketMs.toFixed(0)} ms + mine ${mineMs.toFixed(0)} ms): ${rulesMs.toFixed(0)} ms, ${result.count} rules (${mined.size} pairs agree with the baseline)`,
  );
  console.log(`ratio rules / counting query: ${(rulesMs / baselineMs).toFixed(2)}`);

  const { owned } = basketsOf(read.orders, 'person');
  const byItem = pairRulesByItem(result.rules, 3.84);
  const times: number[] = [];
  for (const items of owned.values()) {
    const start = process.hrtime.bigint();
    nextBest(items, byItem, { limit: 3 });
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  console.log(
    `next best products for one person (${times.length.toLocaleString('en')} customers): p50 ${percentile(times, 0.5).toFixed(3)} ms, p99 ${percentile(times, 0.99).toFixed(3)} ms, max ${times.at(-1)!.toFixed(3)} ms`,
  );
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
