// The segment store on PostgreSQL: the same tables as the embedded engine, on its own
// migration component (`segments`) in the state schema. Several processes may run the
// segments processor: `exclusive` holds the `segments` offset row with FOR UPDATE SKIP LOCKED
// for a whole step (a second process skips the step), and every query of that step — reads,
// the commit with its offset, status changes — runs in the step's transaction, so the step
// lands whole or not at all. Rules, definitions and states are stored as JSON text, not jsonb:
// jsonb reorders keys, and the service compares definitions by their JSON.
// Profile ids are `COLLATE "C"` so "profile id order" is byte order, as on SQLite.
import { AsyncLocalStorage } from 'node:async_hooks';
import type pg from 'pg';
import { funnelTalliesSql, survivorsOf, talliesFromRows } from '../funnel-sql.ts';
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
  connectPostgres,
  inTransaction,
  migratedOrClosed,
  migratePostgres,
  type PostgresConnection,
  type PostgresOpenOptions,
  rollbackQuietly,
} from './connection.ts';
import { settleInterruptedCommits } from './distributed-commit.ts';
import { postgresQuarantineWrites, QUARANTINE_TABLE_SQL } from './quarantine.ts';
import {
  ensureOffsetRowSql,
  lastByKey,
  type PgQueryable,
  quoteIdent,
  storableText,
  toNumber,
} from './sql.ts';

export const SEGMENTS_PROCESSOR = 'segments';

const MIGRATIONS: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS processor_offsets (processor text PRIMARY KEY, seq bigint NOT NULL);
   CREATE TABLE segments (
     id text PRIMARY KEY, name text NOT NULL, rule text NOT NULL, text text NOT NULL,
     version integer NOT NULL, status text NOT NULL, created_at text NOT NULL, updated_at text NOT NULL
   );
   CREATE TABLE segment_members (
     segment_id text NOT NULL, profile_id text COLLATE "C" NOT NULL, since text NOT NULL, reason text NOT NULL,
     PRIMARY KEY (segment_id, profile_id)
   );
   CREATE INDEX segment_members_by_profile ON segment_members (profile_id);
   CREATE TABLE segment_history (
     id bigserial PRIMARY KEY, segment_id text NOT NULL, profile_id text COLLATE "C" NOT NULL,
     change text NOT NULL, at text NOT NULL, reason text NOT NULL
   );
   CREATE INDEX segment_history_by_segment ON segment_history (segment_id, profile_id);
   CREATE TABLE segment_profile_state (
     profile_id text COLLATE "C" PRIMARY KEY, state text NOT NULL, next_check_at bigint, evaluated_at bigint
   );
   CREATE INDEX segment_rechecks ON segment_profile_state (next_check_at) WHERE next_check_at IS NOT NULL;
   CREATE TABLE funnels (
     id text PRIMARY KEY, definition text NOT NULL, version integer NOT NULL, status text NOT NULL,
     updated_at text NOT NULL
   );
   CREATE TABLE lifecycle_stage (
     funnel_id text NOT NULL, profile_id text COLLATE "C" NOT NULL, stage text NOT NULL, since text NOT NULL,
     PRIMARY KEY (funnel_id, profile_id)
   );
   CREATE INDEX lifecycle_stage_by_profile ON lifecycle_stage (profile_id);
   CREATE TABLE lifecycle_history (
     id bigserial PRIMARY KEY, funnel_id text NOT NULL, profile_id text COLLATE "C" NOT NULL,
     from_stage text, to_stage text, at text NOT NULL
   );
   CREATE INDEX lifecycle_history_by_funnel ON lifecycle_history (funnel_id, profile_id);
   CREATE TABLE segment_outbox (
     seq bigserial, message_id text PRIMARY KEY, json text NOT NULL, created_at text NOT NULL
   );
   CREATE TABLE segment_meta (key text PRIMARY KEY, value text NOT NULL);`,
  // Membership over time reads the recent days of history: covered by this index.
  // Byte order ("C") so ISO instants compare as on SQLite whatever the database's collation.
  'CREATE INDEX segment_history_by_time ON segment_history ((at COLLATE "C"), segment_id, change);',
  // Whose membership a pending entry reports: erasure deletes by profile_id in every table.
  'ALTER TABLE segment_outbox ADD COLUMN profile_id text COLLATE "C";',
  // The segments processor sets entries aside in the same commit as its offset
  // (docs/quarantine.md); the state store creates the same table, whichever migrates first.
  QUARANTINE_TABLE_SQL,
];

function tablesOf(schema: string) {
  const table = (name: string) => `${quoteIdent(schema)}.${quoteIdent(name)}`;
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
    quarantine: table('quarantine'),
  };
}
type Tables = ReturnType<typeof tablesOf>;

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
  version: Number(r.version),
  status: r.status,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

interface StateDbRow {
  profile_id: string;
  state: string;
  next_check_at: string | number | null;
  evaluated_at: string | number | null;
}

const toState = (r: StateDbRow): ProfileStateRow => ({
  profileId: r.profile_id,
  state: JSON.parse(r.state),
  nextCheckAt: r.next_check_at === null ? null : toNumber(r.next_check_at),
  evaluatedAt: r.evaluated_at === null ? null : toNumber(r.evaluated_at),
});

const MEMBER_COLUMNS = 'segment_id AS "segmentId", profile_id AS "profileId", since, reason';
const STAGE_COLUMNS = 'funnel_id AS "funnelId", profile_id AS "profileId", stage, since';
const json = (value: unknown) => storableText(JSON.stringify(value ?? null));

export class PostgresSegmentStore implements SegmentStore {
  private readonly pool: pg.Pool;
  private readonly t: Tables;
  /** The client of the step holding the offset row, for every query made inside `exclusive`. */
  private readonly step = new AsyncLocalStorage<pg.PoolClient>();

  private constructor(private readonly connection: PostgresConnection) {
    this.pool = connection.pool;
    this.t = tablesOf(connection.schema);
  }

  static async open(url: string, options: PostgresOpenOptions = {}): Promise<PostgresSegmentStore> {
    return migratedOrClosed(new PostgresSegmentStore(connectPostgres(url, options)), (store) =>
      migratePostgres(store.pool, store.connection.schema, { component: 'segments', migrations: MIGRATIONS }),
    );
  }

  async close(): Promise<void> {
    await this.connection.close();
  }

  private get db(): PgQueryable {
    return this.step.getStore() ?? this.pool;
  }

  async exclusive<T>(work: () => Promise<T>): Promise<T | undefined> {
    // Committed on its own first, so SKIP LOCKED always has a row to lock or skip.
    await this.pool.query(ensureOffsetRowSql(this.t.offsets), [SEGMENTS_PROCESSOR]);
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await settleInterruptedCommits(this.pool, client);
      await client.query('BEGIN');
      const { rows } = await client.query(
        `SELECT seq FROM ${this.t.offsets} WHERE processor = $1 FOR UPDATE SKIP LOCKED`,
        [SEGMENTS_PROCESSOR],
      );
      if (!rows[0]) {
        await client.query('ROLLBACK');
        return undefined;
      }
      const result = await this.step.run(client, work);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      broken = await rollbackQuietly(client);
      throw error;
    } finally {
      client.release(broken);
    }
  }

  /** Inside a step: its transaction; outside: a transaction of its own. */
  private async transaction(work: (db: PgQueryable) => Promise<void>): Promise<void> {
    const held = this.step.getStore();
    if (held) return work(held);
    await inTransaction(this.pool, work);
  }

  async listSegments(): Promise<SegmentRow[]> {
    const { rows } = await this.db.query<SegmentDbRow>(
      `SELECT * FROM ${this.t.segments} ORDER BY id COLLATE "C"`,
    );
    return rows.map(toSegment);
  }

  async getSegment(id: string): Promise<SegmentRow | undefined> {
    const { rows } = await this.db.query<SegmentDbRow>(`SELECT * FROM ${this.t.segments} WHERE id = $1`, [
      id,
    ]);
    return rows[0] ? toSegment(rows[0]) : undefined;
  }

  async saveSegment(row: SegmentRow): Promise<void> {
    await this.db.query(
      `INSERT INTO ${this.t.segments} VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, rule = excluded.rule, text = excluded.text,
         version = excluded.version, status = excluded.status, created_at = excluded.created_at,
         updated_at = excluded.updated_at`,
      [
        row.id,
        storableText(row.name),
        json(row.rule),
        storableText(row.text),
        row.version,
        row.status,
        row.createdAt,
        row.updatedAt,
      ],
    );
  }

  async deleteSegment(id: string): Promise<boolean> {
    let existed = false;
    await this.transaction(async (db) => {
      await db.query(`DELETE FROM ${this.t.members} WHERE segment_id = $1`, [id]);
      await db.query(`DELETE FROM ${this.t.history} WHERE segment_id = $1`, [id]);
      existed = ((await db.query(`DELETE FROM ${this.t.segments} WHERE id = $1`, [id])).rowCount ?? 0) > 0;
    });
    return existed;
  }

  async setSegmentStatus(id: string, version: number, status: SegmentStatus): Promise<void> {
    await this.db.query(`UPDATE ${this.t.segments} SET status = $1 WHERE id = $2 AND version = $3`, [
      status,
      id,
      version,
    ]);
  }

  async listFunnels(): Promise<FunnelRow[]> {
    const { rows } = await this.db.query(`SELECT * FROM ${this.t.funnels} ORDER BY id COLLATE "C"`);
    return rows.map((r) => ({
      id: r.id,
      definition: JSON.parse(r.definition),
      version: Number(r.version),
      status: r.status,
      updatedAt: r.updated_at,
    }));
  }

  async saveFunnel(row: FunnelRow): Promise<void> {
    await this.db.query(
      `INSERT INTO ${this.t.funnels} VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (id) DO UPDATE SET definition = excluded.definition, version = excluded.version,
         status = excluded.status, updated_at = excluded.updated_at`,
      [row.id, json(row.definition), row.version, row.status, row.updatedAt],
    );
  }

  async deleteFunnel(id: string): Promise<boolean> {
    let existed = false;
    await this.transaction(async (db) => {
      await db.query(`DELETE FROM ${this.t.stages} WHERE funnel_id = $1`, [id]);
      await db.query(`DELETE FROM ${this.t.stageHistory} WHERE funnel_id = $1`, [id]);
      existed = ((await db.query(`DELETE FROM ${this.t.funnels} WHERE id = $1`, [id])).rowCount ?? 0) > 0;
    });
    return existed;
  }

  async setFunnelStatus(id: string, version: number, status: SegmentStatus): Promise<void> {
    await this.db.query(`UPDATE ${this.t.funnels} SET status = $1 WHERE id = $2 AND version = $3`, [
      status,
      id,
      version,
    ]);
  }

  async memberCounts(): Promise<Map<string, number>> {
    const { rows } = await this.db.query(
      `SELECT segment_id AS id, count(*) AS n FROM ${this.t.members} GROUP BY segment_id`,
    );
    return new Map(rows.map((r) => [r.id as string, toNumber(r.n)]));
  }

  async listMembers(segmentId: string, options: { afterId?: string; limit: number }): Promise<MemberRow[]> {
    const { rows } = await this.db.query<MemberRow>(
      `SELECT ${MEMBER_COLUMNS} FROM ${this.t.members} WHERE segment_id = $1 AND profile_id > $2
       ORDER BY profile_id LIMIT $3`,
      [segmentId, options.afterId ?? '', options.limit],
    );
    return rows;
  }

  async membersOf(segmentId: string, profileIds: string[]): Promise<MemberRow[]> {
    if (profileIds.length === 0) return [];
    const { rows } = await this.db.query<MemberRow>(
      `SELECT ${MEMBER_COLUMNS} FROM ${this.t.members} WHERE segment_id = $1 AND profile_id = ANY($2::text[])`,
      [segmentId, profileIds],
    );
    return rows;
  }

  async membershipsOfProfile(profileId: string): Promise<MemberRow[]> {
    const { rows } = await this.db.query<MemberRow>(
      `SELECT ${MEMBER_COLUMNS} FROM ${this.t.members} WHERE profile_id = $1 ORDER BY segment_id COLLATE "C"`,
      [profileId],
    );
    return rows;
  }

  async historyOf(segmentId: string, profileId?: string): Promise<HistoryRow[]> {
    const columns = 'segment_id AS "segmentId", profile_id AS "profileId", change, at, reason';
    const byProfile = profileId === undefined ? '' : 'AND profile_id = $2';
    const { rows } = await this.db.query<HistoryRow>(
      `SELECT ${columns} FROM ${this.t.history} WHERE segment_id = $1 ${byProfile} ORDER BY id`,
      profileId === undefined ? [segmentId] : [segmentId, profileId],
    );
    return rows;
  }

  async membershipByDay(fromDay: string, segmentId?: string): Promise<MembershipDayRow[]> {
    const one = segmentId === undefined ? '' : 'AND segment_id = $2';
    const { rows } = await this.db.query(
      `SELECT segment_id, substr(at, 1, 10) AS day,
              count(*) FILTER (WHERE change = 'entered') AS entered,
              count(*) FILTER (WHERE change = 'exited') AS exited
       FROM ${this.t.history} WHERE at COLLATE "C" >= $1 ${one}
       GROUP BY segment_id, day ORDER BY segment_id COLLATE "C", day`,
      segmentId === undefined ? [fromDay] : [fromDay, segmentId],
    );
    return rows.map((r) => ({
      segmentId: r.segment_id as string,
      day: r.day as string,
      entered: toNumber(r.entered),
      exited: toNumber(r.exited),
    }));
  }

  async stagesOf(profileIds: string[]): Promise<StageRow[]> {
    if (profileIds.length === 0) return [];
    const { rows } = await this.db.query<StageRow>(
      `SELECT ${STAGE_COLUMNS} FROM ${this.t.stages} WHERE profile_id = ANY($1::text[])`,
      [profileIds],
    );
    return rows;
  }

  async allStages(funnelId: string): Promise<StageRow[]> {
    const { rows } = await this.db.query<StageRow>(
      `SELECT ${STAGE_COLUMNS} FROM ${this.t.stages} WHERE funnel_id = $1 ORDER BY profile_id`,
      [funnelId],
    );
    return rows;
  }

  async stageHistoryOf(funnelId: string): Promise<StageHistoryRow[]> {
    const { rows } = await this.db.query<StageHistoryRow>(
      `SELECT funnel_id AS "funnelId", profile_id AS "profileId", from_stage AS "fromStage",
         to_stage AS "toStage", at
       FROM ${this.t.stageHistory} WHERE funnel_id = $1 ORDER BY id`,
      [funnelId],
    );
    return rows;
  }

  async funnelTallies(
    funnelId: string,
    stageIds: string[],
    cohort: FunnelCohortFilter | null,
  ): Promise<FunnelTallies> {
    if (stageIds.length === 0) return talliesFromRows(0, []);
    const merged = await this.db.query<{ id: string; merged_into: string }>(
      `SELECT profile_id AS id, merged_into FROM ${this.t.profiles} WHERE merged_into IS NOT NULL`,
    );
    const query = funnelTalliesSql(
      {
        engine: 'postgres',
        survivors: survivorsOf(merged.rows.map((row) => ({ id: row.id, mergedInto: row.merged_into }))),
        tables: {
          profiles: this.t.profiles,
          stages: this.t.stages,
          stageHistory: this.t.stageHistory,
          members: this.t.members,
          states: this.t.states,
        },
      },
      funnelId,
      stageIds,
      cohort,
    );
    const { rows } = await this.db.query(query.text, query.values);
    return talliesFromRows(stageIds.length, rows as Parameters<typeof talliesFromRows>[1]);
  }

  async loadStates(profileIds: string[]): Promise<Map<string, ProfileStateRow>> {
    if (profileIds.length === 0) return new Map();
    const { rows } = await this.db.query<StateDbRow>(
      `SELECT * FROM ${this.t.states} WHERE profile_id = ANY($1::text[])`,
      [profileIds],
    );
    return new Map(rows.map((r) => [r.profile_id, toState(r)]));
  }

  async pageStates(afterId: string, limit: number): Promise<ProfileStateRow[]> {
    const { rows } = await this.db.query<StateDbRow>(
      `SELECT * FROM ${this.t.states} WHERE profile_id > $1 ORDER BY profile_id LIMIT $2`,
      [afterId, limit],
    );
    return rows.map(toState);
  }

  async dueRechecks(atMs: number, limit: number): Promise<string[]> {
    const { rows } = await this.db.query<{ profile_id: string }>(
      `SELECT profile_id FROM ${this.t.states} WHERE next_check_at IS NOT NULL AND next_check_at <= $1
       ORDER BY next_check_at LIMIT $2`,
      [atMs, limit],
    );
    return rows.map((r) => r.profile_id);
  }

  async requestRechecks(profileIds: string[], atMs: number): Promise<void> {
    if (profileIds.length === 0) return;
    await this.db.query(
      `UPDATE ${this.t.states} SET next_check_at = $2
       WHERE profile_id = ANY($1::text[]) AND (next_check_at IS NULL OR next_check_at > $2)`,
      [profileIds, atMs],
    );
  }

  async profileMap(): Promise<Map<string, string>> {
    const { rows } = await this.db.query<{ profile_id: string; merged_into: string }>(
      `SELECT profile_id, merged_into FROM ${this.t.profiles} WHERE merged_into IS NOT NULL`,
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
    const { rows } = await this.db.query(`SELECT value FROM ${this.t.meta} WHERE key = $1`, [key]);
    return rows[0] ? JSON.parse(rows[0].value) : undefined;
  }

  async setMeta(key: string, value: unknown): Promise<void> {
    await this.db.query(
      `INSERT INTO ${this.t.meta} VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      [key, json(value)],
    );
  }

  async getOffset(): Promise<number> {
    const { rows } = await this.db.query(`SELECT seq FROM ${this.t.offsets} WHERE processor = $1`, [
      SEGMENTS_PROCESSOR,
    ]);
    return rows[0] ? toNumber(rows[0].seq) : 0;
  }

  async commit(changes: SegmentChanges, offset: number): Promise<void> {
    await this.transaction((db) => this.write(db, changes, offset));
  }

  /** The same order as the embedded engine: removals before additions, then the offset. */
  private async write(db: PgQueryable, changes: SegmentChanges, offset: number): Promise<void> {
    const t = this.t;
    const states = lastByKey(changes.states, (s) => s.profileId);
    if (states.length > 0)
      await db.query(
        `INSERT INTO ${t.states} SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[])
         ON CONFLICT (profile_id) DO UPDATE SET state = excluded.state, next_check_at = excluded.next_check_at,
           evaluated_at = excluded.evaluated_at`,
        [
          states.map((s) => s.profileId),
          states.map((s) => json(s.state)),
          states.map((s) => s.nextCheckAt),
          states.map((s) => s.evaluatedAt),
        ],
      );
    if (changes.deleteStates.length > 0)
      await db.query(`DELETE FROM ${t.states} WHERE profile_id = ANY($1::text[])`, [changes.deleteStates]);
    await this.dropPairs(
      db,
      t.members,
      'segment_id',
      changes.removeMembers.map((m) => [m.segmentId, m.profileId]),
    );
    const members = lastByKey(changes.addMembers, (m) => `${m.segmentId}\u0000${m.profileId}`);
    if (members.length > 0)
      await db.query(
        `INSERT INTO ${t.members} SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
         ON CONFLICT (segment_id, profile_id) DO UPDATE SET since = excluded.since, reason = excluded.reason`,
        [
          members.map((m) => m.segmentId),
          members.map((m) => m.profileId),
          members.map((m) => m.since),
          members.map((m) => storableText(m.reason)),
        ],
      );
    if (changes.history.length > 0)
      await db.query(
        `INSERT INTO ${t.history} (segment_id, profile_id, change, at, reason)
         SELECT a, b, c, d, e FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
           WITH ORDINALITY AS h(a, b, c, d, e, n) ORDER BY n`,
        [
          changes.history.map((h) => h.segmentId),
          changes.history.map((h) => h.profileId),
          changes.history.map((h) => h.change),
          changes.history.map((h) => h.at),
          changes.history.map((h) => storableText(h.reason)),
        ],
      );
    await this.dropPairs(
      db,
      t.stages,
      'funnel_id',
      changes.removeStages.map((s) => [s.funnelId, s.profileId]),
    );
    const stages = lastByKey(changes.setStages, (s) => `${s.funnelId}\u0000${s.profileId}`);
    if (stages.length > 0)
      await db.query(
        `INSERT INTO ${t.stages} SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
         ON CONFLICT (funnel_id, profile_id) DO UPDATE SET stage = excluded.stage, since = excluded.since`,
        [
          stages.map((s) => s.funnelId),
          stages.map((s) => s.profileId),
          stages.map((s) => s.stage),
          stages.map((s) => s.since),
        ],
      );
    await this.dropPairs(
      db,
      t.stageHistory,
      'funnel_id',
      (changes.replaceStageHistory ?? []).map((s) => [s.funnelId, s.profileId]),
    );
    if (changes.stageHistory.length > 0)
      await db.query(
        `INSERT INTO ${t.stageHistory} (funnel_id, profile_id, from_stage, to_stage, at)
         SELECT a, b, c, d, e FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
           WITH ORDINALITY AS h(a, b, c, d, e, n) ORDER BY n`,
        [
          changes.stageHistory.map((h) => h.funnelId),
          changes.stageHistory.map((h) => h.profileId),
          changes.stageHistory.map((h) => h.fromStage),
          changes.stageHistory.map((h) => h.toStage),
          changes.stageHistory.map((h) => h.at),
        ],
      );
    if (changes.outbox.length > 0)
      await db.query(
        `INSERT INTO ${t.outbox} (message_id, json, created_at, profile_id)
         SELECT a, b, c, d FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS o(a, b, c, d, n)
         ORDER BY n ON CONFLICT (message_id) DO NOTHING`,
        [
          changes.outbox.map((o) => o.messageId),
          changes.outbox.map((o) => storableText(o.json)),
          changes.outbox.map((o) => o.createdAt),
          changes.outbox.map((o) => o.profileId ?? null),
        ],
      );
    for (const [key, value] of Object.entries(changes.meta))
      await db.query(
        `INSERT INTO ${t.meta} VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
        [key, json(value)],
      );
    const quarantine = postgresQuarantineWrites(db, t.quarantine);
    for (const entry of changes.quarantine ?? []) await quarantine.put(entry);
    for (const id of changes.releaseQuarantined ?? []) await quarantine.release(id);
    await db.query(
      `INSERT INTO ${t.offsets} (processor, seq) VALUES ($1, $2)
       ON CONFLICT (processor) DO UPDATE SET seq = excluded.seq`,
      [SEGMENTS_PROCESSOR, offset],
    );
  }

  private async dropPairs(db: PgQueryable, table: string, keyColumn: string, pairs: Array<[string, string]>) {
    if (pairs.length === 0) return;
    await db.query(
      `DELETE FROM ${table} d USING unnest($1::text[], $2::text[]) AS p(k, profile_id)
       WHERE d.${keyColumn} = p.k AND d.profile_id = p.profile_id`,
      [pairs.map(([key]) => key), pairs.map(([, profileId]) => profileId)],
    );
  }

  async outbox(limit: number): Promise<SegmentOutboxEntry[]> {
    const { rows } = await this.db.query<SegmentOutboxEntry>(
      `SELECT message_id AS "messageId", json, created_at AS "createdAt" FROM ${this.t.outbox} ORDER BY seq LIMIT $1`,
      [limit],
    );
    return rows;
  }

  async removeFromOutbox(messageIds: string[]): Promise<void> {
    if (messageIds.length === 0) return;
    await this.db.query(`DELETE FROM ${this.t.outbox} WHERE message_id = ANY($1::text[])`, [messageIds]);
  }
}
