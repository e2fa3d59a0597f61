// The segment store on the embedded engine: its own connection to state.sqlite and its own
// migration track (segment_schema_migrations), so its tables never renumber the state
// store's. The processor's offset is the `segments` row of processor_offsets.
import { funnelTalliesSql, talliesFromRows } from '../funnel-sql.ts';
import type {
  FunnelCohortFilter,
  FunnelRow,
  FunnelTallies,
  HistoryRow,
  MemberRow,
  MembershipDayRow,
  ProfileStateRow,
  SegmentChanges,
  SegmentOutboxEntry,
  SegmentRow,
  SegmentStatus,
  SegmentStore,
  StageHistoryRow,
  StageRow,
} from '../segment-types.ts';
import {
  type AsyncWriter,
  asyncWriter,
  chunk,
  migrateSqlite,
  openSqlite,
  type SqliteDatabase,
} from './connection.ts';
import { putQuarantine, QUARANTINE_TABLE_SQL, releaseQuarantine } from './quarantine.ts';

export const SEGMENTS_PROCESSOR = 'segments';

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

interface SegmentDbRow {
  id: string;
  name: string;
  rule: string;
  text: string;
  version: number;
  status: SegmentStatus;
  created_at: string;
  updated_at: string;
}

const toSegment = (r: SegmentDbRow): SegmentRow => ({
  id: r.id,
  name: r.name,
  rule: JSON.parse(r.rule),
  text: r.text,
  version: r.version,
  status: r.status,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

interface StateDbRow {
  profile_id: string;
  state: string;
  next_check_at: number | null;
  evaluated_at: number | null;
}

const toState = (r: StateDbRow): ProfileStateRow => ({
  profileId: r.profile_id,
  state: JSON.parse(r.state),
  nextCheckAt: r.next_check_at,
  evaluatedAt: r.evaluated_at,
});

const MEMBER_COLUMNS = 'segment_id AS segmentId, profile_id AS profileId, since, reason';
const STAGE_COLUMNS = 'funnel_id AS funnelId, profile_id AS profileId, stage, since';

export class SqliteSegmentStore implements SegmentStore {
  private readonly db: SqliteDatabase;
  /**
   * Segments are saved on the HTTP thread (the segment API) and committed in the pipeline
   * worker beside other connections to the same file: neither may sleep on the write lock.
   */
  private readonly writing: AsyncWriter;

  constructor(statePath: string) {
    this.db = openSqlite(statePath, { synchronous: 'NORMAL' });
    migrate(this.db);
    this.writing = asyncWriter(this.db);
  }

  async close(): Promise<void> {
    await this.writing.idle();
    this.db.close();
  }

  async listSegments(): Promise<SegmentRow[]> {
    return (this.db.prepare('SELECT * FROM segments ORDER BY id').all() as SegmentDbRow[]).map(toSegment);
  }

  async getSegment(id: string): Promise<SegmentRow | undefined> {
    const row = this.db.prepare('SELECT * FROM segments WHERE id = ?').get(id) as SegmentDbRow | undefined;
    return row ? toSegment(row) : undefined;
  }

  async saveSegment(row: SegmentRow): Promise<void> {
    return this.writing(() => {
      this.db
        .prepare('INSERT OR REPLACE INTO segments VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(
          row.id,
          row.name,
          JSON.stringify(row.rule),
          row.text,
          row.version,
          row.status,
          row.createdAt,
          row.updatedAt,
        );
    });
  }

  async deleteSegment(id: string): Promise<boolean> {
    return this.writing(() => {
      return this.db
        .transaction(() => {
          this.db.prepare('DELETE FROM segment_members WHERE segment_id = ?').run(id);
          this.db.prepare('DELETE FROM segment_history WHERE segment_id = ?').run(id);
          return this.db.prepare('DELETE FROM segments WHERE id = ?').run(id).changes > 0;
        })
        .immediate();
    });
  }

  async setSegmentStatus(id: string, version: number, status: SegmentStatus): Promise<void> {
    return this.writing(() => {
      this.db.prepare('UPDATE segments SET status = ? WHERE id = ? AND version = ?').run(status, id, version);
    });
  }

  async listFunnels(): Promise<FunnelRow[]> {
    const rows = this.db.prepare('SELECT * FROM funnels ORDER BY id').all() as Array<{
      id: string;
      definition: string;
      version: number;
      status: SegmentStatus;
      updated_at: string;
    }>;
    return rows.map((r) => ({
      id: r.id,
      definition: JSON.parse(r.definition),
      version: r.version,
      status: r.status,
      updatedAt: r.updated_at,
    }));
  }

  async saveFunnel(row: FunnelRow): Promise<void> {
    return this.writing(() => {
      this.db
        .prepare('INSERT OR REPLACE INTO funnels VALUES (?, ?, ?, ?, ?)')
        .run(row.id, JSON.stringify(row.definition), row.version, row.status, row.updatedAt);
    });
  }

  async deleteFunnel(id: string): Promise<boolean> {
    return this.writing(() => {
      return this.db
        .transaction(() => {
          this.db.prepare('DELETE FROM lifecycle_stage WHERE funnel_id = ?').run(id);
          this.db.prepare('DELETE FROM lifecycle_history WHERE funnel_id = ?').run(id);
          return this.db.prepare('DELETE FROM funnels WHERE id = ?').run(id).changes > 0;
        })
        .immediate();
    });
  }

  async setFunnelStatus(id: string, version: number, status: SegmentStatus): Promise<void> {
    return this.writing(() => {
      this.db.prepare('UPDATE funnels SET status = ? WHERE id = ? AND version = ?').run(status, id, version);
    });
  }

  async memberCounts(): Promise<Map<string, number>> {
    const rows = this.db
      .prepare('SELECT segment_id AS id, count(*) AS n FROM segment_members GROUP BY segment_id')
      .all() as Array<{ id: string; n: number }>;
    return new Map(rows.map((r) => [r.id, r.n]));
  }

  async listMembers(segmentId: string, options: { afterId?: string; limit: number }): Promise<MemberRow[]> {
    return this.db
      .prepare(
        `SELECT ${MEMBER_COLUMNS} FROM segment_members WHERE segment_id = ? AND profile_id > ?
         ORDER BY profile_id LIMIT ?`,
      )
      .all(segmentId, options.afterId ?? '', options.limit) as MemberRow[];
  }

  async membersOf(segmentId: string, profileIds: string[]): Promise<MemberRow[]> {
    const rows: MemberRow[] = [];
    for (const part of chunk(profileIds)) {
      const marks = part.map(() => '?').join(',');
      rows.push(
        ...(this.db
          .prepare(
            `SELECT ${MEMBER_COLUMNS} FROM segment_members WHERE segment_id = ? AND profile_id IN (${marks})`,
          )
          .all(segmentId, ...part) as MemberRow[]),
      );
    }
    return rows;
  }

  async membershipsOfProfile(profileId: string): Promise<MemberRow[]> {
    return this.db
      .prepare(`SELECT ${MEMBER_COLUMNS} FROM segment_members WHERE profile_id = ? ORDER BY segment_id`)
      .all(profileId) as MemberRow[];
  }

  async historyOf(segmentId: string, profileId?: string): Promise<HistoryRow[]> {
    const columns = 'segment_id AS segmentId, profile_id AS profileId, change, at, reason';
    if (profileId === undefined)
      return this.db
        .prepare(`SELECT ${columns} FROM segment_history WHERE segment_id = ? ORDER BY id`)
        .all(segmentId) as HistoryRow[];
    return this.db
      .prepare(`SELECT ${columns} FROM segment_history WHERE segment_id = ? AND profile_id = ? ORDER BY id`)
      .all(segmentId, profileId) as HistoryRow[];
  }

  async membershipByDay(fromDay: string, segmentId?: string): Promise<MembershipDayRow[]> {
    const one = segmentId === undefined ? '' : 'AND segment_id = ?';
    return this.db
      .prepare(
        `SELECT segment_id AS segmentId, substr(at, 1, 10) AS day,
                sum(change = 'entered') AS entered, sum(change = 'exited') AS exited
         FROM segment_history WHERE at >= ? ${one}
         GROUP BY segment_id, day ORDER BY segment_id, day`,
      )
      .all(...(segmentId === undefined ? [fromDay] : [fromDay, segmentId])) as MembershipDayRow[];
  }

  async stagesOf(profileIds: string[]): Promise<StageRow[]> {
    const rows: StageRow[] = [];
    for (const part of chunk(profileIds)) {
      const marks = part.map(() => '?').join(',');
      rows.push(
        ...(this.db
          .prepare(`SELECT ${STAGE_COLUMNS} FROM lifecycle_stage WHERE profile_id IN (${marks})`)
          .all(...part) as StageRow[]),
      );
    }
    return rows;
  }

  async allStages(funnelId: string): Promise<StageRow[]> {
    return this.db
      .prepare(`SELECT ${STAGE_COLUMNS} FROM lifecycle_stage WHERE funnel_id = ? ORDER BY profile_id`)
      .all(funnelId) as StageRow[];
  }

  async stageHistoryOf(funnelId: string): Promise<StageHistoryRow[]> {
    return this.db
      .prepare(
        `SELECT funnel_id AS funnelId, profile_id AS profileId, from_stage AS fromStage, to_stage AS toStage, at
         FROM lifecycle_history WHERE funnel_id = ? ORDER BY id`,
      )
      .all(funnelId) as StageHistoryRow[];
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

  async loadStates(profileIds: string[]): Promise<Map<string, ProfileStateRow>> {
    const states = new Map<string, ProfileStateRow>();
    for (const part of chunk(profileIds)) {
      const marks = part.map(() => '?').join(',');
      const rows = this.db
        .prepare(`SELECT * FROM segment_profile_state WHERE profile_id IN (${marks})`)
        .all(...part) as StateDbRow[];
      for (const r of rows) states.set(r.profile_id, toState(r));
    }
    return states;
  }

  async pageStates(afterId: string, limit: number): Promise<ProfileStateRow[]> {
    const rows = this.db
      .prepare('SELECT * FROM segment_profile_state WHERE profile_id > ? ORDER BY profile_id LIMIT ?')
      .all(afterId, limit) as StateDbRow[];
    return rows.map(toState);
  }

  async dueRechecks(atMs: number, limit: number): Promise<string[]> {
    const rows = this.db
      .prepare(
        `SELECT profile_id FROM segment_profile_state WHERE next_check_at IS NOT NULL AND next_check_at <= ?
         ORDER BY next_check_at LIMIT ?`,
      )
      .all(atMs, limit) as Array<{ profile_id: string }>;
    return rows.map((r) => r.profile_id);
  }

  async requestRechecks(profileIds: string[], atMs: number): Promise<void> {
    if (profileIds.length === 0) return;
    return this.writing(() => {
      this.db
        .prepare(
          `UPDATE segment_profile_state SET next_check_at = ?
           WHERE profile_id IN (SELECT value FROM json_each(?)) AND (next_check_at IS NULL OR next_check_at > ?)`,
        )
        .run(atMs, JSON.stringify(profileIds), atMs);
    });
  }

  async profileMap(): Promise<Map<string, string>> {
    const rows = this.db
      .prepare('SELECT profile_id, merged_into FROM profiles WHERE merged_into IS NOT NULL')
      .all() as Array<{ profile_id: string; merged_into: string }>;
    const direct = new Map(rows.map((r) => [r.profile_id, r.merged_into]));
    const resolved = new Map<string, string>();
    for (const id of direct.keys()) {
      let target = direct.get(id) as string;
      for (let hops = 0; direct.has(target) && hops < 100; hops++) target = direct.get(target) as string;
      resolved.set(id, target);
    }
    return resolved;
  }

  async getMeta(key: string): Promise<unknown> {
    const row = this.db.prepare('SELECT value FROM segment_meta WHERE key = ?').get(key) as
      | { value: string }
      | undefined;
    return row ? JSON.parse(row.value) : undefined;
  }

  async setMeta(key: string, value: unknown): Promise<void> {
    return this.writing(() => {
      this.db.prepare('INSERT OR REPLACE INTO segment_meta VALUES (?, ?)').run(key, JSON.stringify(value));
    });
  }

  async getOffset(): Promise<number> {
    const row = this.db
      .prepare('SELECT seq FROM processor_offsets WHERE processor = ?')
      .get(SEGMENTS_PROCESSOR) as { seq: number } | undefined;
    return row?.seq ?? 0;
  }

  async exclusive<T>(work: () => Promise<T>): Promise<T | undefined> {
    return work();
  }

  async commit(changes: SegmentChanges, offset: number): Promise<void> {
    return this.writing(() => {
      this.db
        .transaction(() => {
          this.write(changes, offset);
          for (const entry of changes.quarantine ?? []) putQuarantine(this.db, entry);
          for (const id of changes.releaseQuarantined ?? []) releaseQuarantine(this.db, id);
        })
        .immediate();
    });
  }

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

  async outbox(limit: number): Promise<SegmentOutboxEntry[]> {
    return this.db
      .prepare(
        'SELECT message_id AS messageId, json, created_at AS createdAt FROM segment_outbox ORDER BY rowid LIMIT ?',
      )
      .all(limit) as SegmentOutboxEntry[];
  }

  async removeFromOutbox(messageIds: string[]): Promise<void> {
    return this.writing(() => {
      const drop = this.db.prepare('DELETE FROM segment_outbox WHERE message_id = ?');
      this.db.transaction(() => {
        for (const id of messageIds) drop.run(id);
      })();
    });
  }
}
