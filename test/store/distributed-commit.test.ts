// The settle before a processor step (src/store/postgres/distributed-commit.ts) on one
// PostgreSQL: a failed transaction counts as trouble, and the settle there has nothing to
// finish and clears it. The Citus half (a prepared transaction finished before a processor
// reads past it) is in test/store/citus.test.ts.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { rollbackQuietly } from '../../src/store/postgres/connection.ts';
import {
  hasUnsettledTrouble,
  noteCommitTrouble,
  settleInterruptedCommits,
} from '../../src/store/postgres/distributed-commit.ts';

const url = inject('postgresUrl');
const citus = inject('citus');

describe.skipIf(!url || citus)('Interrupted commits on one PostgreSQL', () => {
  let pool: pg.Pool;
  beforeAll(() => {
    pool = new pg.Pool({ connectionString: url, max: 2 });
  });
  afterAll(async () => {
    await pool.end();
  });

  it('counts a rolled-back transaction as trouble, and settles it without Citus', async () => {
    const client = await pool.connect();
    try {
      await settleInterruptedCommits(pool, client);
      expect(hasUnsettledTrouble()).toBe(false);
      await client.query('BEGIN');
      await expect(client.query('SELECT 1/0')).rejects.toThrow(/division by zero/);
      await rollbackQuietly(client);
      expect(hasUnsettledTrouble()).toBe(true);
      await settleInterruptedCommits(pool, client);
      expect(hasUnsettledTrouble()).toBe(false);
      noteCommitTrouble();
      expect(hasUnsettledTrouble()).toBe(true);
      await settleInterruptedCommits(pool, client);
      expect(hasUnsettledTrouble()).toBe(false);
    } finally {
      client.release();
    }
  });
});
