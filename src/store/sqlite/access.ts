// The access store on the embedded engine: its own file, access.sqlite, beside state.sqlite.
// Its own file because its writes happen on the HTTP thread (every audited request), and a
// write lock shared with state.sqlite would make the state store's synchronous writes on this
// thread wait for a lock only this thread can release. secure_delete is on, so what erasure
// redacts is overwritten in the file, and a checkpoint after each redaction empties the WAL.
import { type AccessSql, accessMigrations, SqlAccessStore } from '../access-sql.ts';
import { asyncWriter, migrateSqlite, openSqlite } from './connection.ts';

export function openSqliteAccessStore(path: string): SqlAccessStore {
  const db = openSqlite(path, { synchronous: 'FULL' });
  db.pragma('secure_delete = ON');
  migrateSqlite(db, accessMigrations('INTEGER PRIMARY KEY AUTOINCREMENT'), 'access_schema_migrations');
  const write = asyncWriter(db);
  const sql: AccessSql = {
    engine: 'sqlite',
    all: async <T>(text: string, params: unknown[] = []) => {
      const statement = db.prepare(text);
      // INSERT … RETURNING writes: it must take the write lock like any other write.
      return statement.readonly
        ? (statement.all(...params) as T[])
        : write(() => statement.all(...params) as T[]);
    },
    run: (text, params = []) => write(() => db.prepare(text).run(...params).changes),
    table: (name) => name,
    contains: (column) => `instr(${column}, ?) > 0`,
    afterErasure: async () => {
      await write.idle();
      db.pragma('wal_checkpoint(TRUNCATE)');
    },
    close: async () => {
      await write.idle();
      db.close();
    },
  };
  return new SqlAccessStore(sql);
}
