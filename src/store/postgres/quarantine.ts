// The quarantine table on PostgreSQL (docs/quarantine.md), in the schema beside the processors'
// offsets, so the profiles, segments and journeys processors set an entry aside in the same
// transaction that moves their offset past it. The functions take any client: a store's pool,
// or the client of a processor's open transaction.
import type {
  QuarantineEntry,
  QuarantineFailure,
  QuarantineStore,
  QuarantineWrites,
  StoredQuarantineEntry,
} from '../types.ts';
import { type PgQueryable, storableText, toIso, toNumber } from './sql.ts';

/**
 * Shipped inside the state, segments and conductor migration lists (IF NOT EXISTS: whichever
 * store migrates a fresh schema first creates it). Never edit it: a change is a new migration.
 */
export const QUARANTINE_TABLE_SQL = `CREATE TABLE IF NOT EXISTS quarantine (
     id bigserial PRIMARY KEY,
     processor text NOT NULL,
     seq bigint NOT NULL,
     message_id text NOT NULL,
     source text NOT NULL,
     received_at text NOT NULL,
     body text NOT NULL,
     error text NOT NULL,
     stack text,
     first_failed_at timestamptz NOT NULL,
     last_failed_at timestamptz NOT NULL,
     attempts integer NOT NULL,
     consecutive integer NOT NULL,
     UNIQUE (processor, seq)
   );`;

interface QuarantineDbRow {
  id: string | number;
  processor: string;
  seq: string | number;
  message_id: string;
  source: string;
  received_at: string;
  body: string;
  error: string;
  stack: string | null;
  first_failed_at: Date | string;
  last_failed_at: Date | string;
  attempts: number;
  consecutive: number;
}

function toEntry(row: QuarantineDbRow): StoredQuarantineEntry {
  return {
    id: toNumber(row.id),
    processor: row.processor,
    seq: toNumber(row.seq),
    messageId: row.message_id,
    source: row.source,
    receivedAt: row.received_at,
    body: row.body,
    error: row.error,
    stack: row.stack,
    firstFailedAt: toIso(row.first_failed_at),
    lastFailedAt: toIso(row.last_failed_at),
    attempts: toNumber(row.attempts),
    consecutive: toNumber(row.consecutive),
  };
}

/** Quarantine reads and writes through `db` (a transaction's client: they join it). */
export function postgresQuarantineWrites(db: PgQueryable, table: string): QuarantineWrites {
  return {
    async get(id) {
      const { rows } = await db.query<QuarantineDbRow>(`SELECT * FROM ${table} WHERE id = $1`, [id]);
      return rows[0] ? toEntry(rows[0]) : undefined;
    },
    async consecutiveAt(processor, seq) {
      const { rows } = await db.query<{ consecutive: number }>(
        `SELECT consecutive FROM ${table} WHERE processor = $1 AND seq = $2`,
        [processor, seq],
      );
      return rows[0] ? toNumber(rows[0].consecutive) : 0;
    },
    async put(entry: QuarantineEntry) {
      await db.query(
        `INSERT INTO ${table} (processor, seq, message_id, source, received_at, body, error, stack,
           first_failed_at, last_failed_at, attempts, consecutive)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (processor, seq) DO UPDATE SET error = excluded.error, stack = excluded.stack,
           last_failed_at = excluded.last_failed_at, attempts = ${table}.attempts + excluded.attempts`,
        [
          entry.processor,
          entry.seq,
          storableText(entry.messageId),
          storableText(entry.source),
          entry.receivedAt,
          storableText(entry.body),
          storableText(entry.error),
          entry.stack === null ? null : storableText(entry.stack),
          entry.firstFailedAt,
          entry.lastFailedAt,
          entry.attempts,
          entry.consecutive,
        ],
      );
    },
    async release(id) {
      const result = await db.query(`DELETE FROM ${table} WHERE id = $1`, [id]);
      return (result.rowCount ?? 0) > 0;
    },
  };
}

export class PostgresQuarantine implements QuarantineStore {
  private readonly writes: QuarantineWrites;

  constructor(
    private readonly db: PgQueryable,
    private readonly table: string,
  ) {
    this.writes = postgresQuarantineWrites(db, table);
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
    const { rows } = await this.db.query<QuarantineDbRow>(
      `SELECT * FROM ${this.table} WHERE id > $1 AND ($2::text IS NULL OR processor = $2)
       ORDER BY id LIMIT $3`,
      [options.afterId ?? 0, options.processor ?? null, options.limit],
    );
    return rows.map(toEntry);
  }

  async counts(): Promise<Record<string, number>> {
    const { rows } = await this.db.query<{ processor: string; n: string }>(
      `SELECT processor, count(*) AS n FROM ${this.table} GROUP BY processor ORDER BY processor`,
    );
    return Object.fromEntries(rows.map((row) => [row.processor, toNumber(row.n)]));
  }

  async recordFailure(id: number, failure: QuarantineFailure): Promise<boolean> {
    const result = await this.db.query(
      `UPDATE ${this.table} SET error = $1, stack = $2, last_failed_at = $3, attempts = attempts + 1
       WHERE id = $4`,
      [
        storableText(failure.error),
        failure.stack === null ? null : storableText(failure.stack),
        failure.at,
        id,
      ],
    );
    return (result.rowCount ?? 0) > 0;
  }

  async remove(ids: number[]): Promise<number> {
    if (ids.length === 0) return 0;
    const result = await this.db.query(`DELETE FROM ${this.table} WHERE id = ANY($1::bigint[])`, [ids]);
    return result.rowCount ?? 0;
  }
}
