import { existsSync, renameSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { type DuckDBConnection, DuckDBInstance, type DuckDBValue } from '@duckdb/node-api';
import type { EventQuery, EventStore, StoredEvent } from '../types.ts';
import { OperationGate } from './gate.ts';

// Numbered migrations for the embedded event store. Never edit a shipped entry; append one.
const MIGRATIONS: string[] = [
  `CREATE TABLE processor_offsets (processor VARCHAR PRIMARY KEY, seq BIGINT NOT NULL);
   CREATE TABLE events (
     seq BIGINT NOT NULL,
     message_id VARCHAR NOT NULL,
     profile_id VARCHAR NOT NULL,
     type VARCHAR NOT NULL,
     name VARCHAR,
     user_id VARCHAR,
     anonymous_id VARCHAR,
     timestamp TIMESTAMP NOT NULL,
     received_at TIMESTAMP NOT NULL,
     properties JSON,
     message JSON NOT NULL
   );`,
];

const EVENT_COLUMNS = `seq, message_id, profile_id, type, name, user_id, anonymous_id,
  epoch_ms(timestamp) AS ts_ms, epoch_ms(received_at) AS received_ms, CAST(properties AS VARCHAR) AS properties,
  CAST(message AS VARCHAR) AS message`;

type Row = Record<string, DuckDBValue>;

function toEvent(row: Row): StoredEvent {
  return {
    seq: Number(row.seq),
    messageId: String(row.message_id),
    profileId: String(row.profile_id),
    type: String(row.type),
    name: row.name === null ? null : String(row.name),
    userId: row.user_id === null ? null : String(row.user_id),
    anonymousId: row.anonymous_id === null ? null : String(row.anonymous_id),
    timestamp: new Date(Number(row.ts_ms)).toISOString(),
    receivedAt: new Date(Number(row.received_ms)).toISOString(),
    properties: row.properties === null ? {} : JSON.parse(String(row.properties)),
    message: JSON.parse(String(row.message)),
  };
}

/** The embedded warehouse's DuckDB memory_limit (docs/performance.md, soak). */
export const WAREHOUSE_MEMORY_LIMIT = '1GB';

/**
 * DuckDB's threads for the embedded warehouse, from the machine's cores. Its default (one per
 * core) starts background threads that wake for every statement and take part in the
 * automatic checkpoints: on the ingest path they cost more CPU an event than they save
 * (docs/performance.md, "## Ingest", session 10), and the process already keeps three threads
 * busy (HTTP, pipeline worker, log writer). So one thread up to four cores, where queries run
 * on one core; beyond that the cores the process leaves free, so the dashboard's large reads
 * still use a bigger machine.
 */
export function warehouseThreadsFor(cores: number): number {
  return Math.max(1, cores - 3);
}

export const WAREHOUSE_THREADS = warehouseThreadsFor(availableParallelism());

/**
 * The WAL size past which DuckDB checkpoints (its default 16 MB). A checkpoint compresses the
 * row group being filled whole, again each time (up to 122,880 rows): at 16 MB, ≈ 15,000 of
 * these events, the filling row group was compressed ≈ 8 times, at 64 MB twice
 * (docs/performance.md, session 10). The WAL is replayed at start, up to this size.
 */
export const WAREHOUSE_CHECKPOINT_THRESHOLD = '64MB';

/** How the embedded warehouse's DuckDB instance runs; the defaults above unless told. */
export interface WarehouseSettings {
  memoryLimit?: string;
  threads?: number;
  checkpointThreshold?: string;
}

function instanceOptions(settings: WarehouseSettings): Record<string, string> {
  return {
    memory_limit: settings.memoryLimit ?? WAREHOUSE_MEMORY_LIMIT,
    threads: String(settings.threads ?? WAREHOUSE_THREADS),
    checkpoint_threshold: settings.checkpointThreshold ?? WAREHOUSE_CHECKPOINT_THRESHOLD,
  };
}

export class DuckDbEventStore implements EventStore {
  readonly engine = 'duckdb' as const;

  private readonly gate = new OperationGate();

  /**
   * The committed offsets, as read or as this store committed them. It is their only writer
   * (DuckDB locks the file to one process, and nothing else writes processor_offsets), so a
   * value here is what the table holds: each read of it was a statement of ≈ 0.7 ms of CPU,
   * several a slice (docs/performance.md, session 10). Offsets only move forward, so a read
   * that finishes after a later commit cannot set an older value.
   */
  private readonly offsets = new Map<string, number>();

  private remember(processor: string, seq: number): void {
    this.offsets.set(processor, Math.max(seq, this.offsets.get(processor) ?? seq));
  }

  private constructor(
    private instance: DuckDBInstance,
    private writer: DuckDBConnection,
    private reader: DuckDBConnection,
    private readonly path: string,
    private readonly settings: WarehouseSettings,
  ) {}

  /**
   * path ':memory:' for tests. One process may open a file once: DuckDB locks it.
   * DuckDB's buffer manager keeps blocks cached up to `memory_limit`, 80% of RAM by default:
   * on a server that also runs SQLite and Node that reads as unbounded growth, so the embedded
   * warehouse is capped (queries larger than the cap spill to disk, they do not fail).
   */
  static async open(path: string, settings: WarehouseSettings = {}): Promise<DuckDbEventStore> {
    const instance = await DuckDBInstance.create(path, instanceOptions(settings));
    const store = new DuckDbEventStore(
      instance,
      await instance.connect(),
      await instance.connect(),
      path,
      settings,
    );
    await store.migrate();
    return store;
  }

  async migrate(): Promise<void> {
    await this.writer.run(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMP NOT NULL)',
    );
    const result = await this.writer.runAndReadAll('SELECT max(version) AS v FROM schema_migrations');
    const current = Number(result.getRowObjects()[0]?.v ?? 0);
    for (const [index, sql] of MIGRATIONS.entries()) {
      const version = index + 1;
      if (version <= current) continue;
      await this.writer.run('BEGIN TRANSACTION');
      await this.writer.run(sql);
      await this.writer.run('INSERT INTO schema_migrations VALUES ($1, now())', [version]);
      await this.writer.run('COMMIT');
    }
  }

  async close(): Promise<void> {
    this.writer.closeSync();
    this.reader.closeSync();
    this.instance.closeSync();
  }

  async getOffset(processor: string): Promise<number> {
    const known = this.offsets.get(processor);
    if (known !== undefined) return known;
    return this.gate.shared(async () => {
      const result = await this.reader.runAndReadAll(
        'SELECT seq FROM processor_offsets WHERE processor = $1',
        [processor],
      );
      const row = result.getRowObjects()[0];
      if (row === undefined) return 0;
      this.remember(processor, Number(row.seq));
      return this.offsets.get(processor) as number;
    });
  }

  async appendWithOffset(processor: string, events: StoredEvent[], offset: number): Promise<void> {
    return this.gate.shared(async () => {
      await this.writer.run('BEGIN TRANSACTION');
      try {
        const known = this.offsets.get(processor);
        const current = known ?? (await this.storedOffset(processor));
        if (current >= offset) {
          await this.writer.run('ROLLBACK');
          return;
        }
        await this.appendRows(current > 0 ? events.filter((event) => event.seq > current) : events);
        // A plain UPDATE when the row is known to exist: half the upsert's cost.
        if (known !== undefined)
          await this.writer.run('UPDATE processor_offsets SET seq = $2 WHERE processor = $1', [
            processor,
            offset,
          ]);
        else
          await this.writer.run(
            `INSERT INTO processor_offsets VALUES ($1, $2)
             ON CONFLICT (processor) DO UPDATE SET seq = excluded.seq`,
            [processor, offset],
          );
        await this.writer.run('COMMIT');
        this.remember(processor, offset);
      } catch (error) {
        // What the table holds is read again next time.
        this.offsets.delete(processor);
        await this.writer.run('ROLLBACK');
        throw error;
      }
    });
  }

  async appendReplayed(events: StoredEvent[]): Promise<number> {
    return this.gate.shared(async () => {
      if (events.length === 0) return 0;
      await this.writer.run('BEGIN TRANSACTION');
      try {
        const ids = events.map((event) => event.messageId);
        const found = await this.writer.runAndReadAll(
          `SELECT DISTINCT message_id FROM events WHERE message_id IN (${ids.map((_, i) => `$${i + 1}`).join(', ')})`,
          ids,
        );
        const stored = new Set(found.getRowObjects().map((row) => String(row.message_id)));
        const fresh = events.filter((event) => !stored.has(event.messageId));
        await this.appendRows(fresh);
        await this.writer.run('COMMIT');
        return fresh.length;
      } catch (error) {
        await this.writer.run('ROLLBACK');
        throw error;
      }
    });
  }

  /** The offset as the writer's transaction sees it (0 when it has none yet). */
  private async storedOffset(processor: string): Promise<number> {
    const stored = await this.writer.runAndReadAll('SELECT seq FROM processor_offsets WHERE processor = $1', [
      processor,
    ]);
    return Number(stored.getRowObjects()[0]?.seq ?? 0);
  }

  /** Appends rows on the writer connection, inside the caller's transaction. */
  private async appendRows(events: StoredEvent[]): Promise<void> {
    if (events.length === 0) return;
    // Every value is converted before the appender opens: an event that cannot be stored (a
    // message without a timestamp that bypassed validation) fails here, with no appender
    // left holding half a batch. Column arrays, not an object per row: fewer allocations.
    const count = events.length;
    const seqs = new Array<bigint>(count);
    const timestamps = new Array<string>(count);
    const receivedAts = new Array<string>(count);
    const properties = new Array<string>(count);
    const messages = new Array<string>(count);
    for (let i = 0; i < count; i++) {
      const event = events[i] as StoredEvent;
      seqs[i] = BigInt(event.seq);
      timestamps[i] = utcIso(event.timestamp);
      receivedAts[i] = utcIso(event.receivedAt);
      properties[i] = JSON.stringify(event.properties);
      messages[i] = event.messageJson ?? JSON.stringify(event.message);
    }
    const appender = await this.writer.createAppender('events');
    for (let i = 0; i < count; i++) {
      const event = events[i] as StoredEvent;
      appender.appendBigInt(seqs[i] as bigint);
      appender.appendVarchar(event.messageId);
      appender.appendVarchar(event.profileId);
      appender.appendVarchar(event.type);
      appendNullable(appender, event.name);
      appendNullable(appender, event.userId);
      appendNullable(appender, event.anonymousId);
      // TIMESTAMP drops a UTC offset instead of applying it: store the instant in UTC.
      appender.appendVarchar(timestamps[i] as string);
      appender.appendVarchar(receivedAts[i] as string);
      appender.appendVarchar(properties[i] as string);
      appender.appendVarchar(messages[i] as string);
      appender.endRow();
    }
    appender.flushSync();
    appender.closeSync();
  }

  /** Writes the WAL into the database file now (DuckDB also does it past checkpoint_threshold). */
  async checkpoint(): Promise<void> {
    await this.gate.shared(() => this.writer.run('CHECKPOINT'));
  }

  async eventsOf(query: EventQuery): Promise<StoredEvent[]> {
    return this.gate.shared(async () => {
      if (query.profileIds.length === 0) return [];
      const params: DuckDBValue[] = [];
      const bind = (value: DuckDBValue) => {
        params.push(value);
        return `$${params.length}`;
      };
      const where = [`profile_id IN (${query.profileIds.map((id) => bind(id)).join(', ')})`];
      if (query.type) where.push(`type = ${bind(query.type)}`);
      if (query.name) where.push(`name = ${bind(query.name)}`);
      // TIMESTAMPTZ -> TIMESTAMP converts through DuckDB's TimeZone (the machine's local zone),
      // which shifted these bounds on any server not running in UTC: compare UTC strings instead.
      if (query.from) where.push(`timestamp >= CAST(${bind(utcIso(query.from))} AS TIMESTAMP)`);
      if (query.to) where.push(`timestamp < CAST(${bind(utcIso(query.to))} AS TIMESTAMP)`);
      if (query.before) {
        const at = bind(utcIso(query.before.timestamp));
        const seq = bind(query.before.seq);
        where.push(
          `(timestamp < CAST(${at} AS TIMESTAMP) OR (timestamp = CAST(${at} AS TIMESTAMP) AND seq < ${seq}))`,
        );
      }
      const sql = `SELECT ${EVENT_COLUMNS} FROM events WHERE ${where.join(' AND ')}
        ORDER BY timestamp DESC, seq DESC LIMIT ${Math.max(1, Math.floor(query.limit))}`;
      const result = await this.reader.runAndReadAll(sql, params);
      return result.getRowObjects().map(toEvent);
    });
  }

  async countEvents(): Promise<number> {
    return this.gate.shared(async () => {
      const result = await this.reader.runAndReadAll('SELECT count(*) AS n FROM events');
      return Number(result.getRowObjects()[0]?.n ?? 0);
    });
  }

  async countByMessageId(messageIds: string[]): Promise<Map<string, number>> {
    return this.gate.shared(async () => {
      const counts = new Map<string, number>();
      for (let i = 0; i < messageIds.length; i += 1000) {
        const part = messageIds.slice(i, i + 1000);
        const marks = part.map((_, j) => `$${j + 1}`).join(', ');
        const result = await this.reader.runAndReadAll(
          `SELECT message_id, count(*) AS n FROM events WHERE message_id IN (${marks}) GROUP BY message_id`,
          part,
        );
        for (const row of result.getRowObjects()) counts.set(String(row.message_id), Number(row.n));
      }
      return counts;
    });
  }
  async deleteEventsOf(profileIds: string[]): Promise<number> {
    const removed = await this.gate.shared(async () => {
      let count = 0;
      const ids = [...new Set(profileIds)];
      for (let i = 0; i < ids.length; i += 1000) {
        const part = ids.slice(i, i + 1000);
        const marks = part.map((_, j) => `$${j + 1}`).join(', ');
        const result = await this.writer.run(`DELETE FROM events WHERE profile_id IN (${marks})`, part);
        count += Number(result.rowsChanged);
      }
      return count;
    });
    // Even when nothing was left to delete: a crash may have come between a delete and its rewrite.
    await this.rewriteFile();
    return removed;
  }

  /**
   * Writes the database into a new file and puts it in the old one's place. A DELETE only
   * marks rows in their row groups, and a CHECKPOINT leaves the blocks it frees (strings
   * dictionaries included) with their old bytes in the file: a copy holds only the live rows,
   * and the old file's blocks leave with it. Costs a full copy of the event store, during
   * which its other operations wait (docs/privacy.md).
   */
  private async rewriteFile(): Promise<void> {
    if (this.path === ':memory:') {
      await this.gate.shared(() => this.writer.run('CHECKPOINT'));
      return;
    }
    await this.gate.exclusive(async () => {
      const fresh = `${this.path}.rewrite`;
      rmSync(fresh, { force: true });
      rmSync(`${fresh}.wal`, { force: true });
      await this.writer.run('CHECKPOINT');
      const name = (await this.writer.runAndReadAll('SELECT current_database() AS name')).getRowObjects()[0]
        ?.name as string;
      await this.writer.run(`ATTACH '${fresh.replaceAll("'", "''")}' AS rapport_rewrite`);
      await this.writer.run(`COPY FROM DATABASE "${name}" TO rapport_rewrite`);
      await this.writer.run('DETACH rapport_rewrite');
      this.writer.closeSync();
      this.reader.closeSync();
      this.instance.closeSync();
      // Closing checkpointed the old file; a WAL left beside it must not be replayed into the copy.
      if (existsSync(`${this.path}.wal`)) rmSync(`${this.path}.wal`);
      renameSync(fresh, this.path);
      this.instance = await DuckDBInstance.create(this.path, instanceOptions(this.settings));
      this.writer = await this.instance.connect();
      this.reader = await this.instance.connect();
    });
  }

  async query(sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
    return this.gate.shared(async () => {
      // A connection of its own: queries run concurrently, and a read-only transaction is
      // per connection.
      const connection = await this.instance.connect();
      try {
        await connection.run('BEGIN TRANSACTION READ ONLY');
        const result = await connection.runAndReadAll(sql, params as DuckDBValue[]);
        await connection.run('ROLLBACK');
        return result
          .getRowObjectsJS()
          .map((row) =>
            Object.fromEntries(Object.entries(row).map(([key, value]) => [key, plainValue(value)])),
          );
      } finally {
        connection.closeSync();
      }
    });
  }
}

/** DuckDB's JS values made plain: bigints as numbers, timestamps as ISO strings. */
function plainValue(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Date) return value.toISOString();
  return value;
}

function utcIso(timestamp: string): string {
  if (typeof timestamp !== 'string')
    // The code marks a refusal of the message's content (the quarantine sets it aside).
    throw Object.assign(new TypeError(`not a timestamp: ${JSON.stringify(timestamp)}`), {
      code: 'RAPPORT_STORE_INVALID_VALUE',
    });
  return timestamp.endsWith('Z') ? timestamp : new Date(timestamp).toISOString();
}

function appendNullable(
  appender: { appendVarchar(v: string): void; appendNull(): void },
  value: string | null,
) {
  if (value === null) appender.appendNull();
  else appender.appendVarchar(value);
}
