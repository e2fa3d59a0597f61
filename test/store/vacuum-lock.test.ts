// An erasure's VACUUM FULL (src/store/postgres/privacy.ts vacuumSchema) queued for its lock
// makes every later reader of the table queue behind it. A processor that holds the table in a
// transaction while it waits, in Node, for another query of its own on that table then waits
// forever, and the VACUUM with it: PostgreSQL cannot see the cycle. The CI run of 2026-12-07
// hung that way in test/profiles/erasure.test.ts. This test builds the cycle by hand.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { vacuumSchema } from '../../src/store/postgres/privacy.ts';

const url = inject('postgresUrl');
const citus = inject('citus');

describe.skipIf(!url || citus)('VACUUM FULL during an erasure on PostgreSQL', () => {
  let pool: pg.Pool;
  const schema = `vacuum_lock_${process.pid}`;
  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: url, max: 4 });
    await pool.query(`CREATE SCHEMA ${schema}`);
    await pool.query(`CREATE TABLE ${schema}.offsets (processor text PRIMARY KEY, seq bigint)`);
    await pool.query(`INSERT INTO ${schema}.offsets VALUES ('profiles', 1)`);
  });
  afterAll(async () => {
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pool.end();
  });

  it('steps back from its lock so a transaction waiting on a query queued behind it can finish', async () => {
    const holder = await pool.connect();
    const other = await pool.connect();
    try {
      // The processor: reads the table in a transaction, then (later) needs a second query on it.
      await holder.query('BEGIN');
      await holder.query(`SELECT seq FROM ${schema}.offsets WHERE processor = 'profiles'`);
      const vacuum = vacuumSchema(pool, schema, [], { lockTimeoutMs: 200, attempts: 200, backoffMs: 50 });
      // Let the VACUUM queue for its lock before the second query arrives behind it.
      await waitUntil(async () => (await lockWaiters(pool, 'VACUUM')) > 0);
      const second = other.query(`SELECT seq FROM ${schema}.offsets WHERE processor = 'profiles'`);
      // Only when its second query has answered does the processor commit: that is the cycle.
      const { rows } = await second;
      expect(rows).toEqual([{ seq: '1' }]);
      await holder.query('COMMIT');
      await vacuum;
      const { rows: after } = await pool.query(`SELECT seq FROM ${schema}.offsets`);
      expect(after).toEqual([{ seq: '1' }]);
    } finally {
      holder.release();
      other.release();
    }
  }, 60_000);
});

async function lockWaiters(pool: pg.Pool, queryStart: string): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE wait_event_type = 'Lock' AND query LIKE $1 AND datname = current_database()`,
    [`${queryStart}%`],
  );
  return rows[0]?.n ?? 0;
}

async function waitUntil(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 20));
}
