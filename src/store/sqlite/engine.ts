// A simple store's engine on SQLite (../sql/engine.ts): reads straight on the connection,
// writes queued on its asyncWriter, so the HTTP thread never sleeps on the file's lock.
import { sqliteDialect } from '../sql/dialect.ts';
import type { StoreEngine } from '../sql/engine.ts';
import { type SqlExecutor, sqliteExecutor } from '../sql/executor.ts';
import { asyncWriter, type SqliteDatabase } from './connection.ts';

export interface SqliteStoreEngine extends StoreEngine {
  /** Resolves once the writes queued so far have committed. */
  idle(): Promise<void>;
}

export function sqliteStoreEngine(db: SqliteDatabase): SqliteStoreEngine {
  const reads = sqliteExecutor(db);
  const writer = asyncWriter(db);
  const write = <T>(work: (x: SqlExecutor) => Promise<T>) => writer(() => work(reads));
  return {
    engine: 'sqlite',
    dialect: sqliteDialect,
    reads,
    writes: write,
    transaction: write,
    idle: () => writer.idle(),
    close: async () => {
      await writer.idle();
      db.close();
    },
  };
}
