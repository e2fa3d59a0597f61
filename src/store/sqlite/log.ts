import { planBatches, recordsOf, type StoredBatch, withoutMessages } from '../log-batches.ts';
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

interface BatchRow {
  last_seq: number;
  span: number;
  live: number;
  source: string;
  received_at: string;
  message_ids: string;
  /** The messages' JSON; read as its UTF-8 bytes where the processors read it (bodyLines). */
  body: string | Buffer | null;
}

/** A row as the shared batch functions read it (log-batches.ts). */
function storedBatch(row: BatchRow): StoredBatch {
  return {
    lastSeq: row.last_seq,
    span: row.span,
    live: row.live,
    source: row.source,
    receivedAt: row.received_at,
    messageIds: row.message_ids,
    body: row.body,
  };
}

function* storedBatches(rows: IterableIterator<BatchRow>): Generator<StoredBatch> {
  for (const row of rows) yield storedBatch(row);
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
  private readonly insertBatch;
  private readonly insertDeadLetter;
  private readonly appendAll;
  private readonly appendGroupsAll;
  private readonly batchesAfter;
  private readonly batchesAfterContaining;
  private readonly marks;
  private readonly idsAfter;
  /**
   * The messageId dedupe window, in memory: every id in the log, with its seq. Filled from
   * the log on the first append (the batch rows carry their ids, so recovery after a kill is
   * a read of what was committed) and kept current inside each append's write transaction:
   * batches other connections appended since are read first, ids compaction passed are
   * dropped. An id erased from the log stays until compaction passes its seq (the window is
   * "at least the retention", docs/architecture.md).
   */
  private window: Map<string, number> | undefined;
  /** Highest batch (last_seq) the window has read. */
  private windowThrough = 0;

  constructor(path: string, options: { readonly?: boolean } = {}) {
    this.db = openSqlite(path, {
      synchronous: 'FULL',
      readonly: options.readonly ?? false,
      autoVacuum: 'INCREMENTAL',
    });
    if (!options.readonly) migrateSqlite(this.db, LOG_MIGRATIONS);
    this.insertBatch = this.db.prepare(
      `INSERT INTO log_batches (last_seq, span, live, source, received_at, message_ids, body)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.insertDeadLetter = this.db.prepare(
      'INSERT INTO dead_letters (received_at, source, code, field, reason, body) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.batchesAfter = this.db.prepare(
      'SELECT last_seq, span, live, source, received_at, message_ids, CAST(body AS BLOB) AS body FROM log_batches WHERE last_seq > ? ORDER BY last_seq',
    );
    this.batchesAfterContaining = this.db.prepare(
      `SELECT last_seq, span, live, source, received_at, message_ids,
              CASE WHEN instr(body, ?) > 0 THEN CAST(body AS BLOB) END AS body
       FROM log_batches WHERE last_seq > ? ORDER BY last_seq`,
    );
    this.idsAfter = this.db.prepare(
      'SELECT last_seq, span, message_ids FROM log_batches WHERE last_seq > ? ORDER BY last_seq',
    );
    this.marks = this.db.prepare(
      `SELECT compacted_through, erased_through, coalesce((SELECT max(last_seq) FROM log_batches), 0) AS last
       FROM log_compaction`,
    );
    this.appendAll = this.db.transaction((entries: LogEntry[], deadLetters: DeadLetter[]) => {
      const appended = this.appendEntries(entries);
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
    this.appendGroupsAll = this.db.transaction(
      (groups: Array<{ entries: LogEntry[]; deadLetters: DeadLetter[] }>): AppendResult[] =>
        groups.map(({ entries, deadLetters }) => {
          const appended = this.appendAll(entries, deadLetters) as number;
          return { appended, duplicates: entries.length - appended };
        }),
    );
  }

  async append(entries: LogEntry[], deadLetters: DeadLetter[] = []): Promise<AppendResult> {
    try {
      const appended = this.appendAll.immediate(entries, deadLetters) as number;
      return { appended, duplicates: entries.length - appended };
    } catch (error) {
      // Rolled back: the window may hold ids that were never stored; it is read again from the log.
      this.window = undefined;
      this.windowThrough = 0;
      throw error;
    }
  }

  /**
   * Several appends in one transaction, so one fsync commits them all, each with its own
   * result (the log writer thread's group commit, src/ingest). Each is its own savepoint: a
   * failing one rolls back the whole transaction, as one append does.
   */
  appendGroups(groups: Array<{ entries: LogEntry[]; deadLetters: DeadLetter[] }>): AppendResult[] {
    try {
      return this.appendGroupsAll.immediate(groups) as AppendResult[];
    } catch (error) {
      this.window = undefined;
      this.windowThrough = 0;
      throw error;
    }
  }

  /** Inside the write transaction: the window brought up to date, then the new batches written. */
  private appendEntries(entries: LogEntry[]): number {
    if (entries.length === 0) return 0;
    const marks = this.marks.get() as { compacted_through: number; erased_through: number; last: number };
    const window = this.currentWindow(marks.compacted_through);
    const head = Math.max(marks.last, marks.compacted_through, marks.erased_through);
    const { batches, accepted } = planBatches(entries, head, window);
    for (const batch of batches)
      this.insertBatch.run(
        batch.lastSeq,
        batch.span,
        batch.span,
        batch.source,
        batch.receivedAt,
        batch.messageIds,
        batch.body,
      );
    for (const [index, id] of accepted.entries()) window.set(id, head + index + 1);
    this.windowThrough = Math.max(this.windowThrough, head + accepted.length);
    return accepted.length;
  }

  /** Reads the dedupe window now, so the first request after a start does not wait for it. */
  loadDedupeWindow(): number {
    return this.db.transaction(() => {
      const marks = this.marks.get() as { compacted_through: number };
      return this.currentWindow(marks.compacted_through).size;
    })();
  }

  private currentWindow(compactedThrough: number): Map<string, number> {
    this.window ??= new Map();
    const window = this.window;
    for (const row of this.idsAfter.iterate(this.windowThrough) as IterableIterator<BatchRow>) {
      const ids = JSON.parse(row.message_ids) as Array<string | null>;
      const first = row.last_seq - row.span + 1;
      ids.forEach((id, index) => {
        if (id !== null) window.set(id, first + index);
      });
      this.windowThrough = row.last_seq;
    }
    // A Map iterates in insertion order, which is seq order: the compacted ids are at its front.
    for (const [id, seq] of window) {
      if (seq > compactedThrough) break;
      window.delete(id);
    }
    return window;
  }

  async read(afterSeq: number, limit: number): Promise<LogRecord[]> {
    return this.collect(
      this.batchesAfter.iterate(afterSeq) as IterableIterator<BatchRow>,
      afterSeq,
      limit,
    ) as LogRecord[];
  }

  async readContaining(afterSeq: number, limit: number, needle: string): Promise<SparseLogRecord[]> {
    const rows = this.batchesAfterContaining.iterate(needle, afterSeq) as IterableIterator<BatchRow>;
    // The bodies come as bytes: only the lines holding the needle are decoded (log-batches.ts).
    return this.collect(rows, afterSeq, limit, needle);
  }

  /** Stops the statement's iteration as soon as `limit` records are read (recordsOf returns). */
  private collect(
    rows: IterableIterator<BatchRow>,
    afterSeq: number,
    limit: number,
    needle?: string,
  ): SparseLogRecord[] {
    return recordsOf(storedBatches(rows), afterSeq, limit, needle);
  }

  async headSeq(): Promise<number> {
    // Compaction may have removed every entry: the mark keeps the head where it was.
    const marks = this.marks.get() as { compacted_through: number; erased_through: number; last: number };
    return Math.max(marks.last, marks.compacted_through, marks.erased_through);
  }

  async countEntries(): Promise<number> {
    return (this.db.prepare('SELECT coalesce(sum(live), 0) AS n FROM log_batches').get() as { n: number }).n;
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
    const doomed = new Set(seqs);
    return secureDelete(this.db, () => {
      this.db
        .prepare('UPDATE log_compaction SET erased_through = max(erased_through, ?)')
        .run(seqs.reduce((a, b) => Math.max(a, b)));
      let removed = 0;
      for (const row of this.batchesHolding(seqs))
        removed += this.removeFromBatch(row, (seq) => doomed.has(seq));
      return removed;
    });
  }

  /** The batch rows holding any of these seqs. */
  private batchesHolding(seqs: number[]): BatchRow[] {
    const holding = this.db.prepare(
      'SELECT last_seq, span, live, source, received_at, message_ids, body FROM log_batches WHERE last_seq >= ? ORDER BY last_seq LIMIT 1',
    );
    const rows = new Map<number, BatchRow>();
    for (const seq of [...new Set(seqs)].sort((a, b) => a - b)) {
      const row = holding.get(seq) as BatchRow | undefined;
      if (row && row.last_seq - row.span < seq) rows.set(row.last_seq, row);
    }
    return [...rows.values()];
  }

  /**
   * Rewrites a batch without the messages whose seq `removes` (the row deleted when none is
   * left), the way erasure and compaction take messages out: their ids and bytes leave the
   * row, the others keep their seqs. Returns how many messages went.
   */
  private removeFromBatch(row: BatchRow, removes: (seq: number) => boolean): number {
    const { removed, rest } = withoutMessages(storedBatch(row), removes);
    if (removed.length === 0) return 0;
    if (rest === null) this.db.prepare('DELETE FROM log_batches WHERE last_seq = ?').run(row.last_seq);
    else
      this.db
        .prepare('UPDATE log_batches SET live = ?, message_ids = ?, body = ? WHERE last_seq = ?')
        .run(rest.live, rest.messageIds, rest.body, row.last_seq);
    return removed.length;
  }

  async deleteDeadLetters(ids: number[]): Promise<number> {
    if (ids.length === 0) return 0;
    return secureDelete(this.db, () => {
      let removed = 0;
      for (const part of chunk(ids)) {
        const sql = `DELETE FROM dead_letters WHERE id IN (${part.map(() => '?').join(',')})`;
        removed += this.db.prepare(sql).run(...part).changes;
      }
      return removed;
    });
  }

  async entryTimes(afterSeq: number, limit: number): Promise<Array<{ seq: number; receivedAt: string }>> {
    // The bodies are not read: only the ids, to skip removed messages.
    const rows = this.db
      .prepare(
        'SELECT last_seq, span, live, source, received_at, message_ids, NULL AS body FROM log_batches WHERE last_seq > ? ORDER BY last_seq',
      )
      .iterate(afterSeq) as IterableIterator<BatchRow>;
    return this.collect(rows, afterSeq, limit).map((record) => ({
      seq: record.seq,
      receivedAt: record.receivedAt,
    }));
  }

  async compactThrough(throughSeq: number, at: string): Promise<number> {
    return this.db
      .transaction(() => {
        const whole = this.db
          .prepare('SELECT coalesce(sum(live), 0) AS n FROM log_batches WHERE last_seq <= ?')
          .get(throughSeq) as { n: number };
        this.db.prepare('DELETE FROM log_batches WHERE last_seq <= ?').run(throughSeq);
        // A batch the mark cuts through keeps its later messages.
        const [cut] = this.batchesHolding([throughSeq]);
        const removed = whole.n + (cut ? this.removeFromBatch(cut, (seq) => seq <= throughSeq) : 0);
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
    const [oldest] = await this.entryTimes(0, 1);
    const mark = this.db
      .prepare('SELECT compacted_through, removed_total, last_compacted_at FROM log_compaction')
      .get() as { compacted_through: number; removed_total: number; last_compacted_at: string | null };
    const pageSize = this.db.pragma('page_size', { simple: true }) as number;
    return {
      entries: await this.countEntries(),
      oldestSeq: oldest?.seq ?? null,
      oldestReceivedAt: oldest?.receivedAt ?? null,
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
