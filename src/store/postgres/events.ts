import type pg from 'pg';
import type { EventQuery, EventStore, StoredEvent } from '../types.ts';
import {
  connectPostgres,
  inTransaction,
  migratedOrClosed,
  migratePostgres,
  type PostgresConnection,
  type PostgresOpenOptions,
} from './connection.ts';
import { EVENT_MIGRATIONS } from './migrations.ts';
import { getOffset, setOffset } from './profiles.ts';
import { type EventDbRow, toEvent } from './rows.ts';
import {
  ADVISORY_XACT_LOCK_SQL,
  advisoryLockParams,
  chunk,
  isStorableJson,
  quoteIdent,
  storableJson,
  storableText,
  toNumber,
} from './sql.ts';

/** Events per INSERT: one JSON document whatever the count; this bounds one statement's size. */
export const EVENT_INSERT_ROWS = 1000;

const EVENT_COLUMNS =
  'seq, message_id, profile_id, type, name, user_id, anonymous_id, timestamp, received_at, properties, message';

export interface SqlQuery {
  text: string;
  values: unknown[];
}

/**
 * The events go as one JSON document, `jsonb_to_recordset` turning it into rows: each
 * message is the log's own text, spliced in as it is. As one array per column (`unnest`),
 * node-postgres escaped every quote of every message into PostgreSQL's array syntax and
 * PostgreSQL unescaped them before parsing the JSON: 29-41 µs of CPU an event here and 39-52
 * there, against 11-16 and 34-39 (docs/performance.md, "Ingest", session 9). An event's
 * properties are its message's `properties`: when they are that same object (as the warehouse
 * step makes them), the document leaves them out and PostgreSQL takes them from the message.
 */
export function insertEventsSql(table: string): string {
  return `INSERT INTO ${table} (${EVENT_COLUMNS})
    SELECT seq, message_id, profile_id, type, name, user_id, anonymous_id, timestamp, received_at,
      coalesce(properties, message -> 'properties'), message
    FROM jsonb_to_recordset($1::jsonb) AS e(seq bigint, message_id text, profile_id text, type text,
      name text, user_id text, anonymous_id text, timestamp timestamptz, received_at timestamptz,
      properties jsonb, message jsonb)`;
}

/** The message as jsonb will take it: the log's own text when it is storable as it is. */
function messageText(event: StoredEvent): string {
  const text = event.messageJson;
  return text !== undefined && isStorableJson(text) ? text : storableJson(event.message);
}

/** A text value as JSON jsonb takes (U+0000 and lone surrogates become U+FFFD), or null. */
const textValue = (text: string | null) => (text === null ? 'null' : storableJson(text));

/** The JSON document insertEventsSql reads. */
export function eventRecordset(events: readonly StoredEvent[]): string {
  const rows = events.map((e) => {
    const properties =
      e.properties === e.message.properties ? '' : `,"properties":${storableJson(e.properties)}`;
    return `{"seq":${e.seq},"message_id":${textValue(e.messageId)},"profile_id":${textValue(e.profileId)},"type":${textValue(e.type)},"name":${textValue(e.name)},"user_id":${textValue(e.userId)},"anonymous_id":${textValue(e.anonymousId)},"timestamp":${textValue(e.timestamp)},"received_at":${textValue(e.receivedAt)}${properties},"message":${messageText(e)}}`;
  });
  return `[${rows.join(',')}]`;
}

/** The newest-first page of a profile's events, with DuckDB's filters and cursor. */
export function eventsOfSql(table: string, query: EventQuery): SqlQuery {
  const values: unknown[] = [];
  const bind = (value: unknown) => {
    values.push(value);
    return `$${values.length}`;
  };
  const where = [`profile_id = ANY(${bind(query.profileIds.map((id) => storableText(id)))}::text[])`];
  if (query.type) where.push(`type = ${bind(query.type)}`);
  if (query.name) where.push(`name = ${bind(query.name)}`);
  if (query.from) where.push(`timestamp >= ${bind(query.from)}::timestamptz`);
  if (query.to) where.push(`timestamp < ${bind(query.to)}::timestamptz`);
  if (query.before) {
    // A row comparison matches the (profile_id, timestamp DESC, seq DESC) index order.
    where.push(
      `(timestamp, seq) < (${bind(query.before.timestamp)}::timestamptz, ${bind(query.before.seq)}::bigint)`,
    );
  }
  const limit = bind(Math.max(1, Math.floor(query.limit)));
  return {
    text: `SELECT ${EVENT_COLUMNS} FROM ${table} WHERE ${where.join(' AND ')}
      ORDER BY timestamp DESC, seq DESC LIMIT ${limit}`,
    values,
  };
}

export class PostgresEventStore implements EventStore {
  readonly engine = 'postgres' as const;
  private readonly pool: pg.Pool;
  private readonly tables: PostgresConnection['tables'];

  private constructor(private readonly connection: PostgresConnection) {
    this.pool = connection.pool;
    this.tables = connection.tables;
  }

  static async open(url: string, options: PostgresOpenOptions = {}): Promise<PostgresEventStore> {
    return migratedOrClosed(new PostgresEventStore(connectPostgres(url, options)), (store) =>
      store.migrate(),
    );
  }

  async migrate(): Promise<void> {
    await migratePostgres(this.pool, this.connection.schema, {
      component: 'events',
      migrations: EVENT_MIGRATIONS,
    });
  }

  async close(): Promise<void> {
    await this.connection.close();
  }

  async getOffset(processor: string): Promise<number> {
    return getOffset(this.pool, this.tables.eventProcessorOffsets, processor);
  }

  async appendWithOffset(processor: string, events: StoredEvent[], offset: number): Promise<void> {
    await inTransaction(this.pool, async (client) => {
      const current = await this.lockOffset(client, processor);
      // Another worker already stored this slice (or a later one): add nothing, never move back.
      if (current >= offset) return;
      const fresh = events.filter((event) => event.seq > current);
      for (const part of chunk(fresh, EVENT_INSERT_ROWS)) {
        await client.query(insertEventsSql(this.tables.events), [eventRecordset(part)]);
      }
      await setOffset(client, this.tables.eventProcessorOffsets, processor, offset);
    });
  }

  async appendReplayed(events: StoredEvent[]): Promise<number> {
    if (events.length === 0) return 0;
    return inTransaction(this.pool, async (client) => {
      // Two replays of one message at once (two processes): the second waits, then finds it.
      await client.query(ADVISORY_XACT_LOCK_SQL, advisoryLockParams(`${this.connection.schema}:replay`));
      const { rows } = await client.query<{ message_id: string }>(
        `SELECT DISTINCT message_id FROM ${this.tables.events} WHERE message_id = ANY($1::text[])`,
        [events.map((event) => storableText(event.messageId))],
      );
      const stored = new Set(rows.map((row) => row.message_id));
      const fresh = events.filter((event) => !stored.has(storableText(event.messageId)));
      for (const part of chunk(fresh, EVENT_INSERT_ROWS)) {
        await client.query(insertEventsSql(this.tables.events), [eventRecordset(part)]);
      }
      return fresh.length;
    });
  }

  /**
   * The processor's stored offset, with its row locked until the transaction ends: a second
   * process appending the same slice waits here, then reads the offset the first committed.
   */
  private async lockOffset(client: pg.PoolClient, processor: string): Promise<number> {
    const table = this.tables.eventProcessorOffsets;
    await client.query(`INSERT INTO ${table} (processor, seq) VALUES ($1, 0) ON CONFLICT DO NOTHING`, [
      processor,
    ]);
    const { rows } = await client.query<{ seq: string }>(
      `SELECT seq FROM ${table} WHERE processor = $1 FOR UPDATE`,
      [processor],
    );
    return toNumber(rows[0]?.seq ?? 0);
  }

  async eventsOf(query: EventQuery): Promise<StoredEvent[]> {
    if (query.profileIds.length === 0) return [];
    const { text, values } = eventsOfSql(this.tables.events, query);
    const { rows } = await this.pool.query<EventDbRow>(text, values);
    return rows.map(toEvent);
  }

  async countEvents(): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.tables.events}`);
    return toNumber(rows[0]?.n ?? 0);
  }

  async countByMessageId(messageIds: string[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const part of chunk(messageIds, 10_000)) {
      const { rows } = await this.pool.query<{ message_id: string; n: string }>(
        `SELECT message_id, count(*) AS n FROM ${this.tables.events}
         WHERE message_id = ANY($1::text[]) GROUP BY message_id`,
        [part.map((id) => storableText(id))],
      );
      for (const row of rows) counts.set(row.message_id, toNumber(row.n));
    }
    return counts;
  }
  async deleteEventsOf(profileIds: string[]): Promise<number> {
    if (profileIds.length === 0) return 0;
    const result = await this.pool.query(
      `DELETE FROM ${this.tables.events} WHERE profile_id = ANY($1::text[])`,
      [[...new Set(profileIds)].map((id) => storableText(id))],
    );
    return result.rowCount ?? 0;
  }

  async query(sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
    return inTransaction(this.pool, async (client) => {
      // Read-only, and unqualified names resolve to this store's schema.
      await client.query('SET TRANSACTION READ ONLY');
      await client.query(`SET LOCAL search_path TO ${quoteIdent(this.connection.schema)}, public`);
      const result = await client.query(sql, params);
      return result.rows.map((row) => plainRow(row, result.fields));
    });
  }
}

const NUMERIC_TYPES = new Set([20, 21, 23, 700, 701, 1700]);

/** pg returns int8 and numeric as strings and timestamps as Dates: make them plain. */
function plainRow(row: Record<string, unknown>, fields: pg.FieldDef[]): Record<string, unknown> {
  const plain: Record<string, unknown> = {};
  for (const field of fields) {
    const value = row[field.name];
    if (value instanceof Date) plain[field.name] = value.toISOString();
    else if (typeof value === 'string' && NUMERIC_TYPES.has(field.dataTypeID))
      plain[field.name] = Number(value);
    else plain[field.name] = value;
  }
  return plain;
}
