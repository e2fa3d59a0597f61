import type {
  AppendResult,
  DeadLetter,
  IngestLogStats,
  IngestLogStore,
  LogEntry,
  LogRecord,
  SparseLogRecord,
  StoredDeadLetter,
} from '../types.ts';
import { chunk, migrateSqlite, openSqlite, type SqliteDatabase } from './connection.ts';
import { LOG_MIGRATIONS } from './migrations.ts';
import { secureDelete, truncateWal } from './privacy.ts';

interface LogRow {
  seq: number;
  message_id: string;
  source: string;
  received_at: string;
  body: string;
}

type SparseLogRow = Omit<LogRow, 'body'> & { body: string | null };

function toRecord<Row extends SparseLogRow>(row: Row): Row extends LogRow ? LogRecord : SparseLogRecord;
function toRecord(row: SparseLogRow): SparseLogRecord {
  return {
    seq: row.seq,
    messageId: row.message_id,
    source: row.source,
    receivedAt: row.received_at,
    json: row.body,
  };
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
  private readonly readAfterContaining;

  constructor(path: string, options: { readonly?: boolean } = {}) {
    this.db = openSqlite(path, {
      synchronous: 'FULL',
      readonly: options.readonly ?? false,
      autoVacuum: 'INCREMENTAL',
    });
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
    this.readAfterContaining = this.db.prepare(
      `SELECT seq, message_id, source, received_at, CASE WHEN instr(body, ?) > 0 THEN body END AS body
       FROM ingest_log WHERE seq > ? ORDER BY seq LIMIT ?`,
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
    return (this.readAfter.all(afterSeq, limit) as LogRow[]).map(toRecord);
  }

  async readContaining(afterSeq: number, limit: number, needle: string): Promise<SparseLogRecord[]> {
    return (this.readAfterContaining.all(needle, afterSeq, limit) as SparseLogRow[]).map(toRecord);
  }

  async headSeq(): Promise<number> {
    // Compaction may have removed every entry: the mark keeps the head where it was.
    const row = this.db
      .prepare(
        `SELECT max(coalesce((SELECT max(seq) FROM ingest_log), 0),
                    coalesce((SELECT max(compacted_through, erased_through) FROM log_compaction), 0)) AS seq`,
      )
      .get() as { seq: number };
    return row.seq;
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
    if (seqs.length === 0) return 0;
    return secureDelete(this.db, () => {
      this.db
        .prepare('UPDATE log_compaction SET erased_through = max(erased_through, ?)')
        .run(seqs.reduce((a, b) => Math.max(a, b)));
      return this.deleteKeys('ingest_log', 'seq', seqs);
    });
  }

  async deleteDeadLetters(ids: number[]): Promise<number> {
    return this.deleteByKey('dead_letters', 'id', ids);
  }

  private deleteByKey(table: 'ingest_log' | 'dead_letters', column: 'seq' | 'id', keys: number[]): number {
    if (keys.length === 0) return 0;
    return secureDelete(this.db, () => this.deleteKeys(table, column, keys));
  }

  private deleteKeys(table: 'ingest_log' | 'dead_letters', column: 'seq' | 'id', keys: number[]): number {
    let removed = 0;
    for (const part of chunk(keys)) {
      const sql = `DELETE FROM ${table} WHERE ${column} IN (${part.map(() => '?').join(',')})`;
      removed += this.db.prepare(sql).run(...part).changes;
    }
    return removed;
  }

  async entryTimes(afterSeq: number, limit: number): Promise<Array<{ seq: number; receivedAt: string }>> {
    // received_at precedes body in the row, so the bodies' overflow pages are not read.
    const rows = this.db
      .prepare('SELECT seq, received_at FROM ingest_log WHERE seq > ? ORDER BY seq LIMIT ?')
      .all(afterSeq, limit) as Array<{ seq: number; received_at: string }>;
    return rows.map((row) => ({ seq: row.seq, receivedAt: row.received_at }));
  }

  async compactThrough(throughSeq: number, at: string): Promise<number> {
    return this.db
      .transaction(() => {
        const removed = this.db.prepare('DELETE FROM ingest_log WHERE seq <= ?').run(throughSeq).changes;
        this.db
          .prepare(
            `UPDATE log_compaction SET compacted_through = max(compacted_through, ?),
               removed_total = removed_total + ?,
               last_compacted_at = CASE WHEN ? > 0 THEN ? ELSE last_compacted_at END`,
          )
          .run(throughSeq, removed, removed, at);
        return removed;
      })
      .immediate() as number;
  }

  async reclaimSpace(maxPages: number): Promise<number> {
    if (this.autoVacuumMode() !== 'incremental') return 0;
    const before = this.db.pragma('page_count', { simple: true }) as number;
    // Runs as its own short write transaction; moves at most maxPages pages.
    this.db.pragma(`incremental_vacuum(${Math.max(1, Math.floor(maxPages))})`);
    const after = this.db.pragma('page_count', { simple: true }) as number;
    return Math.max(0, before - after) * (this.db.pragma('page_size', { simple: true }) as number);
  }

  async stats(): Promise<IngestLogStats> {
    const oldest = this.db.prepare('SELECT seq, received_at FROM ingest_log ORDER BY seq LIMIT 1').get() as
      | { seq: number; received_at: string }
      | undefined;
    const mark = this.db
      .prepare('SELECT compacted_through, removed_total, last_compacted_at FROM log_compaction')
      .get() as { compacted_through: number; removed_total: number; last_compacted_at: string | null };
    const pageSize = this.db.pragma('page_size', { simple: true }) as number;
    return {
      entries: await this.countEntries(),
      oldestSeq: oldest?.seq ?? null,
      oldestReceivedAt: oldest?.received_at ?? null,
      headSeq: await this.headSeq(),
      compactedThrough: mark.compacted_through,
      removedTotal: mark.removed_total,
      lastCompactedAt: mark.last_compacted_at,
      sizeBytes: (this.db.pragma('page_count', { simple: true }) as number) * pageSize,
      freeBytes: (this.db.pragma('freelist_count', { simple: true }) as number) * pageSize,
      autoVacuum: this.autoVacuumMode(),
    };
  }

  /** After an erasure: the log's WAL checkpointed and truncated (privacy.ts). */
  truncateWal(): Promise<void> {
    return truncateWal(this.db, 'log.sqlite');
  }

  /**
   * Converts a file created before compaction existed to auto_vacuum INCREMENTAL and drops
   * its free pages (a full VACUUM: it rewrites the live entries and holds the write lock
   * meanwhile, so `rapport log vacuum` runs it with the server stopped). Returns the bytes saved.
   */
  vacuum(): number {
    const size = () =>
      (this.db.pragma('page_count', { simple: true }) as number) *
      (this.db.pragma('page_size', { simple: true }) as number);
    const before = size();
    this.db.pragma('auto_vacuum = INCREMENTAL');
    this.db.exec('VACUUM');
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    return before - size();
  }

  private autoVacuumMode(): 'none' | 'full' | 'incremental' {
    const mode = this.db.pragma('auto_vacuum', { simple: true }) as number;
    return mode === 2 ? 'incremental' : mode === 1 ? 'full' : 'none';
  }

  close(): void {
    this.db.close();
  }
}
