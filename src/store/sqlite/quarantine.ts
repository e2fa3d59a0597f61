// The quarantine table on the embedded engine (docs/quarantine.md): its SQL is shared
// (../sql/quarantine.ts). It lives in state.sqlite, where the profiles, segments and journeys
// processors keep their offsets, so each of them sets an entry aside in the same transaction
// that moves its offset past it. Every connection to state.sqlite (state, segments, conductor)
// gets the same functions over its own handle.

import { sqliteDialect } from '../sql/dialect.ts';
import { runSqliteNow, sqliteExecutor } from '../sql/executor.ts';
import {
  putQuarantineSql,
  quarantineWrites,
  releaseQuarantineSql,
  removeQuarantineSql,
  SqlQuarantine,
} from '../sql/quarantine.ts';
import type { QuarantineEntry, QuarantineWrites } from '../types.ts';
import type { SqliteDatabase } from './connection.ts';
import { secureDelete } from './privacy.ts';

/**
 * Shipped inside the state, segments and conductor migration lists (IF NOT EXISTS: whichever
 * store opens a fresh file first creates it). Never edit it: a change is a new migration.
 */
export const QUARANTINE_TABLE_SQL = `CREATE TABLE IF NOT EXISTS quarantine (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     processor TEXT NOT NULL,
     seq INTEGER NOT NULL,
     message_id TEXT NOT NULL,
     source TEXT NOT NULL,
     received_at TEXT NOT NULL,
     body TEXT NOT NULL,
     error TEXT NOT NULL,
     stack TEXT,
     first_failed_at TEXT NOT NULL,
     last_failed_at TEXT NOT NULL,
     attempts INTEGER NOT NULL,
     consecutive INTEGER NOT NULL,
     UNIQUE (processor, seq)
   );`;

/** Inserts, or adds the attempts to the row already there for (processor, seq). Synchronous. */
export function putQuarantine(db: SqliteDatabase, entry: QuarantineEntry): void {
  runSqliteNow(db, putQuarantineSql(sqliteDialect, entry));
}

/** Removes a replayed row; false when it was already gone. Synchronous. */
export function releaseQuarantine(db: SqliteDatabase, id: number): boolean {
  return runSqliteNow(db, releaseQuarantineSql(sqliteDialect, id)) > 0;
}

/** The writes a processor makes inside its own transaction on this connection. */
export function sqliteQuarantineWrites(db: SqliteDatabase): QuarantineWrites {
  return quarantineWrites(sqliteExecutor(db));
}

/** Removed rows leave no bytes behind: secure_delete, then the WAL truncated (secureDelete). */
export class SqliteQuarantine extends SqlQuarantine {
  constructor(db: SqliteDatabase) {
    super(sqliteExecutor(db), async (ids) =>
      secureDelete(db, () =>
        removeQuarantineSql(sqliteDialect, ids).reduce(
          (removed, query) => removed + runSqliteNow(db, query),
          0,
        ),
      ),
    );
  }
}
