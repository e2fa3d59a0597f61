// The segment store's SQL, written once for both engines against an executor and a dialect.
// Each engine folder supplies what truly differs (SegmentEngine): how a step holds the
// `segments` offset (FOR UPDATE SKIP LOCKED on PostgreSQL, where every query of the step runs
// in its transaction), the processor's commit (row by row on SQLite, unnest batches on
// PostgreSQL), the funnel tallies' parameters, and the migrations. Rules, definitions and
// states are JSON text on both (PostgreSQL's jsonb would reorder keys, and the service compares
// definitions by their JSON). One contract suite (test/store/segments-contract.test.ts).
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
import type { SqlExecutor } from './executor.ts';
import { oneOf, raw, type StoreDialect, sql } from './query.ts';

export const SEGMENTS_PROCESSOR = 'segments';

/** Bound parameters per IN list (SQLite caps them; PostgreSQL binds one array, any size). */
const LIST_CHUNK = 500;

/** What differs between the engines; everything else is SqlSegmentStore's shared SQL. */
export interface SegmentEngine {
  readonly dialect: StoreDialect;
  /** The executor for a query now: inside a PostgreSQL step, the step's transaction. */
  current(): SqlExecutor;
  /** Writes (on SQLite queued on the connection's writer, never sleeping on the lock). */
  writes<T>(work: (x: SqlExecutor) => Promise<T>): Promise<T>;
  /** Several writes in one transaction (inside a step: the step's). */
  transaction<T>(work: (x: SqlExecutor) => Promise<T>): Promise<T>;
  exclusive<T>(work: () => Promise<T>): Promise<T | undefined>;
  commit(changes: SegmentChanges, offset: number): Promise<void>;
  funnelTallies(
    funnelId: string,
    stageIds: string[],
    cohort: FunnelCohortFilter | null,
  ): Promise<FunnelTallies>;
  /** The outbox's insertion order column (SQLite's rowid, PostgreSQL's seq). */
  readonly outboxOrder: string;
  close(): Promise<void>;
}

interface SegmentDbRow {
  id: string;
  name: string;
  rule: string;
  text: string;
  version: number | string;
  status: SegmentStatus;
  created_at: string;
  updated_at: string;
}

interface StateDbRow {
  profile_id: string;
  state: string;
  next_check_at: string | number | null;
  evaluated_at: string | number | null;
}

const MEMBER_COLUMNS = raw('segment_id AS "segmentId", profile_id AS "profileId", since, reason');
const STAGE_COLUMNS = raw('funnel_id AS "funnelId", profile_id AS "profileId", stage, since');
const HISTORY_COLUMNS = raw('segment_id AS "segmentId", profile_id AS "profileId", change, at, reason');

export class SqlSegmentStore implements SegmentStore {
  private readonly t: ReturnType<typeof tablesOf>;
  private readonly dialect: StoreDialect;

  constructor(private readonly db: SegmentEngine) {
    this.dialect = db.dialect;
    this.t = tablesOf(db.dialect);
  }

  close(): Promise<void> {
    return this.db.close();
  }

  exclusive<T>(work: () => Promise<T>): Promise<T | undefined> {
    return this.db.exclusive(work);
  }

  commit(changes: SegmentChanges, offset: number): Promise<void> {
    return this.db.commit(changes, offset);
  }

  funnelTallies(
    funnelId: string,
    stageIds: string[],
    cohort: FunnelCohortFilter | null,
  ): Promise<FunnelTallies> {
    return this.db.funnelTallies(funnelId, stageIds, cohort);
  }

  async listSegments(): Promise<SegmentRow[]> {
    const rows = await this.db
      .current()
      .all<SegmentDbRow>(sql`SELECT * FROM ${this.t.segments} ORDER BY ${this.byCodePoint('id')}`);
    return rows.map(toSegment);
  }

  async getSegment(id: string): Promise<SegmentRow | undefined> {
    const row = await this.db
      .current()
      .get<SegmentDbRow>(sql`SELECT * FROM ${this.t.segments} WHERE id = ${id}`);
    return row && toSegment(row);
  }

  async saveSegment(row: SegmentRow): Promise<void> {
    await this.db.writes((x) =>
      x.run(
        sql`INSERT INTO ${this.t.segments} (id, name, rule, text, version, status, created_at, updated_at)
         VALUES (${row.id}, ${row.name}, ${JSON.stringify(row.rule)}, ${row.text}, ${row.version}, ${row.status},
           ${row.createdAt}, ${row.updatedAt})
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, rule = excluded.rule, text = excluded.text,
           version = excluded.version, status = excluded.status, created_at = excluded.created_at,
           updated_at = excluded.updated_at`,
      ),
    );
  }

  deleteSegment(id: string): Promise<boolean> {
    const t = this.t;
    return this.db.transaction(async (x) => {
      await x.run(sql`DELETE FROM ${t.members} WHERE segment_id = ${id}`);
      await x.run(sql`DELETE FROM ${t.history} WHERE segment_id = ${id}`);
      return (await x.run(sql`DELETE FROM ${t.segments} WHERE id = ${id}`)) > 0;
    });
  }

  async setSegmentStatus(id: string, version: number, status: SegmentStatus): Promise<void> {
    await this.db.writes((x) =>
      x.run(sql`UPDATE ${this.t.segments} SET status = ${status} WHERE id = ${id} AND version = ${version}`),
    );
  }

  async listFunnels(): Promise<FunnelRow[]> {
    const rows = await this.db.current().all<{
      id: string;
      definition: string;
      version: number | string;
      status: SegmentStatus;
      updated_at: string;
    }>(sql`SELECT * FROM ${this.t.funnels} ORDER BY ${this.byCodePoint('id')}`);
    return rows.map((r) => ({
      id: r.id,
      definition: JSON.parse(r.definition),
      version: Number(r.version),
      status: r.status,
      updatedAt: r.updated_at,
    }));
  }

  async saveFunnel(row: FunnelRow): Promise<void> {
    await this.db.writes((x) =>
      x.run(
        sql`INSERT INTO ${this.t.funnels} (id, definition, version, status, updated_at)
         VALUES (${row.id}, ${JSON.stringify(row.definition)}, ${row.version}, ${row.status}, ${row.updatedAt})
         ON CONFLICT (id) DO UPDATE SET definition = excluded.definition, version = excluded.version,
           status = excluded.status, updated_at = excluded.updated_at`,
      ),
    );
  }

  deleteFunnel(id: string): Promise<boolean> {
    const t = this.t;
    return this.db.transaction(async (x) => {
      await x.run(sql`DELETE FROM ${t.stages} WHERE funnel_id = ${id}`);
      await x.run(sql`DELETE FROM ${t.stageHistory} WHERE funnel_id = ${id}`);
      return (await x.run(sql`DELETE FROM ${t.funnels} WHERE id = ${id}`)) > 0;
    });
  }

  async setFunnelStatus(id: string, version: number, status: SegmentStatus): Promise<void> {
    await this.db.writes((x) =>
      x.run(sql`UPDATE ${this.t.funnels} SET status = ${status} WHERE id = ${id} AND version = ${version}`),
    );
  }

  async memberCounts(): Promise<Map<string, number>> {
    const rows = await this.db
      .current()
      .all<{ id: string; n: number | string }>(
        sql`SELECT segment_id AS id, count(*) AS n FROM ${this.t.members} GROUP BY segment_id`,
      );
    return new Map(rows.map((r) => [r.id, Number(r.n)]));
  }

  listMembers(segmentId: string, options: { afterId?: string; limit: number }): Promise<MemberRow[]> {
    return this.db.current().all<MemberRow>(
      sql`SELECT ${MEMBER_COLUMNS} FROM ${this.t.members} WHERE segment_id = ${segmentId} AND profile_id > ${options.afterId ?? ''}
       ORDER BY profile_id LIMIT ${options.limit}`,
    );
  }

  async membersOf(segmentId: string, profileIds: string[]): Promise<MemberRow[]> {
    const rows: MemberRow[] = [];
    for (const part of chunk(profileIds))
      rows.push(
        ...(await this.db
          .current()
          .all<MemberRow>(
            sql`SELECT ${MEMBER_COLUMNS} FROM ${this.t.members} WHERE segment_id = ${segmentId} AND ${oneOf('profile_id', part)}`,
          )),
      );
    return rows;
  }

  membershipsOfProfile(profileId: string): Promise<MemberRow[]> {
    return this.db.current().all<MemberRow>(
      sql`SELECT ${MEMBER_COLUMNS} FROM ${this.t.members} WHERE profile_id = ${profileId}
       ORDER BY ${this.byCodePoint('segment_id')}`,
    );
  }

  historyOf(segmentId: string, profileId?: string): Promise<HistoryRow[]> {
    const byProfile = profileId === undefined ? sql`` : sql`AND profile_id = ${profileId}`;
    return this.db
      .current()
      .all<HistoryRow>(
        sql`SELECT ${HISTORY_COLUMNS} FROM ${this.t.history} WHERE segment_id = ${segmentId} ${byProfile} ORDER BY id`,
      );
  }

  async membershipByDay(fromDay: string, segmentId?: string): Promise<MembershipDayRow[]> {
    const one = segmentId === undefined ? sql`` : sql`AND segment_id = ${segmentId}`;
    // `at` in byte order: ISO instants compare as text, and PostgreSQL's index is on (at COLLATE "C").
    const rows = await this.db.current().all<{
      segmentId: string;
      day: string;
      entered: number | string;
      exited: number | string;
    }>(
      sql`SELECT segment_id AS "segmentId", substr(at, 1, 10) AS day,
              sum(CASE WHEN change = 'entered' THEN 1 ELSE 0 END) AS entered,
              sum(CASE WHEN change = 'exited' THEN 1 ELSE 0 END) AS exited
       FROM ${this.t.history} WHERE ${this.byCodePoint('at')} >= ${fromDay} ${one}
       GROUP BY segment_id, day ORDER BY ${this.byCodePoint('segment_id')}, day`,
    );
    return rows.map((r) => ({ ...r, entered: Number(r.entered), exited: Number(r.exited) }));
  }

  async stagesOf(profileIds: string[]): Promise<StageRow[]> {
    const rows: StageRow[] = [];
    for (const part of chunk(profileIds))
      rows.push(
        ...(await this.db
          .current()
          .all<StageRow>(
            sql`SELECT ${STAGE_COLUMNS} FROM ${this.t.stages} WHERE ${oneOf('profile_id', part)}`,
          )),
      );
    return rows;
  }

  allStages(funnelId: string): Promise<StageRow[]> {
    return this.db
      .current()
      .all<StageRow>(
        sql`SELECT ${STAGE_COLUMNS} FROM ${this.t.stages} WHERE funnel_id = ${funnelId} ORDER BY profile_id`,
      );
  }

  stageHistoryOf(funnelId: string): Promise<StageHistoryRow[]> {
    return this.db.current().all<StageHistoryRow>(
      sql`SELECT funnel_id AS "funnelId", profile_id AS "profileId", from_stage AS "fromStage", to_stage AS "toStage", at
       FROM ${this.t.stageHistory} WHERE funnel_id = ${funnelId} ORDER BY id`,
    );
  }

  async loadStates(profileIds: string[]): Promise<Map<string, ProfileStateRow>> {
    const states = new Map<string, ProfileStateRow>();
    for (const part of chunk(profileIds)) {
      const rows = await this.db
        .current()
        .all<StateDbRow>(sql`SELECT * FROM ${this.t.states} WHERE ${oneOf('profile_id', part)}`);
      for (const r of rows) states.set(r.profile_id, toState(r));
    }
    return states;
  }

  async pageStates(afterId: string, limit: number): Promise<ProfileStateRow[]> {
    const rows = await this.db
      .current()
      .all<StateDbRow>(
        sql`SELECT * FROM ${this.t.states} WHERE profile_id > ${afterId} ORDER BY profile_id LIMIT ${limit}`,
      );
    return rows.map(toState);
  }

  async dueRechecks(atMs: number, limit: number): Promise<string[]> {
    const rows = await this.db.current().all<{ profile_id: string }>(
      sql`SELECT profile_id FROM ${this.t.states} WHERE next_check_at IS NOT NULL AND next_check_at <= ${atMs}
       ORDER BY next_check_at LIMIT ${limit}`,
    );
    return rows.map((r) => r.profile_id);
  }

  async requestRechecks(profileIds: string[], atMs: number): Promise<void> {
    if (profileIds.length === 0) return;
    await this.db.writes(async (x) => {
      for (const part of chunk(profileIds))
        await x.run(
          sql`UPDATE ${this.t.states} SET next_check_at = ${atMs}
           WHERE ${oneOf('profile_id', part)} AND (next_check_at IS NULL OR next_check_at > ${atMs})`,
        );
    });
  }

  async profileMap(): Promise<Map<string, string>> {
    const rows = await this.db
      .current()
      .all<{ profile_id: string; merged_into: string }>(
        sql`SELECT profile_id, merged_into FROM ${this.t.profiles} WHERE merged_into IS NOT NULL`,
      );
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
    const row = await this.db
      .current()
      .get<{ value: string }>(sql`SELECT value FROM ${this.t.meta} WHERE key = ${key}`);
    return row ? JSON.parse(row.value) : undefined;
  }

  async setMeta(key: string, value: unknown): Promise<void> {
    await this.db.writes((x) =>
      x.run(
        sql`INSERT INTO ${this.t.meta} (key, value) VALUES (${key}, ${JSON.stringify(value ?? null)})
         ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      ),
    );
  }

  async getOffset(): Promise<number> {
    const row = await this.db
      .current()
      .get<{ seq: number | string }>(
        sql`SELECT seq FROM ${this.t.offsets} WHERE processor = ${SEGMENTS_PROCESSOR}`,
      );
    return row ? Number(row.seq) : 0;
  }

  outbox(limit: number): Promise<SegmentOutboxEntry[]> {
    return this.db.current().all<SegmentOutboxEntry>(
      sql`SELECT message_id AS "messageId", json, created_at AS "createdAt" FROM ${this.t.outbox}
       ORDER BY ${raw(this.db.outboxOrder)} LIMIT ${limit}`,
    );
  }

  async removeFromOutbox(messageIds: string[]): Promise<void> {
    if (messageIds.length === 0) return;
    await this.db.transaction(async (x) => {
      for (const part of chunk(messageIds))
        await x.run(sql`DELETE FROM ${this.t.outbox} WHERE ${oneOf('message_id', part)}`);
    });
  }

  private byCodePoint(column: string) {
    return raw(this.dialect.byCodePoint(column));
  }
}

export function tablesOf(dialect: StoreDialect) {
  const table = (name: string) => raw(dialect.table(name));
  return {
    offsets: table('processor_offsets'),
    profiles: table('profiles'),
    segments: table('segments'),
    members: table('segment_members'),
    history: table('segment_history'),
    states: table('segment_profile_state'),
    funnels: table('funnels'),
    stages: table('lifecycle_stage'),
    stageHistory: table('lifecycle_history'),
    outbox: table('segment_outbox'),
    meta: table('segment_meta'),
  };
}

const toSegment = (r: SegmentDbRow): SegmentRow => ({
  id: r.id,
  name: r.name,
  rule: JSON.parse(r.rule),
  text: r.text,
  version: Number(r.version),
  status: r.status,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const toState = (r: StateDbRow): ProfileStateRow => ({
  profileId: r.profile_id,
  state: JSON.parse(r.state),
  nextCheckAt: r.next_check_at === null ? null : Number(r.next_check_at),
  evaluatedAt: r.evaluated_at === null ? null : Number(r.evaluated_at),
});

function chunk<T>(items: readonly T[]): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += LIST_CHUNK) chunks.push(items.slice(i, i + LIST_CHUNK));
  return chunks;
}
