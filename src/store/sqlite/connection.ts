import Database from 'better-sqlite3';
import pRetry from 'p-retry';

export type SqliteDatabase = Database.Database;

export interface SqliteOpenOptions {
  /** FULL for the ingest log: a 200 promises the entry survives power loss, not only a crash. */
  synchronous: 'FULL' | 'NORMAL';
  readonly?: boolean;
  /**
   * INCREMENTAL for the ingest log, so compaction can give freed pages back to the file
   * system. SQLite only applies it to a file that has no table yet, and only before WAL mode
   * writes the first page; an older file keeps its mode until a VACUUM (`rapport log vacuum`).
   */
  autoVacuum?: 'INCREMENTAL';
}

/** Distinct SQL texts kept prepared per connection (IN lists of varying length make many). */
const PREPARED_STATEMENTS_KEPT = 512;

/**
 * Makes `db.prepare` return the statement already prepared for the same SQL text. Preparing
 * costs 10-50 µs, more than the keyed lookups on the hot paths it prepares for (profiling
 * /v1/decide under load found 5% of the main thread in prepare). Safe because no code here
 * changes a statement's mode (pluck, raw, expand) or iterates one, so a statement holds no
 * state between calls; SQLite re-prepares a cached statement itself after a schema change.
 */
function keepPreparedStatements(db: SqliteDatabase): void {
  const prepared = new Map<string, Database.Statement>();
  const prepare = db.prepare.bind(db);
  db.prepare = ((sql: string) => {
    const known = prepared.get(sql);
    if (known) return known;
    const statement = prepare(sql);
    if (prepared.size >= PREPARED_STATEMENTS_KEPT) {
      const oldest = prepared.keys().next().value;
      if (oldest !== undefined) prepared.delete(oldest);
    }
    prepared.set(sql, statement);
    return statement;
  }) as SqliteDatabase['prepare'];
}

export function openSqlite(path: string, options: SqliteOpenOptions): SqliteDatabase {
  const db = new Database(path, { readonly: options.readonly ?? false });
  keepPreparedStatements(db);
  if (!options.readonly && options.autoVacuum) db.pragma(`auto_vacuum = ${options.autoVacuum}`);
  if (!options.readonly) db.pragma('journal_mode = WAL');
  // Every connection, not only erasure's: a row updated or deleted by any of them (a segment
  // state, a trait, a compacted log entry) leaves its old bytes in the page's free space
  // unless the connection zeroes them; erasure promises no byte of a person stays in the file.
  db.pragma('secure_delete = ON');
  db.pragma(`synchronous = ${options.synchronous}`);
  // Processors and the API read while another thread writes; wait rather than fail.
  db.pragma('busy_timeout = 5000');
  db.pragma('cache_size = -65536');
  return db;
}

/**
 * Applies the numbered migrations not yet recorded in `ledger`. Each capability with tables of
 * its own (segments, conductor, channels) keeps its own ledger, so their numbering never
 * collides with the state store's.
 */
export function migrateSqlite(db: SqliteDatabase, migrations: string[], ledger = 'schema_migrations'): void {
  db.exec(`CREATE TABLE IF NOT EXISTS ${ledger} (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`);
  const row = db.prepare(`SELECT max(version) AS v FROM ${ledger}`).get() as { v: number | null };
  const current = row.v ?? 0;
  const apply = db.transaction((version: number, sql: string) => {
    db.exec(sql);
    db.prepare(`INSERT INTO ${ledger} (version, applied_at) VALUES (?, ?)`).run(
      version,
      new Date().toISOString(),
    );
  });
  migrations.forEach((sql, index) => {
    const version = index + 1;
    if (version > current) apply.immediate(version, sql);
  });
}

/** SQLite caps bound parameters; chunk IN lists well under the limit. */
export function chunk<T>(items: T[], size = 500): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

/** How long a write waits for another connection's write lock, without blocking its thread. */
export const WRITE_LOCK_WAIT_MS = 30_000;

/**
 * BEGIN IMMEDIATE without blocking the thread: retried with backoff (1 ms doubling to 50 ms,
 * p-retry) while another connection holds the write lock, up to WRITE_LOCK_WAIT_MS. Only
 * SQLITE_BUSY is retried; in WAL mode nothing after BEGIN IMMEDIATE can be busy.
 */
async function beginWrite(db: SqliteDatabase): Promise<void> {
  await pRetry(() => db.exec('BEGIN IMMEDIATE'), {
    retries: Number.POSITIVE_INFINITY,
    minTimeout: 1,
    maxTimeout: 50,
    factor: 2,
    maxRetryTime: WRITE_LOCK_WAIT_MS,
    shouldRetry: ({ error }) => (error as { code?: string }).code === 'SQLITE_BUSY',
  });
}

/**
 * Writes for a connection used on the HTTP thread. SQLite's busy handler waits for another
 * connection's write lock by sleeping the calling thread: every request stalls meanwhile, and
 * when the lock is held by another connection of the same thread (the conductor's, inside a
 * transaction that awaits), the wait cannot end and fails after busy_timeout. So the busy
 * handler is off and each write is its own transaction, begun asynchronously (beginWrite),
 * one after another on this connection.
 */
export interface AsyncWriter {
  /** Runs `work` between BEGIN IMMEDIATE and COMMIT, after any write already queued. */
  <T>(work: () => Promise<T> | T): Promise<T>;
  /** Resolves once the writes queued so far have ended (before closing the connection). */
  idle(): Promise<void>;
}

export function asyncWriter(db: SqliteDatabase): AsyncWriter {
  db.pragma('busy_timeout = 0');
  let queue: Promise<unknown> = Promise.resolve();
  const write = <T>(work: () => Promise<T> | T): Promise<T> => {
    const run = queue.then(async () => {
      await beginWrite(db);
      try {
        const result = await work();
        db.exec('COMMIT');
        return result;
      } catch (error) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw error;
      }
    });
    queue = run.catch(() => {});
    return run;
  };
  return Object.assign(write, { idle: async () => void (await queue) });
}
