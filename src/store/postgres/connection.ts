import pg from 'pg';
import { hasCitus, placeTablesForCitus } from './citus.ts';
import { noteCommitTrouble, watchCommitWarnings } from './distributed-commit.ts';
import {
  ADVISORY_XACT_LOCK_SQL,
  advisoryLockParams,
  DEFAULT_SCHEMA,
  type PostgresTables,
  quoteIdent,
  tablesIn,
} from './sql.ts';

export interface PostgresOpenOptions {
  /** All tables live in this schema, created when missing (default `rapport`). */
  schema?: string;
  /** A pool to use instead of one opened from the url; the caller keeps ownership of it. */
  pool?: pg.Pool;
}

export interface PostgresConnection {
  pool: pg.Pool;
  schema: string;
  tables: PostgresTables;
  /** Ends the pool if we opened it; a pool handed in belongs to the caller. */
  close(): Promise<void>;
}

export function connectPostgres(url: string, options: PostgresOpenOptions = {}): PostgresConnection {
  const schema = options.schema ?? DEFAULT_SCHEMA;
  const given = options.pool;
  const pool = given ?? new pg.Pool({ connectionString: url, max: 10 });
  // An idle client whose connection drops emits 'error' on the pool, and an unhandled 'error'
  // event kills the process. The pool already discards that client; the next query reconnects.
  if (!given) pool.on('error', () => {});
  watchCommitWarnings(pool);
  return {
    pool,
    schema,
    tables: tablesIn(schema),
    close: async () => {
      if (!given) await pool.end();
    },
  };
}

/**
 * Runs a new store's migrations and hands it back; when they fail, closes it first so its
 * pool is not left open behind the error.
 */
export async function migratedOrClosed<T extends { close(): Promise<void> }>(
  store: T,
  migrate: (store: T) => Promise<void>,
): Promise<T> {
  try {
    await migrate(store);
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}

/** Runs `work` on one client between BEGIN and COMMIT; ROLLBACK and rethrow on any error. */
export async function inTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    broken = await rollbackQuietly(client);
    throw error;
  } finally {
    client.release(broken);
  }
}

/**
 * ROLLBACK after a failure. When even that fails the connection is unusable; the error it
 * returns is handed to release() so the pool destroys the client instead of reusing it.
 */
export async function rollbackQuietly(client: pg.PoolClient): Promise<Error | undefined> {
  // A failed transaction may have failed at COMMIT, part-way through a distributed commit.
  noteCommitTrouble();
  try {
    await client.query('ROLLBACK');
    return undefined;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

export interface MigrationSet {
  /** Which migration list this is; state and events may share one schema and one ledger. */
  component: 'state' | 'events' | (string & {});
  migrations: readonly string[];
}

/**
 * Applies the missing numbered migrations in one transaction. The advisory lock makes a second
 * process starting at the same moment wait and then find nothing left to do, instead of racing
 * on CREATE SCHEMA / CREATE TABLE.
 */
export async function migratePostgres(pool: pg.Pool, schema: string, set: MigrationSet): Promise<void> {
  await inTransaction(pool, async (client) => {
    await client.query(ADVISORY_XACT_LOCK_SQL, advisoryLockParams(`${schema}:migrate`));
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
    // Migrations are plain SQL with unqualified names; LOCAL ends with this transaction.
    await client.query(`SET LOCAL search_path TO ${quoteIdent(schema)}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         component text NOT NULL,
         version integer NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now(),
         PRIMARY KEY (component, version)
       )`,
    );
    const { rows } = await client.query<{ version: number }>(
      'SELECT coalesce(max(version), 0)::int AS version FROM schema_migrations WHERE component = $1',
      [set.component],
    );
    const current = rows[0]?.version ?? 0;
    for (const [index, sql] of set.migrations.entries()) {
      const version = index + 1;
      if (version <= current) continue;
      await client.query(sql);
      await client.query('INSERT INTO schema_migrations (component, version) VALUES ($1, $2)', [
        set.component,
        version,
      ]);
    }
    if (await hasCitus(client)) await placeTablesForCitus(client, schema);
  });
}
