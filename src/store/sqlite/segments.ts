// The segment store on the embedded engine: its SQL is shared (../sql/segments.ts); here is
// what differs. Its own connection to state.sqlite and its own migration track
// (segment_schema_migrations), so its tables never renumber the state store's. The
// processor's offset is the `segments` row of processor_offsets. One process owns the file:
// a step needs no lock, and the commit writes row by row in one queued transaction.
import { funnelTalliesSql, talliesFromRows } from '../funnel-sql.ts';
import type { FunnelCohortFilter, FunnelTallies, SegmentChanges } from '../segment-types.ts';
import { sqliteDialect } from '../sql/dialect.ts';
import { type SqlExecutor, sqliteExecutor } from '../sql/executor.ts';
import { SEGMENTS_PROCESSOR, type SegmentEngine, SqlSegmentStore } from '../sql/segments.ts';
import {
  type AsyncWriter,
  asyncWriter,
  migrateSqlite,
  openSqlite,
  type SqliteDatabase,
} from './connection.ts';
import { putQuarantine, QUARANTINE_TABLE_SQL, releaseQuarantine } from './quarantine.ts';

export { SEGMENTS_PROCESSOR } from '../sql/segments.ts';

const MIGRATIONS: string[] = [
  `CREATE TABLE IF NOT EXISTS processor_offsets (processor TEXT PRIMARY KEY, seq INTEGER NOT NULL);
   CREATE TABLE segments (
     id TEXT PRIMARY KEY, name TEXT NOT NULL, rule TEXT NOT NULL, text TEXT NOT NULL,
     version INTEGER NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL
   );
   CREATE TABLE segment_members (
     segment_id TEXT NOT NULL, profile_id TEXT NOT NULL, since TEXT NOT NULL, reason TEXT NOT NULL,
     PRIMARY KEY (segment_id, profile_id)
   ) WITHOUT ROWID;
   CREATE INDEX segment_members_by_profile ON segment_members (profile_id);
   CREATE TABLE segment_history (
     id INTEGER PRIMARY KEY AUTOINCREMENT, segment_id TEXT NOT NULL, profile_id TEXT NOT NULL,
     change TEXT NOT NULL, at TEXT NOT NULL, reason TEXT NOT NULL
   );
   CREATE INDEX segment_history_by_segment ON segment_history (segment_id, profile_id);
   CREATE TABLE segment_profile_state (
     profile_id TEXT PRIMARY KEY, state TEXT NOT NULL, next_check_at INTEGER, evaluated_at INTEGER
   );
   CREATE INDEX segment_rechecks ON segment_profile_state (next_check_at) WHERE next_check_at IS NOT NULL;
   CREATE TABLE funnels (
     id TEXT PRIMARY KEY, definition TEXT NOT NULL, version INTEGER NOT NULL, status TEXT NOT NULL,
     updated_at TEXT NOT NULL
   );
   CREATE TABLE lifecycle_stage (
     funnel_id TEXT NOT NULL, profile_id TEXT NOT NULL, stage TEXT NOT NULL, since TEXT NOT NULL,
     PRIMARY KEY (funnel_id, profile_id)
   ) WITHOUT ROWID;
   CREATE INDEX lifecycle_stage_by_profile ON lifecycle_stage (profile_id);
   CREATE TABLE lifecycle_history (
     id INTEGER PRIMARY KEY AUTOINCREMENT, funnel_id TEXT NOT NULL, profile_id TEXT NOT NULL,
     from_stage TEXT, to_stage TEXT, at TEXT NOT NULL
   );
   CREATE INDEX lifecycle_history_by_funnel ON lifecycle_history (funnel_id, profile_id);
   CREATE TABLE segment_outbox (message_id TEXT PRIMARY KEY, json TEXT NOT NULL, created_at TEXT NOT NULL);
   CREATE TABLE segment_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);`,
  // Membership over time reads the recent days of history: covered by this index.
  'CREATE INDEX segment_history_by_time ON segment_history (at, segment_id, change);',
  // Whose membership a pending entry reports: erasure deletes by profile_id in every table.
  'ALTER TABLE segment_outbox ADD COLUMN profile_id TEXT;',
  // The segments processor sets entries aside in the same commit as its offset
  // (docs/quarantine.md); the state store creates the same table, whichever opens first.
  QUARANTINE_TABLE_SQL,
];

function migrate(db: SqliteDatabase): void {
  migrateSqlite(db, MIGRATIONS, 'segment_schema_migrations');
}

class SqliteSegmentEngine implements SegmentEngine {
  readonly dialect = sqliteDialect;
  readonly outboxOrder = 'rowid';
  private readonly db: SqliteDatabase;
  private readonly x: SqlExecutor;
  /**
   * Segments are saved on the HTTP thread (the segment API) and committed in the pipeline
   * worker beside other connections to the same file: neither may sleep on the write lock.
   */
  private readonly writing: AsyncWriter;

  constructor(statePath: string) {
    this.db = openSqlite(statePath, { synchronous: 'NORMAL' });
    migrate(this.db);
    this.x = sqliteExecutor(this.db);
    this.writing = asyncWriter(this.db);
  }

  current(): SqlExecutor {
    return this.x;
  }

  writes<T>(work: (x: SqlExecutor) => Promise<T>): Promise<T> {
    return this.writing(() => work(this.x));
  }

  transaction<T>(work: (x: SqlExecutor) => Promise<T>): Promise<T> {
    return this.writing(() => work(this.x));
  }

  async exclusive<T>(work: () => Promise<T>): Promise<T | undefined> {
    return work();
  }

  async commit(changes: SegmentChanges, offset: number): Promise<void> {
    return this.writing(() => {
      this.write(changes, offset);
      for (const entry of changes.quarantine ?? []) putQuarantine(this.db, entry);
      for (const id of changes.releaseQuarantined ?? []) releaseQuarantine(this.db, id);
    });
  }

  /** Synchronous: the whole commit is one statement run after another, with no yield between. */
  private write(changes: SegmentChanges, offset: number): void {
    const db = this.db;
    const putState = db.prepare('INSERT OR REPLACE INTO segment_profile_state VALUES (?, ?, ?, ?)');
    for (const s of changes.states)
      putState.run(s.profileId, JSON.stringify(s.state), s.nextCheckAt, s.evaluatedAt);
    const dropState = db.prepare('DELETE FROM segment_profile_state WHERE profile_id = ?');
    for (const id of changes.deleteStates) dropState.run(id);
    const dropMember = db.prepare('DELETE FROM segment_members WHERE segment_id = ? AND profile_id = ?');
    for (const m of changes.removeMembers) dropMember.run(m.segmentId, m.profileId);
    const putMember = db.prepare('INSERT OR REPLACE INTO segment_members VALUES (?, ?, ?, ?)');
    for (const m of changes.addMembers) putMember.run(m.segmentId, m.profileId, m.since, m.reason);
    const dropHistory = db.prepare('DELETE FROM segment_history WHERE segment_id = ? AND profile_id = ?');
    for (const m of changes.replaceMembershipHistory ?? []) dropHistory.run(m.segmentId, m.profileId);
    const putHistory = db.prepare(
      'INSERT INTO segment_history (segment_id, profile_id, change, at, reason) VALUES (?, ?, ?, ?, ?)',
    );
    for (const h of changes.history) putHistory.run(h.segmentId, h.profileId, h.change, h.at, h.reason);
    const dropStage = db.prepare('DELETE FROM lifecycle_stage WHERE funnel_id = ? AND profile_id = ?');
    for (const s of changes.removeStages) dropStage.run(s.funnelId, s.profileId);
    const putStage = db.prepare('INSERT OR REPLACE INTO lifecycle_stage VALUES (?, ?, ?, ?)');
    for (const s of changes.setStages) putStage.run(s.funnelId, s.profileId, s.stage, s.since);
    const dropStageHistory = db.prepare(
      'DELETE FROM lifecycle_history WHERE funnel_id = ? AND profile_id = ?',
    );
    for (const s of changes.replaceStageHistory ?? []) dropStageHistory.run(s.funnelId, s.profileId);
    const putStageHistory = db.prepare(
      'INSERT INTO lifecycle_history (funnel_id, profile_id, from_stage, to_stage, at) VALUES (?, ?, ?, ?, ?)',
    );
    for (const h of changes.stageHistory)
      putStageHistory.run(h.funnelId, h.profileId, h.fromStage, h.toStage, h.at);
    const putOutbox = db.prepare(
      'INSERT OR IGNORE INTO segment_outbox (message_id, json, created_at, profile_id) VALUES (?, ?, ?, ?)',
    );
    for (const o of changes.outbox) putOutbox.run(o.messageId, o.json, o.createdAt, o.profileId ?? null);
    const putMeta = db.prepare('INSERT OR REPLACE INTO segment_meta VALUES (?, ?)');
    for (const [key, value] of Object.entries(changes.meta)) putMeta.run(key, JSON.stringify(value));
    db.prepare(
      'INSERT INTO processor_offsets (processor, seq) VALUES (?, ?) ON CONFLICT (processor) DO UPDATE SET seq = excluded.seq',
    ).run(SEGMENTS_PROCESSOR, offset);
  }

  async funnelTallies(
    funnelId: string,
    stageIds: string[],
    cohort: FunnelCohortFilter | null,
  ): Promise<FunnelTallies> {
    if (stageIds.length === 0) return talliesFromRows(0, []);
    const query = funnelTalliesSql(
      {
        engine: 'sqlite',
        tables: {
          profiles: 'profiles',
          stages: 'lifecycle_stage',
          stageHistory: 'lifecycle_history',
          members: 'segment_members',
          states: 'segment_profile_state',
        },
      },
      funnelId,
      stageIds,
      cohort,
    );
    const named = Object.fromEntries(query.values.map((v, i) => [`p${i + 1}`, v]));
    const rows = this.db.prepare(query.text).all(named) as Parameters<typeof talliesFromRows>[1];
    return talliesFromRows(stageIds.length, rows);
  }

  async close(): Promise<void> {
    await this.writing.idle();
    this.db.close();
  }
}

export class SqliteSegmentStore extends SqlSegmentStore {
  constructor(statePath: string) {
    super(new SqliteSegmentEngine(statePath));
  }
}
