// The segment store on PostgreSQL: its SQL is shared (../sql/segments.ts); here is what
// differs. The same tables as the embedded engine, on its own migration component (`segments`)
// in the state schema. Several processes may run the segments processor: `exclusive` holds the
// `segments` offset row with FOR UPDATE SKIP LOCKED for a whole step (a second process skips
// the step), and every query of that step — reads, the commit with its offset, status changes —
// runs in the step's transaction, so the step lands whole or not at all. The commit writes
// each kind of change as one unnest batch. Profile ids are `COLLATE "C"` so "profile id order"
// is byte order, as on SQLite.
import { AsyncLocalStorage } from 'node:async_hooks';
import type pg from 'pg';
import { funnelTalliesSql, survivorsOf, talliesFromRows } from '../funnel-sql.ts';
import type { FunnelCohortFilter, FunnelTallies, SegmentChanges } from '../segment-types.ts';
import { postgresDialect } from '../sql/dialect.ts';
import { postgresExecutor, type SqlExecutor } from '../sql/executor.ts';
import type { StoreDialect } from '../sql/query.ts';
import { SEGMENTS_PROCESSOR, type SegmentEngine, SqlSegmentStore } from '../sql/segments.ts';
import {
  connectPostgres,
  inTransaction,
  migratedOrClosed,
  migratePostgres,
  type PostgresConnection,
  type PostgresOpenOptions,
} from './connection.ts';
import { withProcessorOffset } from './offsets.ts';
import { postgresQuarantineWrites, QUARANTINE_TABLE_SQL } from './quarantine.ts';
import { lastByKey, type PgQueryable, quoteIdent, storableText } from './sql.ts';

export { SEGMENTS_PROCESSOR } from '../sql/segments.ts';

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
    members: table('segment_members'),
    history: table('segment_history'),
    states: table('segment_profile_state'),
    stages: table('lifecycle_stage'),
    stageHistory: table('lifecycle_history'),
    outbox: table('segment_outbox'),
    meta: table('segment_meta'),
    quarantine: table('quarantine'),
  };
}

type Tables = ReturnType<typeof tablesOf>;

const json = (value: unknown) => storableText(JSON.stringify(value ?? null));

class PostgresSegmentEngine implements SegmentEngine {
  readonly dialect: StoreDialect;
  readonly outboxOrder = 'seq';
  readonly pool: pg.Pool;
  private readonly t: Tables;
  /** The client of the step holding the offset row, for every query made inside `exclusive`. */
  private readonly step = new AsyncLocalStorage<pg.PoolClient>();
  private readonly poolExecutor: SqlExecutor;

  constructor(readonly connection: PostgresConnection) {
    this.pool = connection.pool;
    this.t = tablesOf(connection.schema);
    this.dialect = postgresDialect(connection.schema);
    this.poolExecutor = postgresExecutor(this.pool, this.dialect);
  }

  private get db(): PgQueryable {
    return this.step.getStore() ?? this.pool;
  }

  current(): SqlExecutor {
    const held = this.step.getStore();
    return held ? postgresExecutor(held, this.dialect) : this.poolExecutor;
  }

  writes<T>(work: (x: SqlExecutor) => Promise<T>): Promise<T> {
    return work(this.current());
  }

  /** Inside a step: its transaction; outside: a transaction of its own. */
  transaction<T>(work: (x: SqlExecutor) => Promise<T>): Promise<T> {
    const held = this.step.getStore();
    if (held) return work(postgresExecutor(held, this.dialect));
    return inTransaction(this.pool, (client) => work(postgresExecutor(client, this.dialect)));
  }

  async exclusive<T>(work: () => Promise<T>): Promise<T | undefined> {
    return withProcessorOffset(this.pool, this.t.offsets, SEGMENTS_PROCESSOR, (client) =>
      this.step.run(client, work),
    );
  }

  async commit(changes: SegmentChanges, offset: number): Promise<void> {
    const held = this.step.getStore();
    if (held) return this.write(held, changes, offset);
    await inTransaction(this.pool, (client) => this.write(client, changes, offset));
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
    await this.dropPairs(
      db,
      t.history,
      'segment_id',
      (changes.replaceMembershipHistory ?? []).map((m) => [m.segmentId, m.profileId]),
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
    const quarantine = postgresQuarantineWrites(db, this.dialect);
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

  async close(): Promise<void> {
    await this.connection.close();
  }
}

export class PostgresSegmentStore extends SqlSegmentStore {
  static async open(url: string, options: PostgresOpenOptions = {}): Promise<PostgresSegmentStore> {
    const engine = new PostgresSegmentEngine(connectPostgres(url, options));
    return migratedOrClosed(new PostgresSegmentStore(engine), () =>
      migratePostgres(engine.pool, engine.connection.schema, {
        component: 'segments',
        migrations: MIGRATIONS,
      }),
    );
  }
}
