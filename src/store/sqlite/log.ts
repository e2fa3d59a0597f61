import type {
  AppendResult,
  DeadLetter,
  IngestLogStore,
  LogEntry,
  LogRecord,
  StoredDeadLetter,
} from '../types.ts';
import { chunk, migrateSqlite, openSqlite, type SqliteDatabase } from './connection.ts';
import { LOG_MIGRATIONS } from './migrations.ts';
import { secureDelete } from './privacy.ts';

interface LogRow {
  seq: number;
  message_id: string;
  source: string;
  received_at: string;
  body: string;
}

interface DeadLetterRow {
  id: number;
  received_at: string;
  source: string;
  code: string;
  field: string;
  reason: string;
  body: string;
}

export class SqliteIngestLog implements IngestLogStore {
  private readonly db: SqliteDatabase;
  private readonly insertEntry;
  private readonly insertDeadLetter;
  private readonly appendAll;
  private readonly readAfter;

  constructor(path: string, options: { readonly?: boolean } = {}) {
    this.db = openSqlite(path, { synchronous: 'FULL', readonly: options.readonly ?? false });
    if (!options.readonly) migrateSqlite(this.db, LOG_MIGRATIONS);
    this.insertEntry = this.db.prepare(
      'INSERT OR IGNORE INTO ingest_log (message_id, source, received_at, body) VALUES (?, ?, ?, ?)',
    );
    this.insertDeadLetter = this.db.prepare(
      'INSERT INTO dead_letters (received_at, source, code, field, reason, body) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.readAfter = this.db.prepare(
      'SELECT seq, message_id, source, received_at, body FROM ingest_log WHERE seq > ? ORDER BY seq LIMIT ?',
    );
    this.appendAll = this.db.transaction((entries: LogEntry[], deadLetters: DeadLetter[]) => {
      let appended = 0;
      for (const entry of entries) {
        appended += this.insertEntry.run(entry.messageId, entry.source, entry.receivedAt, entry.json).changes;
      }
      for (const dead of deadLetters) {
        this.insertDeadLetter.run(
          dead.receivedAt,
          dead.source,
          dead.code,
          dead.field,
          dead.reason,
          dead.body,
        );
      }
      return appended;
    });
  }

  async append(entries: LogEntry[], deadLetters: DeadLetter[] = []): Promise<AppendResult> {
    const appended = this.appendAll.immediate(entries, deadLetters) as number;
    return { appended, duplicates: entries.length - appended };
  }

  async read(afterSeq: number, limit: number): Promise<LogRecord[]> {
    const rows = this.readAfter.all(afterSeq, limit) as LogRow[];
    return rows.map((row) => ({
      seq: row.seq,
      messageId: row.message_id,
      source: row.source,
      receivedAt: row.received_at,
      json: row.body,
    }));
  }

  async headSeq(): Promise<number> {
    const row = this.db.prepare('SELECT max(seq) AS seq FROM ingest_log').get() as { seq: number | null };
    return row.seq ?? 0;
  }

  async countEntries(): Promise<number> {
    return (this.db.prepare('SELECT count(*) AS n FROM ingest_log').get() as { n: number }).n;
  }

  async listDeadLetters(options: { limit: number; beforeId?: number }): Promise<StoredDeadLetter[]> {
    const rows = this.db
      .prepare('SELECT * FROM dead_letters WHERE id < ? ORDER BY id DESC LIMIT ?')
      .all(options.beforeId ?? Number.MAX_SAFE_INTEGER, options.limit) as DeadLetterRow[];
    return rows.map((row) => ({
      id: row.id,
      receivedAt: row.received_at,
      source: row.source,
      code: row.code,
      field: row.field,
      reason: row.reason,
      body: row.body,
    }));
  }

  async countDeadLetters(): Promise<number> {
    return (this.db.prepare('SELECT count(*) AS n FROM dead_letters').get() as { n: number }).n;
  }

  async countDeadLettersByDay(fromIso: string, toIso: string): Promise<Record<string, number>> {
    // received_at is an ISO instant in UTC (toISOString), so its first ten characters are the day.
    const rows = this.db
      .prepare(
        `SELECT substr(received_at, 1, 10) AS day, count(*) AS n FROM dead_letters
         WHERE received_at >= ? AND received_at < ? GROUP BY 1`,
      )
      .all(fromIso, toIso) as Array<{ day: string; n: number }>;
    return Object.fromEntries(rows.map((row) => [row.day, row.n]));
  }

  async deleteEntries(seqs: number[]): Promise<number> {
    return this.deleteByKey('ingest_log', 'seq', seqs);
  }

  async deleteDeadLetters(ids: number[]): Promise<number> {
    return this.deleteByKey('dead_letters', 'id', ids);
  }

  private deleteByKey(table: 'ingest_log' | 'dead_letters', column: 'seq' | 'id', keys: number[]): number {
    if (keys.length === 0) return 0;
    return secureDelete(this.db, () => {
      let removed = 0;
      for (const part of chunk(keys)) {
        const sql = `DELETE FROM ${table} WHERE ${column} IN (${part.map(() => '?').join(',')})`;
        removed += this.db.prepare(sql).run(...part).changes;
      }
      return removed;
    });
  }

  close(): void {
    this.db.close();
  }
}
