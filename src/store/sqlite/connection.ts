import Database from 'better-sqlite3';

export type SqliteDatabase = Database.Database;

export interface SqliteOpenOptions {
  /** FULL for the ingest log: a 200 promises the entry survives power loss, not only a crash. */
  synchronous: 'FULL' | 'NORMAL';
  readonly?: boolean;
}

export function openSqlite(path: string, options: SqliteOpenOptions): SqliteDatabase {
  const db = new Database(path, { readonly: options.readonly ?? false });
  if (!options.readonly) db.pragma('journal_mode = WAL');
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
