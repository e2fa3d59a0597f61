// A simple store's engine on SQLite (../sql/engine.ts): reads straight on the connection,
// writes queued on its asyncWriter, so the HTTP thread never sleeps on the file's lock.
import { sqliteDialect } from '../sql/dialect.ts';
import type { StoreEngine } from '../sql/engine.ts';
import { type SqlExecutor, sqliteExecutor } from '../sql/executor.ts';
import { asyncWriter, type SqliteDatabase } from './connection.ts';

export function sqliteStoreEngine(db: SqliteDatabase): StoreEngine {
  const reads = sqliteExecutor(db);
  const writer = asyncWriter(db);
  const write = <T>(work: (x: SqlExecutor) => Promise<T>) => writer(() => work(reads));
  return {
    engine: 'sqlite',
    dialect: sqliteDialect,
    reads,
    writes: write,
    transaction: write,
    close: async () => {
      await writer.idle();
      db.close();
    },
  };
}
