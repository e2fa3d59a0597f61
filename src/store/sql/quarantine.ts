// The quarantine table's SQL (docs/quarantine.md), written once for both engines. The table
// lives beside the processors' offsets, so each processor sets an entry aside in the same
// transaction that moves its offset past it: quarantineWrites() runs on that transaction's
// executor. The statements are also exported as builders for SQLite's synchronous
// transactions (the profiles processor and the segments commit), which compile and run them
// without yielding (runNow in sqlite/).
import type {
  QuarantineEntry,
  QuarantineFailure,
  QuarantineStore,
  QuarantineWrites,
  StoredQuarantineEntry,
} from '../types.ts';
import type { SqlExecutor } from './executor.ts';
import { list, raw, type Sql, type StoreDialect, sql } from './query.ts';

/** Ids per DELETE (SQLite caps bound parameters). */
const LIST_CHUNK = 500;

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
  first_failed_at: unknown;
  last_failed_at: unknown;
  attempts: number | string;
  consecutive: number | string;
}

const table = (dialect: StoreDialect) => raw(dialect.table('quarantine'));

/** Inserts, or adds the attempts to the row already there for (processor, seq). */
export function putQuarantineSql(dialect: StoreDialect, entry: QuarantineEntry): Sql {
  return sql`INSERT INTO ${table(dialect)} AS q (processor, seq, message_id, source, received_at, body, error, stack,
       first_failed_at, last_failed_at, attempts, consecutive)
     VALUES (${entry.processor}, ${entry.seq}, ${entry.messageId}, ${entry.source}, ${entry.receivedAt}, ${entry.body},
       ${entry.error}, ${entry.stack}, ${entry.firstFailedAt}, ${entry.lastFailedAt}, ${entry.attempts}, ${entry.consecutive})
     ON CONFLICT (processor, seq) DO UPDATE SET error = excluded.error, stack = excluded.stack,
       last_failed_at = excluded.last_failed_at, attempts = q.attempts + excluded.attempts`;
}

/** Removes a replayed row. */
export function releaseQuarantineSql(dialect: StoreDialect, id: number): Sql {
  return sql`DELETE FROM ${table(dialect)} WHERE id = ${id}`;
}

/** Removes rows by id, in statements of at most LIST_CHUNK ids. */
export function removeQuarantineSql(dialect: StoreDialect, ids: readonly number[]): Sql[] {
  const statements: Sql[] = [];
  for (let i = 0; i < ids.length; i += LIST_CHUNK)
    statements.push(sql`DELETE FROM ${table(dialect)} WHERE id IN (${list(ids.slice(i, i + LIST_CHUNK))})`);
  return statements;
}

/** The reads and writes a processor makes inside its own transaction (`x` is that transaction's). */
export function quarantineWrites(x: SqlExecutor): QuarantineWrites {
  const { dialect } = x;
  return {
    get: async (id) => {
      const row = await x.get<QuarantineDbRow>(sql`SELECT * FROM ${table(dialect)} WHERE id = ${id}`);
      return row && toEntry(dialect, row);
    },
    consecutiveAt: async (processor, seq) => {
      const row = await x.get<{ consecutive: number | string }>(
        sql`SELECT consecutive FROM ${table(dialect)} WHERE processor = ${processor} AND seq = ${seq}`,
      );
      return row ? Number(row.consecutive) : 0;
    },
    put: async (entry) => {
      await x.run(putQuarantineSql(dialect, entry));
    },
    release: async (id) => (await x.run(releaseQuarantineSql(dialect, id))) > 0,
  };
}

/**
 * The operator's view (list, counts, replays). `remove` is the engine's: on SQLite it deletes
 * with secure_delete and truncates the WAL, so no byte of a message stays in the file.
 */
export class SqlQuarantine implements QuarantineStore {
  private readonly writes: QuarantineWrites;
  private readonly dialect: StoreDialect;

  constructor(
    private readonly x: SqlExecutor,
    private readonly removeRows: (ids: number[]) => Promise<number>,
  ) {
    this.writes = quarantineWrites(x);
    this.dialect = x.dialect;
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
    const byProcessor = options.processor === undefined ? sql`` : sql`AND processor = ${options.processor}`;
    const rows = await this.x.all<QuarantineDbRow>(
      sql`SELECT * FROM ${table(this.dialect)} WHERE id > ${options.afterId ?? 0} ${byProcessor}
       ORDER BY id LIMIT ${options.limit}`,
    );
    return rows.map((row) => toEntry(this.dialect, row));
  }

  async counts(): Promise<Record<string, number>> {
    const rows = await this.x.all<{ processor: string; n: number | string }>(
      sql`SELECT processor, count(*) AS n FROM ${table(this.dialect)} GROUP BY processor ORDER BY processor`,
    );
    return Object.fromEntries(rows.map((row) => [row.processor, Number(row.n)]));
  }

  async recordFailure(id: number, failure: QuarantineFailure): Promise<boolean> {
    const changed = await this.x.run(
      sql`UPDATE ${table(this.dialect)} SET error = ${failure.error}, stack = ${failure.stack},
         last_failed_at = ${failure.at}, attempts = attempts + 1
       WHERE id = ${id}`,
    );
    return changed > 0;
  }

  async remove(ids: number[]): Promise<number> {
    if (ids.length === 0) return 0;
    return this.removeRows(ids);
  }
}

function toEntry(dialect: StoreDialect, row: QuarantineDbRow): StoredQuarantineEntry {
  return {
    id: Number(row.id),
    processor: row.processor,
    seq: Number(row.seq),
    messageId: row.message_id,
    source: row.source,
    receivedAt: row.received_at,
    body: row.body,
    error: row.error,
    stack: row.stack,
    firstFailedAt: dialect.readInstant(row.first_failed_at) as string,
    lastFailedAt: dialect.readInstant(row.last_failed_at) as string,
    attempts: Number(row.attempts),
    consecutive: Number(row.consecutive),
  };
}
