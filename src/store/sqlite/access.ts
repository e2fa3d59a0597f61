// The access store on the embedded engine: its SQL is shared (../sql/access.ts). Its own file,
// access.sqlite, beside state.sqlite, because its writes happen on the HTTP thread (every
// audited request), and a write lock shared with state.sqlite would make the state store's
// synchronous writes on this thread wait for a lock only this thread can release.
// secure_delete is on, so what erasure redacts is overwritten in the file, and a checkpoint
// after each redaction empties the WAL (SQLite only: PostgreSQL has no such file to empty).
import { accessMigrations, SqlAccessStore } from '../sql/access.ts';
import { migrateSqlite, openSqlite } from './connection.ts';
import { sqliteStoreEngine } from './engine.ts';

export function openSqliteAccessStore(path: string): SqlAccessStore {
  const db = openSqlite(path, { synchronous: 'FULL' });
  db.pragma('secure_delete = ON');
  migrateSqlite(db, accessMigrations('INTEGER PRIMARY KEY AUTOINCREMENT'), 'access_schema_migrations');
  const engine = sqliteStoreEngine(db);
  return new SqlAccessStore(engine, async () => {
    await engine.idle();
    db.pragma('wal_checkpoint(TRUNCATE)');
  });
}
