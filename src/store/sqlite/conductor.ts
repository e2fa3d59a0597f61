// The conductor store on the embedded engine: its SQL is shared (../sql/conductor.ts); here
// is what differs. Its own connection to state.sqlite and its own migration track
// (conductor_schema_migrations), so its tables never renumber the state store's. One process
// owns the embedded files, so there is nothing to share: every write is a transaction queued on
// this connection, one after another (the runner's loops interleave at awaits), never sleeping
// on the lock (asyncWriter).
import { type ClaimedOutboxRow, type ConductorEngine, SqlConductorStore } from '../sql/conductor.ts';
import { sqliteDialect } from '../sql/dialect.ts';
import { type SqlExecutor, sqliteExecutor } from '../sql/executor.ts';
import { sql } from '../sql/query.ts';
import type { QuarantineWrites } from '../types.ts';
import {
  type AsyncWriter,
  asyncWriter,
  migrateSqlite,
  openSqlite,
  type SqliteDatabase,
} from './connection.ts';
import { QUARANTINE_TABLE_SQL, sqliteQuarantineWrites } from './quarantine.ts';

const MIGRATIONS: string[] = [
  `CREATE TABLE IF NOT EXISTS processor_offsets (processor TEXT PRIMARY KEY, seq INTEGER NOT NULL);
   CREATE TABLE journeys (
     journey_id TEXT PRIMARY KEY, version INTEGER NOT NULL, status TEXT NOT NULL,
     created_at TEXT NOT NULL, updated_at TEXT NOT NULL
   );
   CREATE TABLE journey_versions (
     journey_id TEXT NOT NULL, version INTEGER NOT NULL, definition TEXT NOT NULL, saved_at TEXT NOT NULL,
     PRIMARY KEY (journey_id, version)
   ) WITHOUT ROWID;
   CREATE TABLE journey_instances (
     instance_id TEXT PRIMARY KEY, journey_id TEXT NOT NULL, journey_version INTEGER NOT NULL,
     profile_id TEXT NOT NULL, revision INTEGER NOT NULL, active INTEGER NOT NULL, step_id TEXT NOT NULL,
     body TEXT NOT NULL, entered_at TEXT NOT NULL, exited_at TEXT, exit_reason TEXT
   );
   CREATE UNIQUE INDEX journey_instances_one_active ON journey_instances (journey_id, profile_id) WHERE active = 1;
   CREATE INDEX journey_instances_by_profile ON journey_instances (profile_id, journey_id);
   CREATE INDEX journey_instances_by_journey ON journey_instances (journey_id, active, step_id);
   CREATE TABLE journey_step_counts (
     journey_id TEXT NOT NULL, step_id TEXT NOT NULL, passes INTEGER NOT NULL,
     PRIMARY KEY (journey_id, step_id)
   ) WITHOUT ROWID;
   CREATE TABLE journey_timers (
     token TEXT PRIMARY KEY, instance_id TEXT NOT NULL, journey_id TEXT NOT NULL,
     profile_id TEXT NOT NULL, due_at TEXT NOT NULL
   );
   CREATE INDEX journey_timers_due ON journey_timers (due_at);
   CREATE TABLE outbox (
     id INTEGER PRIMARY KEY AUTOINCREMENT, idempotency_key TEXT NOT NULL UNIQUE, profile_id TEXT NOT NULL,
     journey_id TEXT, instance_id TEXT, step_id TEXT, origin TEXT NOT NULL, kind TEXT NOT NULL,
     payload TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
     next_attempt_at TEXT NOT NULL, lease_until TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
     last_error TEXT, decision_code TEXT, decision_reason TEXT, channel TEXT,
     provider_message_id TEXT, sent_at TEXT
   );
   CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
   CREATE INDEX outbox_by_profile ON outbox (profile_id, id);
   CREATE INDEX outbox_by_journey ON outbox (journey_id, id);
   CREATE TABLE cap_counters (
     profile_id TEXT NOT NULL, bucket_key TEXT NOT NULL, count INTEGER NOT NULL,
     PRIMARY KEY (profile_id, bucket_key)
   ) WITHOUT ROWID;
   CREATE TABLE decisions (
     id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, profile_id TEXT NOT NULL, journey_id TEXT,
     step_id TEXT, idempotency_key TEXT NOT NULL, channel TEXT, action TEXT NOT NULL, code TEXT NOT NULL,
     reason TEXT NOT NULL, until TEXT
   );
   CREATE INDEX decisions_by_profile ON decisions (profile_id, id);
   CREATE INDEX decisions_by_journey ON decisions (journey_id, id);
   CREATE TABLE channel_suppressions (
     profile_id TEXT NOT NULL, channel TEXT NOT NULL, scope TEXT NOT NULL, reason TEXT NOT NULL, at TEXT NOT NULL,
     PRIMARY KEY (profile_id, channel, scope)
   ) WITHOUT ROWID;
   CREATE TABLE schedule_marks (key TEXT PRIMARY KEY, value TEXT NOT NULL);`,
  // The dashboard counts a day's decisions (countDecisions) without reading the whole log.
  'CREATE INDEX decisions_by_at ON decisions (at);',
  // The journeys processor sets entries aside in its own transaction (docs/quarantine.md); the
  // state store creates the same table, whichever opens a fresh file first.
  QUARANTINE_TABLE_SQL,
];

function migrate(db: SqliteDatabase): void {
  migrateSqlite(db, MIGRATIONS, 'conductor_schema_migrations');
}

class SqliteConductorEngine implements ConductorEngine {
  readonly engine = 'sqlite' as const;
  readonly dialect = sqliteDialect;
  readonly reads: SqlExecutor;
  private readonly db: SqliteDatabase;
  /** Transactions on this one connection, one after another, never sleeping on the lock. */
  private readonly serial: AsyncWriter;

  constructor(statePath: string) {
    this.db = openSqlite(statePath, { synchronous: 'NORMAL' });
    migrate(this.db);
    this.reads = sqliteExecutor(this.db);
    // This connection is used on the HTTP thread. SQLite's busy handler waits for the pipeline
    // worker's write lock by sleeping the calling thread, which would stall every request for
    // as long: fail at once instead, and wait between tries asynchronously (asyncWriter).
    this.serial = asyncWriter(this.db);
  }

  writes<T>(work: (x: SqlExecutor) => Promise<T>): Promise<T> {
    return this.serial(() => work(this.reads));
  }

  transaction<T>(work: (x: SqlExecutor) => Promise<T>): Promise<T> {
    return this.serial(() => work(this.reads));
  }

  step<T>(work: (x: SqlExecutor, quarantine: QuarantineWrites) => Promise<T>): Promise<T> {
    return this.serial(() => work(this.reads, sqliteQuarantineWrites(this.db)));
  }

  processorStep<T>(
    processor: string,
    work: (x: SqlExecutor, quarantine: QuarantineWrites, offset: number) => Promise<T>,
  ): Promise<T | undefined> {
    return this.serial(async () => {
      const row = this.db.prepare('SELECT seq FROM processor_offsets WHERE processor = ?').get(processor) as
        | { seq: number }
        | undefined;
      return work(this.reads, sqliteQuarantineWrites(this.db), row?.seq ?? 0);
    });
  }

  /** One writer at a time: select the due rows, then mark them, in one queued transaction. */
  claimOutbox(now: string, limit: number, leaseUntil: string): Promise<ClaimedOutboxRow[]> {
    return this.serial(async () => {
      const rows = await this.reads.all<ClaimedOutboxRow>(
        sql`SELECT *, status AS was FROM outbox
         WHERE (status IN ('queued', 'deferred') AND next_attempt_at <= ${now}) OR (status = 'sending' AND lease_until <= ${now})
         ORDER BY next_attempt_at, id LIMIT ${limit}`,
      );
      for (const row of rows)
        await this.reads.run(
          sql`UPDATE outbox SET status = 'sending', lease_until = ${leaseUntil}, updated_at = ${now} WHERE id = ${row.id}`,
        );
      return rows.map((row) => ({ ...row, status: 'sending' as const, lease_until: leaseUntil }));
    });
  }

  async migrate(): Promise<void> {
    migrate(this.db);
  }

  async close(): Promise<void> {
    await this.serial.idle();
    this.db.close();
  }
}

export class SqliteConductorStore extends SqlConductorStore {
  constructor(statePath: string) {
    super(new SqliteConductorEngine(statePath));
  }
}
