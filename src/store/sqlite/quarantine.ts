// The quarantine table on the embedded engine (docs/quarantine.md). It lives in state.sqlite,
// where the profiles, segments and journeys processors keep their offsets, so each of them sets
// an entry aside in the same transaction that moves its offset past it. Every connection to
// state.sqlite (state, segments, conductor) gets the same functions over its own handle.
import type {
  QuarantineEntry,
  QuarantineFailure,
  QuarantineStore,
  QuarantineWrites,
  StoredQuarantineEntry,
} from '../types.ts';
import { chunk, type SqliteDatabase } from './connection.ts';
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

interface QuarantineDbRow {
  id: number;
  processor: string;
  seq: number;
  message_id: string;
  source: string;
  received_at: string;
  body: string;
  error: string;
  stack: string | null;
  first_failed_at: string;
  last_failed_at: string;
  attempts: number;
  consecutive: number;
}

function toEntry(row: QuarantineDbRow): StoredQuarantineEntry {
  return {
    id: row.id,
    processor: row.processor,
    seq: row.seq,
    messageId: row.message_id,
    source: row.source,
    receivedAt: row.received_at,
    body: row.body,
    error: row.error,
    stack: row.stack,
    firstFailedAt: row.first_failed_at,
    lastFailedAt: row.last_failed_at,
    attempts: row.attempts,
    consecutive: row.consecutive,
  };
}

/** Inserts, or adds the attempts to the row already there for (processor, seq). Synchronous. */
export function putQuarantine(db: SqliteDatabase, entry: QuarantineEntry): void {
  db.prepare(
    `INSERT INTO quarantine (processor, seq, message_id, source, received_at, body, error, stack,
       first_failed_at, last_failed_at, attempts, consecutive)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (processor, seq) DO UPDATE SET error = excluded.error, stack = excluded.stack,
       last_failed_at = excluded.last_failed_at, attempts = quarantine.attempts + excluded.attempts`,
  ).run(
    entry.processor,
    entry.seq,
    entry.messageId,
    entry.source,
    entry.receivedAt,
    entry.body,
    entry.error,
    entry.stack,
    entry.firstFailedAt,
    entry.lastFailedAt,
    entry.attempts,
    entry.consecutive,
  );
}

/** Removes a replayed row; false when it was already gone. Synchronous. */
export function releaseQuarantine(db: SqliteDatabase, id: number): boolean {
  return db.prepare('DELETE FROM quarantine WHERE id = ?').run(id).changes > 0;
}

/** The writes a processor makes inside its own transaction on this connection. */
export function sqliteQuarantineWrites(db: SqliteDatabase): QuarantineWrites {
  return {
    get: async (id) => {
      const row = db.prepare('SELECT * FROM quarantine WHERE id = ?').get(id) as QuarantineDbRow | undefined;
      return row ? toEntry(row) : undefined;
    },
    consecutiveAt: async (processor, seq) => {
      const row = db
        .prepare('SELECT consecutive FROM quarantine WHERE processor = ? AND seq = ?')
        .get(processor, seq) as { consecutive: number } | undefined;
      return row?.consecutive ?? 0;
    },
    put: async (entry) => putQuarantine(db, entry),
    release: async (id) => releaseQuarantine(db, id),
  };
}

export class SqliteQuarantine implements QuarantineStore {
  private readonly writes: QuarantineWrites;

  constructor(private readonly db: SqliteDatabase) {
    this.writes = sqliteQuarantineWrites(db);
  }

  get(id: number) {
    return this.writes.get(id);
  }

  consecutiveAt(processor: string, seq: number) {
    return this.writes.consecutiveAt(processor, seq);
  }

  put(entry: QuarantineEntry) {
    return this.writes.put(entry);
  }

  release(id: number) {
    return this.writes.release(id);
  }

  async list(options: {
    processor?: string;
    limit: number;
    afterId?: number;
  }): Promise<StoredQuarantineEntry[]> {
    const rows = (
      options.processor === undefined
        ? this.db
            .prepare('SELECT * FROM quarantine WHERE id > ? ORDER BY id LIMIT ?')
            .all(options.afterId ?? 0, options.limit)
        : this.db
            .prepare('SELECT * FROM quarantine WHERE processor = ? AND id > ? ORDER BY id LIMIT ?')
            .all(options.processor, options.afterId ?? 0, options.limit)
    ) as QuarantineDbRow[];
    return rows.map(toEntry);
  }

  async counts(): Promise<Record<string, number>> {
    const rows = this.db
      .prepare('SELECT processor, count(*) AS n FROM quarantine GROUP BY processor ORDER BY processor')
      .all() as Array<{ processor: string; n: number }>;
    return Object.fromEntries(rows.map((row) => [row.processor, row.n]));
  }

  async recordFailure(id: number, failure: QuarantineFailure): Promise<boolean> {
    const result = this.db
      .prepare(
        'UPDATE quarantine SET error = ?, stack = ?, last_failed_at = ?, attempts = attempts + 1 WHERE id = ?',
      )
      .run(failure.error, failure.stack, failure.at, id);
    return result.changes > 0;
  }

  async remove(ids: number[]): Promise<number> {
    if (ids.length === 0) return 0;
    return secureDelete(this.db, () => {
      let removed = 0;
      for (const part of chunk(ids)) {
        const sql = `DELETE FROM quarantine WHERE id IN (${part.map(() => '?').join(',')})`;
        removed += this.db.prepare(sql).run(...part).changes;
      }
      return removed;
    });
  }
}
