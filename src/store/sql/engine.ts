// The engine a simple store is built on: a dialect, an executor for reads, and how writes are
// made. Stores whose engines differ in more (the conductor's and the segment store's locks and
// commits) extend it with what they need.
import type { SqlExecutor } from './executor.ts';
import type { StoreDialect } from './query.ts';

export interface StoreEngine {
  readonly engine: 'sqlite' | 'postgres';
  readonly dialect: StoreDialect;
  /** Reads outside any transaction. */
  readonly reads: SqlExecutor;
  /**
   * Writes: on SQLite one transaction queued on the connection's writer, which never sleeps on
   * the file's lock (the HTTP thread writes here); on PostgreSQL each statement commits alone.
   */
  writes<T>(work: (x: SqlExecutor) => Promise<T>): Promise<T>;
  /** Several statements in one transaction. */
  transaction<T>(work: (x: SqlExecutor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
