import type pg from 'pg';
import { type NewBatch, planBatches, recordsOf, type StoredBatch, withoutMessages } from '../log-batches.ts';
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
import { type DeadLetterDbRow, toDeadLetter } from './rows.ts';
import {
  ADVISORY_XACT_LOCK_SQL,
  advisoryLockParams,
  chunk,
  type PostgresTables,
  storableText,
  toIso,
  toNumber,
} from './sql.ts';

/** Batches per INSERT: five parameters each, well under PostgreSQL's 65,535. */
export const LOG_INSERT_BATCHES = 1000;
/** Dead letters per INSERT: the arrays travel as 6 parameters, this only bounds one statement's size. */
const DEAD_LETTER_INSERT_ROWS = 2000;

export function insertDeadLettersSql(table: string): string {
  return `INSERT INTO ${table} (received_at, source, code, field, reason, body)
    SELECT received_at, source, code, field, reason, body
    FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
      WITH ORDINALITY AS batch(received_at, source, code, field, reason, body, ord)
    ORDER BY ord`;
}

interface BatchDbRow {
  last_seq: string;
  span: number;
  live: number;
  source: string;
  received_at: Date;
  message_ids: string;
  body: string | null;
}

/** A line of batchesAfterAsLines: last_seq, ord, then the batch's columns (on ord 1 only), the line. */
type LineDbRow = [
  string,
  number,
  number | null,
  number | null,
  string | null,
  Date | null,
  string | null,
  string,
];

function toStoredBatch(row: BatchDbRow): StoredBatch {
  return {
    lastSeq: toNumber(row.last_seq),
    span: row.span,
    live: row.live,
    source: row.source,
    receivedAt: toIso(row.received_at),
    messageIds: row.message_ids,
    body: row.body,
  };
}

/**
 * The head seq and which of $1's messageIds (a JSON array) the log holds. `= ANY(ARRAY(…))`
 * probes the ids' primary key once per id whatever the statistics say: `IN (SELECT …)` was
 * planned as a hash join over every stored id while the table had not been analysed yet
 * (13-140 ms at 30,000 ids, under the append lock that every request waits for;
 * docs/performance.md, "Ingest", session 10).
 */
export function headAndKnownSql(
  tables: Pick<PostgresTables, 'logBatches' | 'logMessageIds' | 'logCompaction'>,
) {
  return `SELECT greatest(coalesce((SELECT max(last_seq) FROM ${tables.logBatches}), 0),
                       c.compacted_through, c.erased_through) AS head,
              (SELECT json_agg(i.message_id) FROM ${tables.logMessageIds} i
                WHERE i.message_id = ANY (ARRAY(SELECT json_array_elements_text($1::json)))) AS known
       FROM ${tables.logCompaction} c`;
}

/**
 * The batches holding the first $2 messages after seq $1, in seq order (a CTE named
 * `picked`): the batches are counted by their live messages before they are fetched: every
 * batch after the first holds only seqs above $1, so once those after the first add up to
 * $2, no later batch is needed. They are always the first batches after $1, so a read
 * fetches them as a range of the primary key (PICKED_RANGE), which the planner cannot turn
 * into a scan of every batch as it did a join with `picked` on a table not yet analysed.
 */
export function pickedBatchesSql(batches: string): string {
  return `picked AS MATERIALIZED (
         SELECT last_seq FROM (
           SELECT last_seq,
                  sum(live) OVER (ORDER BY last_seq ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
                    - first_value(live) OVER (ORDER BY last_seq) AS after_first
           FROM (SELECT last_seq, live FROM ${batches} WHERE last_seq > $1 ORDER BY last_seq LIMIT $2 + 1) head
         ) counted
         WHERE after_first IS NULL OR after_first < $2
       )`;
}

/** The picked batches (pickedBatchesSql) as a condition on the batches' table aliased `b`. */
export const PICKED_RANGE = 'b.last_seq > $1 AND b.last_seq <= (SELECT max(last_seq) FROM picked)';

/**
 * Another writer committed a messageId the dedupe read did not see (only one that bypasses the
 * append lock can): the append is rolled back and tried again, and then it sees it.
 */
class UnseenDuplicate extends Error {}

export class PostgresIngestLog implements IngestLogStore {
  private readonly batches: string;
  private readonly ids: string;
  private readonly marks: string;

  constructor(
    private readonly pool: pg.Pool,
    private readonly tables: PostgresTables,
    private readonly schema: string,
  ) {
    this.batches = tables.logBatches;
    this.ids = tables.logMessageIds;
    this.marks = tables.logCompaction;
  }

  async append(entries: LogEntry[], deadLetters: DeadLetter[] = []): Promise<AppendResult> {
    if (entries.length === 0 && deadLetters.length === 0) return { appended: 0, duplicates: 0 };
    const storable = entries.map((entry) => ({
      ...entry,
      messageId: storableText(entry.messageId),
      source: storableText(entry.source),
      json: storableText(entry.json),
    }));
    for (let attempt = 1; ; attempt++) {
      try {
        const appended = await inTransaction(this.pool, (client) =>
          this.appendIn(client, storable, deadLetters),
        );
        return { appended, duplicates: entries.length - appended };
      } catch (error) {
        if (!(error instanceof UnseenDuplicate) || attempt >= 3) throw error;
      }
    }
  }

  private async appendIn(
    client: pg.PoolClient,
    entries: LogEntry[],
    deadLetters: DeadLetter[],
  ): Promise<number> {
    // Seqs are given under this lock, held from the read of the head to COMMIT (it is released
    // after the commit is visible), so seq order is commit order across every process: a reader
    // that has seen seq 11 can never later meet a seq 10 committed after it read. Appends are
    // group-committed batches, so serialising them costs a few round trips per batch, not per
    // message. The head and the dedupe are read after the lock is granted, in their own
    // statement: a statement's snapshot is taken when it starts.
    await client.query(ADVISORY_XACT_LOCK_SQL, advisoryLockParams(`${this.schema}:ingest_log`));
    let appended = 0;
    if (entries.length > 0) {
      const { head, known } = await this.headAndKnown(client, entries);
      const plan = planBatches(entries, head, known);
      for (const part of chunk(plan.batches, LOG_INSERT_BATCHES)) await this.insertBatches(client, part);
      appended = plan.accepted.length;
    }
    for (const part of chunk(deadLetters, DEAD_LETTER_INSERT_ROWS))
      await this.insertDeadLetters(client, part);
    return appended;
  }

  /** The head seq, and which of the entries' messageIds the log holds already. */
  private async headAndKnown(
    client: pg.PoolClient,
    entries: LogEntry[],
  ): Promise<{ head: number; known: Set<string> }> {
    const { rows } = await client.query<{ head: string; known: string[] | null }>(
      headAndKnownSql(this.tables),
      [JSON.stringify([...new Set(entries.map((entry) => entry.messageId))])],
    );
    const row = rows[0];
    if (!row) throw new Error('the log_compaction row is missing: were the log migrations applied?');
    return { head: toNumber(row.head), known: new Set(row.known ?? []) };
  }

  /**
   * The batch rows and their messageIds in one statement. The ids' unique index is the
   * dedupe: an id the read above did not see (a writer outside the lock) makes the count
   * short, and the append starts again.
   */
  private async insertBatches(client: pg.PoolClient, batches: NewBatch[]): Promise<void> {
    const params: unknown[] = [JSON.stringify(batches.flatMap((batch) => JSON.parse(batch.messageIds)))];
    const values = batches.map((batch) => {
      const at = params.length;
      params.push(batch.lastSeq, batch.span, batch.source, batch.receivedAt, batch.messageIds, batch.body);
      return `($${at + 1}::bigint, $${at + 2}::int, $${at + 2}::int, $${at + 3}, $${at + 4}::timestamptz, $${at + 5}, $${at + 6})`;
    });
    const { rows } = await client.query<{ ids: string }>(
      `WITH ids AS (
         INSERT INTO ${this.ids} (message_id) SELECT json_array_elements_text($1::json)
         ON CONFLICT DO NOTHING RETURNING 1
       ), rows AS (
         INSERT INTO ${this.batches} (last_seq, span, live, source, received_at, message_ids, body)
         VALUES ${values.join(', ')}
       )
       SELECT count(*) AS ids FROM ids`,
      params,
    );
    const expected = batches.reduce((sum, batch) => sum + batch.span, 0);
    if (toNumber(rows[0]?.ids ?? 0) !== expected) throw new UnseenDuplicate();
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

  /** The picked batches (pickedBatchesSql) with the given body expression. */
  private async batchesAfter(afterSeq: number, limit: number, body: string): Promise<StoredBatch[]> {
    if (limit <= 0) return [];
    const { rows } = await this.pool.query<BatchDbRow>(
      `WITH ${pickedBatchesSql(this.batches)}
       SELECT b.last_seq, b.span, b.live, b.source, b.received_at, b.message_ids, ${body} AS body
       FROM ${this.batches} b WHERE ${PICKED_RANGE}
       ORDER BY b.last_seq`,
      [afterSeq, limit],
    );
    return rows.map(toStoredBatch);
  }

  async read(afterSeq: number, limit: number): Promise<LogRecord[]> {
    return recordsOf(await this.batchesAfterAsLines(afterSeq, limit), afterSeq, limit) as LogRecord[];
  }

  /**
   * The picked batches (pickedBatchesSql), their bodies split into lines by PostgreSQL: a row per
   * message, the batch's own columns on its first line only. node-postgres decodes each
   * field as a whole: one non-ASCII character in an 88 KB body made the whole body a
   * two-byte string, slow to decode, to split and to JSON.parse in every line cut from it;
   * a line of its own is a one-byte string unless it holds one (docs/performance.md,
   * "Ingest", session 9). A batch of one is its message as it is (it may hold a newline):
   * string_to_table's empty delimiter returns the whole text as one row.
   */
  private async batchesAfterAsLines(afterSeq: number, limit: number): Promise<StoredBatch[]> {
    if (limit <= 0) return [];
    const { rows } = await this.pool.query<LineDbRow>({
      text: `WITH ${pickedBatchesSql(this.batches)}
       SELECT last_seq, ord, CASE WHEN ord = 1 THEN span END AS span, CASE WHEN ord = 1 THEN live END AS live,
              CASE WHEN ord = 1 THEN source END AS source, CASE WHEN ord = 1 THEN received_at END AS received_at,
              CASE WHEN ord = 1 THEN message_ids END AS message_ids, line
       FROM (
         SELECT b.last_seq, b.span, b.live, b.source, b.received_at, b.message_ids,
                coalesce(l.ord, 1)::int AS ord, coalesce(l.line, '') AS line
         FROM ${this.batches} b
         LEFT JOIN LATERAL string_to_table(b.body, CASE WHEN b.span = 1 THEN '' ELSE E'\\n' END)
           WITH ORDINALITY AS l(line, ord) ON true
         WHERE ${PICKED_RANGE}
       ) lines
       ORDER BY last_seq, ord`,
      values: [afterSeq, limit],
      rowMode: 'array',
    });
    const batches: StoredBatch[] = [];
    let lines: string[] = [];
    for (const [lastSeq, ord, span, live, source, receivedAt, messageIds, line] of rows) {
      if (ord === 1) {
        lines = [];
        batches.push({
          lastSeq: toNumber(lastSeq),
          span: span as number,
          live: live as number,
          source: source as string,
          receivedAt: toIso(receivedAt as Date),
          messageIds: messageIds as string,
          body: lines,
        });
      }
      lines.push(line);
    }
    return batches;
  }

  /**
   * PostgreSQL splits the bodies and sends only the lines holding the needle, each as a field
   * of its own: node-postgres decodes every text field whole, so a body sent whole is decoded
   * whole (a two-byte string as soon as one line holds a non-ASCII character), where a line
   * is decoded alone. One statement, so the batches and their lines share a snapshot: a row
   * per batch (line_no 0, its columns) and then a row per matching line (line_no from 1).
   */
  async readContaining(afterSeq: number, limit: number, needle: string): Promise<SparseLogRecord[]> {
    if (limit <= 0) return [];
    const { rows } = await this.pool.query<BatchDbRow & { line_no: string; line: string | null }>(
      `WITH ${pickedBatchesSql(this.batches)}
       SELECT b.last_seq, 0::bigint AS line_no, b.span, b.live, b.source, b.received_at, b.message_ids,
              NULL::text AS line
       FROM ${this.batches} b WHERE ${PICKED_RANGE}
       UNION ALL
       SELECT b.last_seq, l.line_no, NULL, NULL, NULL, NULL, NULL, l.line
       FROM ${this.batches} b
       CROSS JOIN LATERAL unnest(CASE WHEN b.span = 1 THEN ARRAY[b.body] ELSE string_to_array(b.body, E'\\n') END)
         WITH ORDINALITY AS l(line, line_no)
       WHERE ${PICKED_RANGE} AND strpos(l.line, $3) > 0
       ORDER BY 1, 2`,
      [afterSeq, limit, storableText(needle)],
    );
    const batches: StoredBatch[] = [];
    for (const row of rows) {
      const lineNo = toNumber(row.line_no);
      if (lineNo === 0) {
        batches.push({ ...toStoredBatch({ ...row, body: null }), body: [] });
        continue;
      }
      // The lines come after their batch (ORDER BY last_seq, line_no); the others stay absent.
      const lines = batches[batches.length - 1]?.body as Array<string | null>;
      lines[lineNo - 1] = row.line;
    }
    return recordsOf(batches, afterSeq, limit);
  }

  async headSeq(): Promise<number> {
    // Compaction may have removed every entry: the marks keep the head where it was.
    const { rows } = await this.pool.query<{ seq: string | null }>(
      `SELECT greatest((SELECT max(last_seq) FROM ${this.batches}),
                       (SELECT greatest(compacted_through, erased_through) FROM ${this.marks})) AS seq`,
    );
    return toNumber(rows[0]?.seq ?? 0);
  }

  async entryTimes(afterSeq: number, limit: number): Promise<Array<{ seq: number; receivedAt: string }>> {
    // The bodies are not read: only the ids, to skip removed messages.
    const batches = await this.batchesAfter(afterSeq, limit, 'NULL::text');
    return recordsOf(batches, afterSeq, limit).map((record) => ({
      seq: record.seq,
      receivedAt: record.receivedAt,
    }));
  }

  async compactThrough(throughSeq: number, at: string): Promise<number> {
    return inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<{ n: string }>(
        `WITH gone AS (
           DELETE FROM ${this.batches} WHERE last_seq <= $1 RETURNING live, message_ids
         ), ids AS (
           DELETE FROM ${this.ids}
           WHERE message_id IN (SELECT json_array_elements_text(message_ids::json) FROM gone)
         )
         SELECT coalesce(sum(live), 0) AS n FROM gone`,
        [throughSeq],
      );
      let removed = toNumber(rows[0]?.n ?? 0);
      // A batch the mark cuts through keeps its later messages.
      for (const cut of await this.batchesHolding(client, [throughSeq]))
        removed += await this.removeFromBatch(client, cut, (seq) => seq <= throughSeq);
      // greatest: another process compacting at the same time may have gone further.
      await client.query(
        `UPDATE ${this.marks} SET compacted_through = greatest(compacted_through, $1),
           removed_total = removed_total + $2,
           last_compacted_at = CASE WHEN $2 > 0 THEN $3::timestamptz ELSE last_compacted_at END`,
        [throughSeq, removed, at],
      );
      return removed;
    });
  }

  /** The batch rows holding any of these seqs, locked for the rewrite that follows. */
  private async batchesHolding(client: pg.PoolClient, seqs: number[]): Promise<StoredBatch[]> {
    const sorted = [...new Set(seqs)].sort((a, b) => a - b);
    const { rows } = await client.query<BatchDbRow & { seq: string }>(
      `SELECT s.seq, b.* FROM unnest($1::bigint[]) WITH ORDINALITY AS s(seq, ord)
       CROSS JOIN LATERAL (
         SELECT last_seq, span, live, source, received_at, message_ids, body FROM ${this.batches}
         WHERE last_seq >= s.seq ORDER BY last_seq LIMIT 1 FOR UPDATE
       ) b
       WHERE b.last_seq - b.span < s.seq
       ORDER BY s.ord`,
      [sorted],
    );
    const batches = new Map<number, StoredBatch>();
    for (const row of rows) {
      const batch = toStoredBatch(row);
      batches.set(batch.lastSeq, batch);
    }
    return [...batches.values()];
  }

  /**
   * Rewrites a batch without the messages whose seq `removes` (the row deleted when none is
   * left), the way erasure and compaction take messages out: their ids and bytes leave the
   * row, the others keep their seqs. Returns how many messages went.
   */
  private async removeFromBatch(
    client: pg.PoolClient,
    batch: StoredBatch,
    removes: (seq: number) => boolean,
  ): Promise<number> {
    const { removed, rest } = withoutMessages(batch, removes);
    if (removed.length === 0) return 0;
    if (rest === null) {
      await client.query(`DELETE FROM ${this.batches} WHERE last_seq = $1`, [batch.lastSeq]);
    } else {
      await client.query(
        `UPDATE ${this.batches} SET live = $2, message_ids = $3, body = $4 WHERE last_seq = $1`,
        [batch.lastSeq, rest.live, rest.messageIds, rest.body],
      );
    }
    await client.query(`DELETE FROM ${this.ids} WHERE message_id = ANY($1::text[])`, [removed]);
    return removed.length;
  }

  async reclaimSpace(): Promise<number> {
    // autovacuum marks the removed rows' space free for the next entries; giving it back to
    // the file system would take VACUUM FULL, which locks the table (docs/architecture.md).
    return 0;
  }

  async stats(): Promise<IngestLogStats> {
    const { rows } = await this.pool.query<{
      compacted_through: string;
      removed_total: string;
      last_compacted_at: Date | null;
      size_bytes: string;
    }>(
      `SELECT c.compacted_through, c.removed_total, c.last_compacted_at,
              pg_total_relation_size($1::regclass) + pg_total_relation_size($2::regclass) AS size_bytes
       FROM ${this.marks} c`,
      [this.batches, this.ids],
    );
    const row = rows[0];
    if (!row) throw new Error('the log_compaction row is missing: were the log migrations applied?');
    const [oldest] = await this.entryTimes(0, 1);
    return {
      entries: await this.countEntries(),
      oldestSeq: oldest?.seq ?? null,
      oldestReceivedAt: oldest?.receivedAt ?? null,
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
      `SELECT coalesce(sum(live), 0) AS n FROM ${this.batches}`,
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
    const doomed = new Set(seqs);
    // One transaction, so the mark and the removal commit together: the head never goes back.
    return inTransaction(this.pool, async (client) => {
      await client.query(`UPDATE ${this.marks} SET erased_through = greatest(erased_through, $1)`, [
        seqs.reduce((a, b) => Math.max(a, b)),
      ]);
      let removed = 0;
      for (const batch of await this.batchesHolding(client, seqs))
        removed += await this.removeFromBatch(client, batch, (seq) => doomed.has(seq));
      return removed;
    });
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
