import type pg from 'pg';
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
import { inTransaction } from './connection.ts';
import { type DeadLetterDbRow, type LogDbRow, toDeadLetter, toLogRecord } from './rows.ts';
import {
  ADVISORY_XACT_LOCK_SQL,
  advisoryLockParams,
  chunk,
  type PostgresTables,
  storableText,
  toIso,
  toNumber,
} from './sql.ts';

/** Rows per INSERT: the arrays travel as 4 parameters, this only bounds one message's size. */
export const LOG_INSERT_ROWS = 2000;

export function insertLogEntriesSql(table: string): string {
  // ORDER BY ord: seq follows the order of the batch. DO NOTHING also skips a messageId
  // repeated inside the batch itself (unlike DO UPDATE, it may meet a row twice).
  return `INSERT INTO ${table} (message_id, source, received_at, body)
    SELECT message_id, source, received_at, body
    FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[])
      WITH ORDINALITY AS batch(message_id, source, received_at, body, ord)
    ORDER BY ord
    ON CONFLICT (message_id) DO NOTHING`;
}

export function insertDeadLettersSql(table: string): string {
  return `INSERT INTO ${table} (received_at, source, code, field, reason, body)
    SELECT received_at, source, code, field, reason, body
    FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
      WITH ORDINALITY AS batch(received_at, source, code, field, reason, body, ord)
    ORDER BY ord`;
}

export class PostgresIngestLog implements IngestLogStore {
  constructor(
    private readonly pool: pg.Pool,
    private readonly tables: PostgresTables,
    private readonly schema: string,
  ) {}

  async append(entries: LogEntry[], deadLetters: DeadLetter[] = []): Promise<AppendResult> {
    if (entries.length === 0 && deadLetters.length === 0) return { appended: 0, duplicates: 0 };
    const appended = await inTransaction(this.pool, async (client) => {
      // seq is drawn from a sequence when a row is inserted but becomes visible at COMMIT, so
      // two unserialised appenders can commit seq 11 before seq 10. A reader polling between
      // the two commits moves its offset to 11 and never reads 10. Holding this lock from the
      // first nextval to COMMIT (it is released after the commit is visible) makes seq order
      // equal commit order across every process. Appends are group-committed batches, so
      // serialising them costs one round trip per batch, not per message.
      await client.query(ADVISORY_XACT_LOCK_SQL, advisoryLockParams(`${this.schema}:ingest_log`));
      let inserted = 0;
      for (const part of chunk(entries, LOG_INSERT_ROWS)) inserted += await this.insertEntries(client, part);
      for (const part of chunk(deadLetters, LOG_INSERT_ROWS)) await this.insertDeadLetters(client, part);
      return inserted;
    });
    return { appended, duplicates: entries.length - appended };
  }

  private async insertEntries(client: pg.PoolClient, entries: LogEntry[]): Promise<number> {
    const result = await client.query(insertLogEntriesSql(this.tables.ingestLog), [
      entries.map((entry) => storableText(entry.messageId)),
      entries.map((entry) => storableText(entry.source)),
      entries.map((entry) => entry.receivedAt),
      entries.map((entry) => storableText(entry.json)),
    ]);
    return result.rowCount ?? 0;
  }

  private async insertDeadLetters(client: pg.PoolClient, deadLetters: DeadLetter[]): Promise<void> {
    await client.query(insertDeadLettersSql(this.tables.deadLetters), [
      deadLetters.map((dead) => dead.receivedAt),
      deadLetters.map((dead) => storableText(dead.source)),
      deadLetters.map((dead) => storableText(dead.code)),
      deadLetters.map((dead) => storableText(dead.field)),
      deadLetters.map((dead) => storableText(dead.reason)),
      deadLetters.map((dead) => storableText(dead.body)),
    ]);
  }

  async read(afterSeq: number, limit: number): Promise<LogRecord[]> {
    const { rows } = await this.pool.query<LogDbRow>(
      `SELECT seq, message_id, source, received_at, body FROM ${this.tables.ingestLog}
       WHERE seq > $1 ORDER BY seq LIMIT $2`,
      [afterSeq, limit],
    );
    return rows.map(toLogRecord);
  }

  async readContaining(afterSeq: number, limit: number, needle: string): Promise<SparseLogRecord[]> {
    const { rows } = await this.pool.query<Omit<LogDbRow, 'body'> & { body: string | null }>(
      `SELECT seq, message_id, source, received_at, CASE WHEN strpos(body, $3) > 0 THEN body END AS body
       FROM ${this.tables.ingestLog} WHERE seq > $1 ORDER BY seq LIMIT $2`,
      [afterSeq, limit, needle],
    );
    return rows.map((row) => ({ ...toLogRecord({ ...row, body: '' }), json: row.body }));
  }

  async headSeq(): Promise<number> {
    // Compaction may have removed every entry: the mark keeps the head where it was.
    const { rows } = await this.pool.query<{ seq: string | null }>(
      `SELECT greatest((SELECT max(seq) FROM ${this.tables.ingestLog}),
                       (SELECT greatest(compacted_through, erased_through) FROM ${this.tables.logCompaction})) AS seq`,
    );
    return toNumber(rows[0]?.seq ?? 0);
  }

  async entryTimes(afterSeq: number, limit: number): Promise<Array<{ seq: number; receivedAt: string }>> {
    const { rows } = await this.pool.query<{ seq: string; received_at: Date }>(
      `SELECT seq, received_at FROM ${this.tables.ingestLog} WHERE seq > $1 ORDER BY seq LIMIT $2`,
      [afterSeq, limit],
    );
    return rows.map((row) => ({ seq: toNumber(row.seq), receivedAt: toIso(row.received_at) }));
  }

  async compactThrough(throughSeq: number, at: string): Promise<number> {
    return inTransaction(this.pool, async (client) => {
      const deleted = await client.query(`DELETE FROM ${this.tables.ingestLog} WHERE seq <= $1`, [
        throughSeq,
      ]);
      const removed = deleted.rowCount ?? 0;
      // greatest: another process compacting at the same time may have gone further.
      await client.query(
        `UPDATE ${this.tables.logCompaction} SET compacted_through = greatest(compacted_through, $1),
           removed_total = removed_total + $2,
           last_compacted_at = CASE WHEN $2 > 0 THEN $3::timestamptz ELSE last_compacted_at END`,
        [throughSeq, removed, at],
      );
      return removed;
    });
  }

  async reclaimSpace(): Promise<number> {
    // autovacuum marks the removed rows' space free for the next entries; giving it back to
    // the file system would take VACUUM FULL, which locks the table (docs/architecture.md).
    return 0;
  }

  async stats(): Promise<IngestLogStats> {
    const { rows } = await this.pool.query<{
      oldest_seq: string | null;
      oldest_received_at: Date | null;
      compacted_through: string;
      removed_total: string;
      last_compacted_at: Date | null;
      size_bytes: string;
    }>(
      `SELECT o.seq AS oldest_seq, o.received_at AS oldest_received_at,
              c.compacted_through, c.removed_total, c.last_compacted_at,
              pg_total_relation_size($1::regclass) AS size_bytes
       FROM ${this.tables.logCompaction} c
       LEFT JOIN LATERAL (SELECT seq, received_at FROM ${this.tables.ingestLog} ORDER BY seq LIMIT 1) o ON true`,
      [this.tables.ingestLog],
    );
    const row = rows[0];
    if (!row) throw new Error('the log_compaction row is missing: were the log migrations applied?');
    return {
      entries: await this.countEntries(),
      oldestSeq: row.oldest_seq === null ? null : toNumber(row.oldest_seq),
      oldestReceivedAt: row.oldest_received_at === null ? null : toIso(row.oldest_received_at),
      headSeq: await this.headSeq(),
      compactedThrough: toNumber(row.compacted_through),
      removedTotal: toNumber(row.removed_total),
      lastCompactedAt: row.last_compacted_at === null ? null : toIso(row.last_compacted_at),
      sizeBytes: toNumber(row.size_bytes),
      freeBytes: null,
      autoVacuum: null,
    };
  }

  async countEntries(): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${this.tables.ingestLog}`,
    );
    return toNumber(rows[0]?.n ?? 0);
  }

  async listDeadLetters(options: { limit: number; beforeId?: number }): Promise<StoredDeadLetter[]> {
    const { rows } = await this.pool.query<DeadLetterDbRow>(
      `SELECT id, received_at, source, code, field, reason, body FROM ${this.tables.deadLetters}
       WHERE id < $1 ORDER BY id DESC LIMIT $2`,
      [options.beforeId ?? Number.MAX_SAFE_INTEGER, options.limit],
    );
    return rows.map(toDeadLetter);
  }

  async deleteEntries(seqs: number[]): Promise<number> {
    if (seqs.length === 0) return 0;
    // One statement, so the mark and the deletion commit together: the head never goes back.
    const result = await this.pool.query(
      `WITH mark AS (
         UPDATE ${this.tables.logCompaction} SET erased_through = greatest(erased_through, $2)
       )
       DELETE FROM ${this.tables.ingestLog} WHERE seq = ANY($1::bigint[])`,
      [seqs, seqs.reduce((a, b) => Math.max(a, b))],
    );
    return result.rowCount ?? 0;
  }

  async deleteDeadLetters(ids: number[]): Promise<number> {
    if (ids.length === 0) return 0;
    const result = await this.pool.query(
      `DELETE FROM ${this.tables.deadLetters} WHERE id = ANY($1::bigint[])`,
      [ids],
    );
    return result.rowCount ?? 0;
  }

  async countDeadLetters(): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${this.tables.deadLetters}`,
    );
    return toNumber(rows[0]?.n ?? 0);
  }

  async countDeadLettersByDay(fromIso: string, toIso: string): Promise<Record<string, number>> {
    const { rows } = await this.pool.query<{ day: string; n: string }>(
      `SELECT to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, count(*) AS n
       FROM ${this.tables.deadLetters}
       WHERE received_at >= $1::timestamptz AND received_at < $2::timestamptz GROUP BY 1`,
      [fromIso, toIso],
    );
    return Object.fromEntries(rows.map((row) => [row.day, toNumber(row.n)]));
  }
}
