import xxhash from 'xxhash-wasm';
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

const { h64 } = await xxhash();

/**
 * A messageId's key in the dedupe index: the top 53 bits of its xxHash64, so it is a safe
 * integer in JavaScript and an INTEGER in SQLite. Two ids may share a key: a hit is confirmed
 * against the id stored in the log, so a collision costs a read, never a message.
 */
export function messageIdHash(messageId: string): number {
  return Number(h64(messageId) >> 11n);
}

/** The SQL function the index is written with (registered on every connection). */
const HASH_FUNCTION = 'rapport_message_id_hash';

/** How many of the newest ids a connection holds in memory before they go to the index. */
export const RECENT_IDS = 8192;

interface Marks {
  compacted_through: number;
  erased_through: number;
  indexed_through: number;
  last: number;
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
  private readonly hashesIn;
  private readonly batchAt;
  private readonly idsThrough;
  private readonly forgetId;
  private readonly indexIds;
  private readonly hash: (messageId: string) => number;
  private readonly recentIds: number;
  /**
   * The messageId dedupe (docs/architecture.md, "The messageId dedupe window is the
   * retention") has two parts. On disk, `log_message_ids`: (hash of the id, seq) for every
   * message through the log's `indexed_through` mark, deleted in the transaction that erases
   * or compacts the message away. In memory, `recent`: the ids of the messages after that
   * mark, at most about `recentIds`, read from the batch rows (so after a kill it is rebuilt
   * from what was committed) and kept current inside each append's write transaction, where
   * the rows other connections appended since are read first. When `recent` is full, the
   * append that filled it writes the ids after the mark into the index, from the batch rows,
   * sorted, in one statement, and moves the mark: the index is written in large sorted runs,
   * not a random B-tree page per message. Nothing in memory grows with the retention.
   */
  private recent: Map<string, number> | undefined;
  /** Highest batch (last_seq) `recent` has read. */
  private recentThrough = 0;

  /** `hashMessageId` replaces the hash and `recentIds` the memory bound, for tests. */
  constructor(
    path: string,
    options: {
      readonly?: boolean;
      hashMessageId?: (messageId: string) => number;
      recentIds?: number;
    } = {},
  ) {
    this.db = openSqlite(path, {
      synchronous: 'FULL',
      readonly: options.readonly ?? false,
      autoVacuum: 'INCREMENTAL',
    });
    const hash = options.hashMessageId ?? messageIdHash;
    this.hash = hash;
    this.recentIds = options.recentIds ?? RECENT_IDS;
    this.db.function(HASH_FUNCTION, { deterministic: true }, (id: unknown) => hash(String(id)));
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
      `SELECT compacted_through, erased_through, indexed_through,
              coalesce((SELECT max(last_seq) FROM log_batches), 0) AS last
       FROM log_compaction`,
    );
    this.hashesIn = this.db.prepare(
      'SELECT hash, seq FROM log_message_ids WHERE hash IN (SELECT value FROM json_each(?))',
    );
    this.batchAt = this.db.prepare(
      'SELECT last_seq, span, message_ids FROM log_batches WHERE last_seq >= ? ORDER BY last_seq LIMIT 1',
    );
    this.idsThrough = this.db.prepare(
      'SELECT last_seq, span, message_ids FROM log_batches WHERE last_seq <= ? ORDER BY last_seq',
    );
    this.forgetId = this.db.prepare('DELETE FROM log_message_ids WHERE hash = ? AND seq = ?');
    this.indexIds = this.db.prepare(
      `INSERT INTO log_message_ids (hash, seq)
       SELECT ${HASH_FUNCTION}(j.value), b.last_seq - b.span + 1 + j.key
       FROM log_batches b, json_each(b.message_ids) j
       WHERE b.last_seq > ? AND b.last_seq <= ? AND j.type = 'text'
       ORDER BY 1, 2`,
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
      // Rolled back: `recent` may hold ids that were never stored; it is read again from the log.
      this.forgetRecent();
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
      this.forgetRecent();
      throw error;
    }
  }

  /** Inside the write transaction: the dedupe brought up to date, then the new batches written. */
  private appendEntries(entries: LogEntry[]): number {
    if (entries.length === 0) return 0;
    const marks = this.marks.get() as Marks;
    const recent = this.currentRecent(marks);
    const head = Math.max(marks.last, marks.compacted_through, marks.erased_through);
    const indexed = this.indexedIds(entries, recent);
    const known = { has: (id: string) => recent.has(id) || indexed.has(id) };
    const { batches, accepted } = planBatches(entries, head, known);
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
    for (const [index, id] of accepted.entries()) recent.set(id, head + index + 1);
    this.recentThrough = Math.max(this.recentThrough, head + accepted.length);
    if (recent.size >= this.recentIds) this.indexRecent(marks, head + accepted.length);
    return accepted.length;
  }

  /**
   * Which of the entries' ids (those not in `recent`) the index holds: the rows of their
   * hashes, read in one statement, each confirmed against the id stored at its seq.
   */
  private indexedIds(entries: LogEntry[], recent: Map<string, number>): Set<string> {
    const found = new Set<string>();
    const idsByHash = new Map<number, string[]>();
    for (const { messageId } of entries) {
      if (recent.has(messageId)) continue;
      const hash = this.hash(messageId);
      const same = idsByHash.get(hash);
      if (!same) idsByHash.set(hash, [messageId]);
      else if (!same.includes(messageId)) same.push(messageId);
    }
    if (idsByHash.size === 0) return found;
    const hits = this.hashesIn.all(JSON.stringify([...idsByHash.keys()])) as Array<{
      hash: number;
      seq: number;
    }>;
    // A retried request hits many seqs of one batch: each batch's ids are parsed once.
    const batches: Array<{ first: number; ids: Array<string | null> }> = [];
    for (const hit of hits) {
      const stored = this.storedIdAt(hit.seq, batches);
      if (stored !== null && idsByHash.get(hit.hash)?.includes(stored)) found.add(stored);
    }
    return found;
  }

  private storedIdAt(
    seq: number,
    batches: Array<{ first: number; ids: Array<string | null> }>,
  ): string | null {
    let batch = batches.find((b) => seq >= b.first && seq < b.first + b.ids.length);
    if (!batch) {
      const row = this.batchAt.get(seq) as Pick<BatchRow, 'last_seq' | 'span' | 'message_ids'> | undefined;
      if (!row) return null;
      batch = {
        first: row.last_seq - row.span + 1,
        ids: JSON.parse(row.message_ids) as Array<string | null>,
      };
      batches.push(batch);
    }
    return batch.ids[seq - batch.first] ?? null;
  }

  /**
   * Writes the ids of the batches after the index's mark, through `through`, into the index
   * (read from the rows, so an id erased meanwhile is not written) and moves the mark past
   * them: `recent` is then empty.
   */
  private indexRecent(marks: Marks, through: number): void {
    const from = Math.max(marks.indexed_through, marks.compacted_through);
    this.indexIds.run(from, through);
    this.db.prepare('UPDATE log_compaction SET indexed_through = ?').run(through);
    this.recent?.clear();
  }

  /** Deletes the index rows of a batch's messages whose seq `removes` (erasure, compaction). */
  private forgetIndexed(
    row: Pick<BatchRow, 'last_seq' | 'span' | 'message_ids'>,
    removes: (seq: number) => boolean,
  ): void {
    const first = row.last_seq - row.span + 1;
    (JSON.parse(row.message_ids) as Array<string | null>).forEach((id, index) => {
      if (id !== null && removes(first + index)) this.forgetId.run(this.hash(id), first + index);
    });
  }

  private forgetRecent(): void {
    this.recent = undefined;
    this.recentThrough = 0;
  }

  /** Reads the recent ids now, so the first request after a start does not wait for them. */
  loadDedupeWindow(): number {
    return this.db.transaction(() => this.currentRecent(this.marks.get() as Marks).size)();
  }

  /**
   * The ids after the index's mark (and compaction's): the rows appended since the last look
   * (by any connection) read in, and those the index or compaction took over dropped.
   */
  private currentRecent(marks: Marks): Map<string, number> {
    const floor = Math.max(marks.indexed_through, marks.compacted_through);
    this.recent ??= new Map();
    const recent = this.recent;
    for (const row of this.idsAfter.iterate(
      Math.max(this.recentThrough, floor),
    ) as IterableIterator<BatchRow>) {
      const ids = JSON.parse(row.message_ids) as Array<string | null>;
      const first = row.last_seq - row.span + 1;
      ids.forEach((id, index) => {
        if (id !== null && first + index > floor) recent.set(id, first + index);
      });
      this.recentThrough = row.last_seq;
    }
    // A Map iterates in insertion order, which is seq order: the ids below the floor are at its front.
    for (const [id, seq] of recent) {
      if (seq > floor) break;
      recent.delete(id);
    }
    return recent;
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
    this.forgetIndexed(row, removes);
    // Other connections forget them when their recent ids move past them (or at a restart).
    for (const id of removed) this.recent?.delete(id);
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
        for (const row of this.idsThrough.all(throughSeq) as BatchRow[]) this.forgetIndexed(row, () => true);
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
