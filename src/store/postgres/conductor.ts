// The conductor store on PostgreSQL: its SQL is shared (../sql/conductor.ts); here is what
// differs. Same tables as the embedded engine, on its own migration component (`conductor`).
// Several processes share the work: the journey processor holds its offset row with FOR UPDATE
// SKIP LOCKED (one process per slice), due timers and outbox rows are claimed with FOR UPDATE
// SKIP LOCKED (each taken by exactly one process), instance writes are compare-and-set on the
// revision, and cap slots move with a conditional UPDATE.
import type pg from 'pg';
import { type ClaimedOutboxRow, type ConductorEngine, SqlConductorStore } from '../sql/conductor.ts';
import { postgresDialect } from '../sql/dialect.ts';
import { postgresExecutor, type SqlExecutor } from '../sql/executor.ts';
import { raw, type StoreDialect, sql } from '../sql/query.ts';
import type { QuarantineWrites } from '../types.ts';
import {
  connectPostgres,
  inTransaction,
  migratedOrClosed,
  migratePostgres,
  type PostgresConnection,
  type PostgresOpenOptions,
} from './connection.ts';
import { settledTransaction, withProcessorOffset } from './offsets.ts';
import { postgresQuarantineWrites, QUARANTINE_TABLE_SQL } from './quarantine.ts';

const MIGRATIONS: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS processor_offsets (processor text PRIMARY KEY, seq bigint NOT NULL);
   CREATE TABLE journeys (
     journey_id text PRIMARY KEY, version integer NOT NULL, status text NOT NULL,
     created_at text NOT NULL, updated_at text NOT NULL
   );
   CREATE TABLE journey_versions (
     journey_id text NOT NULL, version integer NOT NULL, definition jsonb NOT NULL, saved_at text NOT NULL,
     PRIMARY KEY (journey_id, version)
   );
   CREATE TABLE journey_instances (
     instance_id text PRIMARY KEY, journey_id text NOT NULL, journey_version integer NOT NULL,
     profile_id text NOT NULL, revision integer NOT NULL, active boolean NOT NULL, step_id text NOT NULL,
     body jsonb NOT NULL, entered_at text NOT NULL, exited_at text, exit_reason text
   );
   CREATE UNIQUE INDEX journey_instances_one_active ON journey_instances (journey_id, profile_id) WHERE active;
   CREATE INDEX journey_instances_by_profile ON journey_instances (profile_id, journey_id);
   CREATE INDEX journey_instances_by_journey ON journey_instances (journey_id, active, step_id);
   CREATE TABLE journey_step_counts (
     journey_id text NOT NULL, step_id text NOT NULL, passes bigint NOT NULL,
     PRIMARY KEY (journey_id, step_id)
   );
   CREATE TABLE journey_timers (
     token text PRIMARY KEY, instance_id text NOT NULL, journey_id text NOT NULL,
     profile_id text NOT NULL, due_at text NOT NULL
   );
   CREATE INDEX journey_timers_due ON journey_timers (due_at);
   CREATE TABLE outbox (
     id bigserial PRIMARY KEY, idempotency_key text NOT NULL UNIQUE, profile_id text NOT NULL,
     journey_id text, instance_id text, step_id text, origin text NOT NULL, kind text NOT NULL,
     payload jsonb NOT NULL, status text NOT NULL, attempts integer NOT NULL DEFAULT 0,
     next_attempt_at text NOT NULL, lease_until text, created_at text NOT NULL, updated_at text NOT NULL,
     last_error text, decision_code text, decision_reason text, channel text,
     provider_message_id text, sent_at text
   );
   CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
   CREATE INDEX outbox_by_profile ON outbox (profile_id, id);
   CREATE INDEX outbox_by_journey ON outbox (journey_id, id);
   CREATE TABLE cap_counters (
     profile_id text NOT NULL, bucket_key text NOT NULL, count integer NOT NULL,
     PRIMARY KEY (profile_id, bucket_key)
   );
   CREATE TABLE decisions (
     id bigserial PRIMARY KEY, at text NOT NULL, profile_id text NOT NULL, journey_id text,
     step_id text, idempotency_key text NOT NULL, channel text, action text NOT NULL, code text NOT NULL,
     reason text NOT NULL, until text
   );
   CREATE INDEX decisions_by_profile ON decisions (profile_id, id);
   CREATE INDEX decisions_by_journey ON decisions (journey_id, id);
   CREATE TABLE channel_suppressions (
     profile_id text NOT NULL, channel text NOT NULL, scope text NOT NULL, reason text NOT NULL, at text NOT NULL,
     PRIMARY KEY (profile_id, channel, scope)
   );
   CREATE TABLE schedule_marks (key text PRIMARY KEY, value text NOT NULL);`,
  // The dashboard counts a day's decisions (countDecisions) without reading the whole log.
  'CREATE INDEX decisions_by_at ON decisions (at);',
  // The journeys processor sets entries aside in its own transaction (docs/quarantine.md); the
  // state store creates the same table, whichever migrates the schema first.
  QUARANTINE_TABLE_SQL,
];

class PostgresConductorEngine implements ConductorEngine {
  readonly engine = 'postgres' as const;
  readonly dialect: StoreDialect;
  readonly reads: SqlExecutor;
  private readonly pool: pg.Pool;

  constructor(private readonly connection: PostgresConnection) {
    this.pool = connection.pool;
    this.dialect = postgresDialect(connection.schema);
    this.reads = postgresExecutor(this.pool, this.dialect);
  }

  /** Each statement commits on its own (the pool's autocommit). */
  writes<T>(work: (x: SqlExecutor) => Promise<T>): Promise<T> {
    return work(this.reads);
  }

  transaction<T>(work: (x: SqlExecutor) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, (client) => work(postgresExecutor(client, this.dialect)));
  }

  async step<T>(work: (x: SqlExecutor, quarantine: QuarantineWrites) => Promise<T>): Promise<T> {
    return (await settledTransaction(this.pool, (client) =>
      work(postgresExecutor(client, this.dialect), this.quarantine(client)),
    )) as T;
  }

  processorStep<T>(
    processor: string,
    work: (x: SqlExecutor, quarantine: QuarantineWrites, offset: number) => Promise<T>,
  ): Promise<T | undefined> {
    return withProcessorOffset(
      this.pool,
      this.dialect.table('processor_offsets'),
      processor,
      (client, offset) => work(postgresExecutor(client, this.dialect), this.quarantine(client), offset),
    );
  }

  /**
   * The CTE locks the rows it picks and skips rows another process is claiming; the UPDATE
   * marks them `sending` with a lease in the same statement, so each row goes to one process.
   */
  async claimOutbox(now: string, limit: number, leaseUntil: string): Promise<ClaimedOutboxRow[]> {
    const outbox = raw(this.dialect.table('outbox'));
    const rows = await this.reads.all<ClaimedOutboxRow>(
      sql`WITH picked AS (
         SELECT id, status AS was FROM ${outbox}
         WHERE (status IN ('queued', 'deferred') AND next_attempt_at <= ${now}) OR (status = 'sending' AND lease_until <= ${now})
         ORDER BY next_attempt_at, id LIMIT ${limit} FOR UPDATE SKIP LOCKED)
       UPDATE ${outbox} o SET status = 'sending', lease_until = ${leaseUntil}, updated_at = ${now}
       FROM picked WHERE o.id = picked.id
       RETURNING o.*, picked.was`,
    );
    return rows.sort((a, b) => Number(a.id) - Number(b.id));
  }

  private quarantine(client: pg.PoolClient): QuarantineWrites {
    return postgresQuarantineWrites(client, this.dialect);
  }

  async migrate(): Promise<void> {
    await migratePostgres(this.pool, this.connection.schema, {
      component: 'conductor',
      migrations: MIGRATIONS,
    });
  }

  async close(): Promise<void> {
    await this.connection.close();
  }
}

export class PostgresConductorStore extends SqlConductorStore {
  static async open(url: string, options: PostgresOpenOptions = {}): Promise<PostgresConductorStore> {
    return migratedOrClosed(
      new PostgresConductorStore(new PostgresConductorEngine(connectPostgres(url, options))),
      (store) => store.migrate(),
    );
  }
}
