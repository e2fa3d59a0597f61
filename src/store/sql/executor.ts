// The small executor a store's shared SQL runs on: three calls, asynchronous on both engines.
// better-sqlite3 answers synchronously, so on SQLite each call is a resolved promise around the
// same synchronous statement (prepared once per SQL text by the connection). Asynchronous
// everywhere keeps one code path per store; the few hot paths that must not yield between
// statements (the ingest log's group commit, the profiles processor's writes) stay synchronous
// in the SQLite folder, as engine code that truly differs.
import type pg from 'pg';
import type { PgQueryable } from '../postgres/sql.ts';
import type { SqliteDatabase } from '../sqlite/connection.ts';
import { sqliteDialect } from './dialect.ts';
import { compile, type Sql, type StoreDialect } from './query.ts';

export interface SqlExecutor {
  readonly dialect: StoreDialect;
  all<T>(query: Sql): Promise<T[]>;
  get<T>(query: Sql): Promise<T | undefined>;
  /** Runs a statement that returns no rows; resolves to the number of rows it changed. */
  run(query: Sql): Promise<number>;
}

export function sqliteExecutor(db: SqliteDatabase): SqlExecutor {
  const dialect = sqliteDialect;
  const statement = (query: Sql) => {
    const { text, values } = compile(query, dialect);
    return { prepared: db.prepare(text), values };
  };
  return {
    dialect,
    all: async <T>(query: Sql) => {
      const { prepared, values } = statement(query);
      return prepared.all(...values) as T[];
    },
    get: async <T>(query: Sql) => {
      const { prepared, values } = statement(query);
      return prepared.get(...values) as T | undefined;
    },
    run: async (query) => {
      const { prepared, values } = statement(query);
      return prepared.run(...values).changes;
    },
  };
}

export function postgresExecutor(db: PgQueryable, dialect: StoreDialect): SqlExecutor {
  const query = <T extends pg.QueryResultRow>(q: Sql) => {
    const { text, values } = compile(q, dialect);
    return db.query<T>(text, values);
  };
  return {
    dialect,
    all: async <T>(q: Sql) => (await query(q)).rows as T[],
    get: async <T>(q: Sql) => (await query(q)).rows[0] as T | undefined,
    run: async (q) => (await query(q)).rowCount ?? 0,
  };
}

/**
 * Runs one statement on SQLite now, synchronously: for the paths that write inside a
 * synchronous better-sqlite3 transaction (the profiles processor, the segments commit).
 */
export function runSqliteNow(db: SqliteDatabase, query: Sql): number {
  const { text, values } = compile(query, sqliteDialect);
  return db.prepare(text).run(...values).changes;
}
