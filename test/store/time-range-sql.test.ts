// The warehouse's time-range filter (src/store/time-range-sql.ts) selects exactly the rows
// `extract(epoch FROM column)` selects, boundaries included, on DuckDB and PostgreSQL, and
// keeps the column visible to the engine: DuckDB's plan compares the column with a constant
// in the scan (its row groups' min/max can then skip), where the epoch form filters on an
// expression of every row.
import { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { timeFromSql, timeRangeSql } from '../../src/store/index.ts';
import { createTestDatabase } from '../support/postgres-database.ts';

const clusterUrl = inject('postgresUrl');
const BASE_SEC = 1_700_000_000;
/** Range bounds: whole seconds, milliseconds, and instants equal to a stored timestamp. */
const RANGES: Array<[number, number]> = [
  [BASE_SEC, BASE_SEC + 3600],
  [BASE_SEC + 59.999, BASE_SEC + 60.001],
  [BASE_SEC + 120, BASE_SEC + 120],
  [BASE_SEC + 7.5, BASE_SEC + 86_400 * 3 + 0.25],
  [BASE_SEC - 10, BASE_SEC + 1],
];
/** Event times (seconds since the epoch, millisecond precision), boundaries of RANGES among them. */
const TIMES = [
  ...Array.from({ length: 500 }, (_, i) => BASE_SEC + i * 997.123),
  BASE_SEC,
  BASE_SEC + 60,
  BASE_SEC + 59.999,
  BASE_SEC + 60.001,
  BASE_SEC + 120,
  BASE_SEC + 3600,
  BASE_SEC + 7.5,
  BASE_SEC + 86_400 * 3 + 0.25,
  BASE_SEC + 86_400 * 3 + 0.249,
];
const iso = (seconds: number) => new Date(Math.round(seconds * 1000)).toISOString();

describe('timeRangeSql on DuckDB', () => {
  let run: (sql: string, params: number[]) => Promise<Record<string, unknown>[]>;
  beforeAll(async () => {
    const connection = await (await DuckDBInstance.create(':memory:')).connect();
    await connection.run('CREATE TABLE events (timestamp TIMESTAMP, seq BIGINT)');
    const values = TIMES.map((t, i) => `(CAST('${iso(t)}' AS TIMESTAMP), ${i})`).join(', ');
    await connection.run(`INSERT INTO events VALUES ${values}`);
    run = async (sql, params) => (await connection.runAndReadAll(sql, params)).getRowObjects();
  });

  it('counts what the epoch comparison counts, both bounds', async () => {
    for (const [start, end] of RANGES) {
      const ours = await run(
        `SELECT count(*) AS n FROM events WHERE ${timeRangeSql('duckdb', 'timestamp', '$1', '$2')}`,
        [start, end],
      );
      const epoch = await run(
        'SELECT count(*) AS n FROM events WHERE extract(epoch FROM timestamp) >= $1 AND extract(epoch FROM timestamp) < $2',
        [start, end],
      );
      expect(Number(ours[0]?.n), `[${start}, ${end})`).toBe(Number(epoch[0]?.n));
      const from = await run(
        `SELECT count(*) AS n FROM events WHERE ${timeFromSql('duckdb', 'timestamp', '$1')}`,
        [start],
      );
      const epochFrom = await run(
        'SELECT count(*) AS n FROM events WHERE extract(epoch FROM timestamp) >= $1',
        [start],
      );
      expect(Number(from[0]?.n), `from ${start}`).toBe(Number(epochFrom[0]?.n));
    }
    const planted = await run(
      `SELECT count(*) AS n FROM events WHERE ${timeRangeSql('duckdb', 'timestamp', '$1', '$2')}`,
      [BASE_SEC + 60, BASE_SEC + 60.001],
    );
    expect(Number(planted[0]?.n)).toBe(1);
  });

  it('leaves the column itself in the scan filter', async () => {
    const plan = await run(
      `EXPLAIN SELECT count(*) FROM events WHERE ${timeRangeSql('duckdb', 'timestamp', '$1', '$2')}`,
      [BASE_SEC, BASE_SEC + 3600],
    );
    const text = plan
      .map((row) => String(row.explain_value))
      .join('\n')
      .replace(/[│\s]+/g, '');
    expect(text).toContain("timestamp>='2023-11-14");
    expect(text).not.toContain('epoch(timestamp)');
  });
});

describe.skipIf(!clusterUrl)('timeRangeSql on PostgreSQL', () => {
  let client: pg.Client;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const database = await createTestDatabase(clusterUrl);
    drop = database.drop;
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
    await client.query('CREATE TABLE events (timestamp timestamptz, seq bigint)');
    await client.query(
      'INSERT INTO events SELECT t::timestamptz, i FROM unnest($1::text[]) WITH ORDINALITY AS x(t, i)',
      [TIMES.map(iso)],
    );
  });
  afterAll(async () => {
    await client?.end();
    await drop?.();
  });

  it('counts what the epoch comparison counts, both bounds', async () => {
    for (const [start, end] of RANGES) {
      const ours = await client.query(
        `SELECT count(*) AS n FROM events WHERE ${timeRangeSql('postgres', 'timestamp', '$1', '$2')}`,
        [start, end],
      );
      const epoch = await client.query(
        'SELECT count(*) AS n FROM events WHERE extract(epoch FROM timestamp) >= $1 AND extract(epoch FROM timestamp) < $2',
        [start, end],
      );
      expect(Number(ours.rows[0].n), `[${start}, ${end})`).toBe(Number(epoch.rows[0].n));
    }
  });
});
