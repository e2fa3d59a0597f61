// A processor's step on PostgreSQL, written once for every processor that keeps its offset in
// processor_offsets (profiles, segments, journeys): the offset row is held with FOR UPDATE
// SKIP LOCKED for the whole step, so several processes share the work one step at a time and
// a peer skips rather than waits; interrupted distributed commits are settled before the step
// reads (distributed-commit.ts), and the step commits with its offset or not at all.
import type pg from 'pg';
import { rollbackQuietly } from './connection.ts';
import { settleInterruptedCommits } from './distributed-commit.ts';
import { ensureOffsetRowSql } from './sql.ts';

/** Runs `work` with the processor's offset held; undefined when another process holds it. */
export async function withProcessorOffset<T>(
  pool: pg.Pool,
  offsetsTable: string,
  processor: string,
  work: (client: pg.PoolClient, offset: number) => Promise<T>,
): Promise<T | undefined> {
  // Committed on its own first, so SKIP LOCKED always has a row to lock or skip; a row
  // inserted inside the transaction would be invisible to (and not skipped by) peers.
  await pool.query(ensureOffsetRowSql(offsetsTable), [processor]);
  return settledTransaction(pool, async (client) => {
    const { rows } = await client.query<{ seq: string }>(
      `SELECT seq FROM ${offsetsTable} WHERE processor = $1 FOR UPDATE SKIP LOCKED`,
      [processor],
    );
    const locked = rows[0];
    if (!locked) return SKIP;
    return work(client, Number(locked.seq));
  });
}

const SKIP: unique symbol = Symbol('skip');

/**
 * A step's transaction (timers, schedules, a processor's step): interrupted distributed
 * commits settled first. `work` may answer SKIP to roll back and resolve to undefined.
 */
export async function settledTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T | typeof SKIP>,
): Promise<T | undefined> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await settleInterruptedCommits(pool, client);
    await client.query('BEGIN');
    const outcome = await work(client);
    if (outcome === SKIP) {
      await client.query('ROLLBACK');
      return undefined;
    }
    await client.query('COMMIT');
    return outcome;
  } catch (error) {
    broken = await rollbackQuietly(client);
    throw error;
  } finally {
    client.release(broken);
  }
}
