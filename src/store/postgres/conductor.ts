// The conductor store on PostgreSQL: same tables as the embedded engine, on its own migration
// component (`conductor`). Several processes share the work: the journey processor holds its
// offset row with FOR UPDATE SKIP LOCKED (one process per slice), due timers and outbox rows
// are claimed with FOR UPDATE SKIP LOCKED (each taken by exactly one process), instance writes
// are compare-and-set on the revision, and cap slots move with a conditional UPDATE.
import type pg from 'pg';
import type {
  ChannelSuppressionRow,
  ConductorStore,
  ConductorTransaction,
  DecisionCounts,
  DecisionQuery,
  DecisionRecord,
  InstanceWrite,
  JourneyStats,
  JourneyStatus,
  JourneyVersionRow,
  OutboxEntry,
  OutboxQuery,
  OutboxRow,
  OutboxUpdate,
  StoredDecision,
  StoredInstance,
  StoredJourney,
  TimerRow,
} from '../conductor-types.ts';
import { DELIVERING } from '../conductor-types.ts';
import {
  assembleStats,
  decisionCountsSql,
  toDecision,
  toDecisionCounts,
  toJourney,
  toOutboxRow,
} from '../sqlite/conductor.ts';
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
import { ensureOffsetRowSql, type PgQueryable, quoteIdent, storableJson } from './sql.ts';

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

const JOURNEY_SELECT = (t: Tables) =>
  `SELECT j.journey_id, j.version, j.status, j.created_at, j.updated_at, v.definition
   FROM ${t.journeys} j JOIN ${t.versions} v ON v.journey_id = j.journey_id AND v.version = j.version`;

function tablesOf(schema: string) {
  const table = (name: string) => `${quoteIdent(schema)}.${quoteIdent(name)}`;
  return {
    offsets: table('processor_offsets'),
    journeys: table('journeys'),
    versions: table('journey_versions'),
    instances: table('journey_instances'),
    stepCounts: table('journey_step_counts'),
    timers: table('journey_timers'),
    outbox: table('outbox'),
    caps: table('cap_counters'),
    decisions: table('decisions'),
    suppressions: table('channel_suppressions'),
    marks: table('schedule_marks'),
    quarantine: table('quarantine'),
  };
}
type Tables = ReturnType<typeof tablesOf>;

interface InstanceDbRow {
  instance_id: string;
  journey_id: string;
  journey_version: number;
  profile_id: string;
  revision: number;
  active: boolean;
  step_id: string;
  body: unknown;
  entered_at: string;
  exited_at: string | null;
  exit_reason: string | null;
}

const toInstance = (r: InstanceDbRow): StoredInstance => ({
  instanceId: r.instance_id,
  journeyId: r.journey_id,
  journeyVersion: Number(r.journey_version),
  profileId: r.profile_id,
  revision: Number(r.revision),
  active: r.active,
  stepId: r.step_id,
  body: r.body,
  enteredAt: r.entered_at,
  exitedAt: r.exited_at,
  exitReason: r.exit_reason,
});

const TIMER_COLUMNS =
  'token, instance_id AS "instanceId", journey_id AS "journeyId", profile_id AS "profileId", due_at AS "dueAt"';

export class PostgresConductorStore implements ConductorStore {
  readonly engine = 'postgres' as const;
  private readonly pool: pg.Pool;
  private readonly t: Tables;

  private constructor(private readonly connection: PostgresConnection) {
    this.pool = connection.pool;
    this.t = tablesOf(connection.schema);
  }

  static async open(url: string, options: PostgresOpenOptions = {}): Promise<PostgresConductorStore> {
    return migratedOrClosed(new PostgresConductorStore(connectPostgres(url, options)), (store) =>
      store.migrate(),
    );
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

  // --- journeys

  async saveJourney(
    journeyId: string,
    version: number,
    definition: unknown,
    now: string,
  ): Promise<StoredJourney> {
    return inTransaction(this.pool, async (c) => {
      await c.query(
        `INSERT INTO ${this.t.versions} (journey_id, version, definition, saved_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (journey_id, version) DO UPDATE SET definition = excluded.definition, saved_at = excluded.saved_at`,
        [journeyId, version, storableJson(definition), now],
      );
      await c.query(
        `INSERT INTO ${this.t.journeys} AS j (journey_id, version, status, created_at, updated_at) VALUES ($1, $2, 'active', $3, $3)
         ON CONFLICT (journey_id) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at,
           status = CASE WHEN j.status = 'deleted' THEN 'active' ELSE j.status END`,
        [journeyId, version, now],
      );
      const { rows } = await c.query(`${JOURNEY_SELECT(this.t)} WHERE j.journey_id = $1`, [journeyId]);
      return toJourney(rows[0]);
    });
  }

  async getJourney(journeyId: string): Promise<StoredJourney | undefined> {
    const { rows } = await this.pool.query(`${JOURNEY_SELECT(this.t)} WHERE j.journey_id = $1`, [journeyId]);
    return rows[0] ? toJourney(rows[0]) : undefined;
  }

  async getJourneyVersion(journeyId: string, version: number): Promise<unknown | undefined> {
    const { rows } = await this.pool.query(
      `SELECT definition FROM ${this.t.versions} WHERE journey_id = $1 AND version = $2`,
      [journeyId, version],
    );
    return rows[0]?.definition;
  }

  async listJourneyVersions(journeyId: string): Promise<JourneyVersionRow[]> {
    const { rows } = await this.pool.query(
      `SELECT version, saved_at, definition->>'name' AS name FROM ${this.t.versions}
       WHERE journey_id = $1 ORDER BY version DESC`,
      [journeyId],
    );
    return rows.map((r) => ({ version: Number(r.version), savedAt: r.saved_at, name: r.name ?? null }));
  }

  async listJourneys(): Promise<StoredJourney[]> {
    const { rows } = await this.pool.query(
      `${JOURNEY_SELECT(this.t)} WHERE j.status <> 'deleted' ORDER BY j.journey_id`,
    );
    return rows.map(toJourney);
  }

  async setJourneyStatus(journeyId: string, status: JourneyStatus, now: string): Promise<boolean> {
    const result = await this.pool.query(
      `UPDATE ${this.t.journeys} SET status = $1, updated_at = $2 WHERE journey_id = $3 AND status <> 'deleted'`,
      [status, now, journeyId],
    );
    return (result.rowCount ?? 0) > 0;
  }

  async journeyStats(journeyId: string): Promise<JourneyStats> {
    const byStatus = await this.pool.query(
      `SELECT active, exit_reason AS "exitReason", count(*)::int AS n FROM ${this.t.instances}
       WHERE journey_id = $1 GROUP BY active, exit_reason`,
      [journeyId],
    );
    const current = await this.pool.query(
      `SELECT step_id AS "stepId", count(*)::int AS n FROM ${this.t.instances}
       WHERE journey_id = $1 AND active GROUP BY step_id`,
      [journeyId],
    );
    const passes = await this.pool.query(
      `SELECT step_id AS "stepId", passes::int AS n FROM ${this.t.stepCounts} WHERE journey_id = $1`,
      [journeyId],
    );
    return assembleStats(byStatus.rows, current.rows, passes.rows);
  }

  // --- processor, timers

  async getOffset(processor: string): Promise<number> {
    const { rows } = await this.pool.query(`SELECT seq FROM ${this.t.offsets} WHERE processor = $1`, [
      processor,
    ]);
    return rows[0] ? Number(rows[0].seq) : 0;
  }

  async withProcessor<T>(
    processor: string,
    work: (tx: ConductorTransaction, offset: number) => Promise<T>,
  ): Promise<T | undefined> {
    // Committed on its own first, so SKIP LOCKED always has a row to lock or skip.
    await this.pool.query(ensureOffsetRowSql(this.t.offsets), [processor]);
    return this.transact(async (client) => {
      const { rows } = await client.query(
        `SELECT seq FROM ${this.t.offsets} WHERE processor = $1 FOR UPDATE SKIP LOCKED`,
        [processor],
      );
      if (!rows[0]) return { skip: true as const };
      return { value: await work(this.transaction(client, processor), Number(rows[0].seq)) };
    });
  }

  async withDueTimers<T>(
    now: string,
    limit: number,
    work: (tx: ConductorTransaction, timers: TimerRow[]) => Promise<T>,
  ): Promise<T> {
    const result = await this.transact(async (client) => {
      const { rows } = await client.query<TimerRow>(
        `SELECT ${TIMER_COLUMNS} FROM ${this.t.timers} t
         WHERE t.due_at <= $1 AND EXISTS (SELECT 1 FROM ${this.t.journeys} j WHERE j.journey_id = t.journey_id AND j.status = 'active')
         ORDER BY t.due_at LIMIT $2 FOR UPDATE OF t SKIP LOCKED`,
        [now, limit],
      );
      return { value: await work(this.transaction(client, undefined), rows) };
    });
    return result as T;
  }

  async withTransaction<T>(work: (tx: ConductorTransaction) => Promise<T>): Promise<T> {
    return (await this.transact(async (client) => ({
      value: await work(this.transaction(client, undefined)),
    }))) as T;
  }

  private async transact<T>(
    work: (client: pg.PoolClient) => Promise<{ skip: true } | { value: T }>,
  ): Promise<T | undefined> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await settleInterruptedCommits(this.pool, client);
      await client.query('BEGIN');
      const outcome = await work(client);
      if ('skip' in outcome) {
        await client.query('ROLLBACK');
        return undefined;
      }
      await client.query('COMMIT');
      return outcome.value;
    } catch (error) {
      broken = await rollbackQuietly(client);
      throw error;
    } finally {
      client.release(broken);
    }
  }

  private transaction(client: pg.PoolClient, processor: string | undefined): ConductorTransaction {
    const t = this.t;
    return {
      quarantine: postgresQuarantineWrites(client, t.quarantine),
      activeInstancesOf: async (profileIds) => {
        const { rows } = await client.query<InstanceDbRow>(
          `SELECT * FROM ${t.instances} WHERE active AND profile_id = ANY($1::text[])`,
          [[...new Set(profileIds)]],
        );
        return rows.map(toInstance);
      },
      entryHistory: async (journeyId, profileId) => {
        const { rows } = await client.query(
          `SELECT count(*)::int AS entries, coalesce(bool_or(active), false) AS active, max(exited_at) AS "lastExitAt"
           FROM ${t.instances} WHERE journey_id = $1 AND profile_id = $2`,
          [journeyId, profileId],
        );
        const row = rows[0];
        return { entries: row.entries, active: row.active, lastExitAt: row.lastExitAt ?? undefined };
      },
      getInstance: async (instanceId) => {
        // FOR UPDATE: an instance is advanced by one transaction at a time (event vs timer).
        const { rows } = await client.query<InstanceDbRow>(
          `SELECT * FROM ${t.instances} WHERE instance_id = $1 FOR UPDATE`,
          [instanceId],
        );
        return rows[0] ? toInstance(rows[0]) : undefined;
      },
      writeInstance: (write) => this.writeInstance(client, write),
      deleteTimer: async (token) => {
        await client.query(`DELETE FROM ${t.timers} WHERE token = $1`, [token]);
      },
      addSuppressions: async (rows) => {
        for (const r of rows) {
          await client.query(
            `INSERT INTO ${t.suppressions} (profile_id, channel, scope, reason, at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT DO NOTHING`,
            [r.profileId, r.channel, r.scope, r.reason, r.at],
          );
        }
      },
      setOffset: async (seq) => {
        if (!processor) throw new Error('setOffset outside a processor transaction');
        await client.query(`UPDATE ${t.offsets} SET seq = $2 WHERE processor = $1`, [processor, seq]);
      },
    };
  }

  private async writeInstance(client: pg.PoolClient, write: InstanceWrite): Promise<boolean> {
    const t = this.t;
    const i = write.instance;
    await client.query('SAVEPOINT write_instance');
    try {
      if (write.expectedRevision === null) {
        const inserted = await client.query(
          `INSERT INTO ${t.instances} (instance_id, journey_id, journey_version, profile_id, revision, active,
             step_id, body, entered_at, exited_at, exit_reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
           ON CONFLICT DO NOTHING`,
          [
            i.instanceId,
            i.journeyId,
            i.journeyVersion,
            i.profileId,
            i.revision,
            i.active,
            i.stepId,
            storableJson(i.body),
            i.enteredAt,
            i.exitedAt,
            i.exitReason,
          ],
        );
        if ((inserted.rowCount ?? 0) === 0) {
          await client.query('ROLLBACK TO SAVEPOINT write_instance');
          return false;
        }
      } else {
        const updated = await client.query(
          `UPDATE ${t.instances} SET revision = $1, active = $2, step_id = $3, body = $4, exited_at = $5, exit_reason = $6
           WHERE instance_id = $7 AND revision = $8`,
          [
            i.revision,
            i.active,
            i.stepId,
            storableJson(i.body),
            i.exitedAt,
            i.exitReason,
            i.instanceId,
            write.expectedRevision,
          ],
        );
        if ((updated.rowCount ?? 0) === 0) {
          await client.query('ROLLBACK TO SAVEPOINT write_instance');
          return false;
        }
      }
      if (write.cancelTimers.length > 0)
        await client.query(`DELETE FROM ${t.timers} WHERE token = ANY($1::text[])`, [write.cancelTimers]);
      for (const timer of write.timers) {
        await client.query(
          `INSERT INTO ${t.timers} (token, instance_id, journey_id, profile_id, due_at) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (token) DO UPDATE SET due_at = excluded.due_at`,
          [timer.token, timer.instanceId, timer.journeyId, timer.profileId, timer.dueAt],
        );
      }
      await insertOutbox(client, t, write.outbox);
      for (const [stepId, n] of Object.entries(write.stepPasses)) {
        if (n <= 0) continue;
        await client.query(
          `INSERT INTO ${t.stepCounts} AS s (journey_id, step_id, passes) VALUES ($1, $2, $3)
           ON CONFLICT (journey_id, step_id) DO UPDATE SET passes = s.passes + excluded.passes`,
          [i.journeyId, stepId, n],
        );
      }
      await client.query('RELEASE SAVEPOINT write_instance');
      return true;
    } catch (error) {
      await client.query('ROLLBACK TO SAVEPOINT write_instance');
      throw error;
    }
  }

  async instancesOf(profileId: string): Promise<StoredInstance[]> {
    const { rows } = await this.pool.query<InstanceDbRow>(
      `SELECT * FROM ${this.t.instances} WHERE profile_id = $1 ORDER BY entered_at, instance_id`,
      [profileId],
    );
    return rows.map(toInstance);
  }

  async instancesOfProfiles(profileIds: string[], limit: number): Promise<StoredInstance[]> {
    if (profileIds.length === 0) return [];
    // Byte order for the tie-break, as on SQLite.
    const { rows } = await this.pool.query<InstanceDbRow>(
      `SELECT * FROM ${this.t.instances} WHERE profile_id = ANY($1::text[])
       ORDER BY entered_at COLLATE "C" DESC, instance_id COLLATE "C" DESC LIMIT $2`,
      [profileIds, limit],
    );
    return rows.map(toInstance);
  }

  async getInstance(instanceId: string): Promise<StoredInstance | undefined> {
    const { rows } = await this.pool.query<InstanceDbRow>(
      `SELECT * FROM ${this.t.instances} WHERE instance_id = $1`,
      [instanceId],
    );
    return rows[0] ? toInstance(rows[0]) : undefined;
  }

  async pendingTimers(instanceId: string): Promise<TimerRow[]> {
    const { rows } = await this.pool.query<TimerRow>(
      `SELECT ${TIMER_COLUMNS} FROM ${this.t.timers} WHERE instance_id = $1 ORDER BY due_at`,
      [instanceId],
    );
    return rows;
  }

  // --- outbox

  async enqueue(entries: OutboxEntry[]): Promise<number> {
    return insertOutbox(this.pool, this.t, entries);
  }

  async claimOutbox(
    now: string,
    limit: number,
    leaseMs: number,
  ): Promise<Array<OutboxRow & { interrupted: boolean }>> {
    const lease = new Date(Date.parse(now) + leaseMs).toISOString();
    // The CTE locks the rows it picks and skips rows another process is claiming; the UPDATE
    // marks them `sending` with a lease in the same statement, so each row goes to one process.
    const { rows } = await this.pool.query(
      `WITH picked AS (
         SELECT id, status AS was FROM ${this.t.outbox}
         WHERE (status IN ('queued', 'deferred') AND next_attempt_at <= $1) OR (status = 'sending' AND lease_until <= $1)
         ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)
       UPDATE ${this.t.outbox} o SET status = 'sending', lease_until = $3, updated_at = $1
       FROM picked WHERE o.id = picked.id
       RETURNING o.*, picked.was`,
      [now, limit, lease],
    );
    return rows
      .map((row) => ({
        ...toOutboxRow(row),
        interrupted: row.was === 'sending' && row.decision_code === DELIVERING,
      }))
      .sort((a, b) => a.id - b.id);
  }

  async startDelivery(id: number, leaseUntil: string, now: string): Promise<boolean> {
    const result = await this.pool.query(
      `UPDATE ${this.t.outbox} SET decision_code = '${DELIVERING}', updated_at = $1
       WHERE id = $2 AND status = 'sending' AND lease_until = $3`,
      [now, id, leaseUntil],
    );
    return result.rowCount === 1;
  }

  async updateOutbox(id: number, u: OutboxUpdate): Promise<void> {
    await this.pool.query(
      `UPDATE ${this.t.outbox} SET status = $1, attempts = $2, next_attempt_at = coalesce($3, next_attempt_at),
         lease_until = NULL, updated_at = $4,
         last_error = CASE WHEN $5 THEN $6 ELSE last_error END,
         decision_code = coalesce($7, decision_code), decision_reason = coalesce($8, decision_reason),
         channel = coalesce($9, channel), provider_message_id = coalesce($10, provider_message_id),
         sent_at = coalesce($11, sent_at)
       WHERE id = $12`,
      [
        u.status,
        u.attempts,
        u.nextAttemptAt ?? null,
        u.updatedAt,
        u.lastError !== undefined,
        u.lastError ?? null,
        u.decisionCode ?? null,
        u.decisionReason ?? null,
        u.channel ?? null,
        u.providerMessageId ?? null,
        u.sentAt ?? null,
        id,
      ],
    );
  }

  async getOutbox(idempotencyKey: string): Promise<OutboxRow | undefined> {
    const { rows } = await this.pool.query(`SELECT * FROM ${this.t.outbox} WHERE idempotency_key = $1`, [
      idempotencyKey,
    ]);
    return rows[0] ? toOutboxRow(rows[0]) : undefined;
  }

  async listOutbox(q: OutboxQuery): Promise<OutboxRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (q.status) add('status = ?', q.status);
    if (q.profileId) add('profile_id = ?', q.profileId);
    if (q.journeyId) add('journey_id = ?', q.journeyId);
    if (q.beforeId !== undefined) add('id < ?', q.beforeId);
    params.push(q.limit);
    const { rows } = await this.pool.query(
      `SELECT * FROM ${this.t.outbox} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${params.length}`,
      params,
    );
    return rows.map(toOutboxRow);
  }

  async nextOutboxDue(): Promise<string | undefined> {
    const { rows } = await this.pool.query(
      `SELECT least(
         (SELECT min(next_attempt_at) FROM ${this.t.outbox} WHERE status IN ('queued', 'deferred')),
         (SELECT min(lease_until) FROM ${this.t.outbox} WHERE status = 'sending')) AS t`,
    );
    return rows[0]?.t ?? undefined;
  }

  // --- caps

  async capCounts(profileId: string, keys: string[]): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    if (keys.length === 0) return counts;
    const { rows } = await this.pool.query(
      `SELECT bucket_key AS key, count FROM ${this.t.caps} WHERE profile_id = $1 AND bucket_key = ANY($2::text[])`,
      [profileId, keys],
    );
    for (const row of rows) counts[row.key] = Number(row.count);
    return counts;
  }

  async reserveCaps(
    profileId: string,
    reservations: Array<{ key: string; from: number; to: number }>,
  ): Promise<boolean> {
    return inTransaction(this.pool, async (c) => {
      for (const r of reservations) {
        const result =
          r.from === 0
            ? await c.query(
                `INSERT INTO ${this.t.caps} AS k (profile_id, bucket_key, count) VALUES ($1, $2, $3)
                 ON CONFLICT (profile_id, bucket_key) DO UPDATE SET count = excluded.count WHERE k.count = 0`,
                [profileId, r.key, r.to],
              )
            : await c.query(
                `UPDATE ${this.t.caps} SET count = $1 WHERE profile_id = $2 AND bucket_key = $3 AND count = $4`,
                [r.to, profileId, r.key, r.from],
              );
        if ((result.rowCount ?? 0) === 0) throw new CapConflict();
      }
      return true;
    }).catch((error) => {
      if (error instanceof CapConflict) return false;
      throw error;
    });
  }

  async releaseCaps(profileId: string, keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.pool.query(
      `UPDATE ${this.t.caps} SET count = count - 1 WHERE profile_id = $1 AND bucket_key = ANY($2::text[]) AND count > 0`,
      [profileId, keys],
    );
  }

  // --- decisions, suppressions, schedules

  async logDecisions(rows: DecisionRecord[]): Promise<void> {
    for (const d of rows) {
      await this.pool.query(
        `INSERT INTO ${this.t.decisions} (at, profile_id, journey_id, step_id, idempotency_key, channel, action, code, reason, until)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [
          d.at,
          d.profileId,
          d.journeyId,
          d.stepId,
          d.idempotencyKey,
          d.channel,
          d.action,
          d.code,
          d.reason,
          d.until,
        ],
      );
    }
  }

  async listDecisions(q: DecisionQuery): Promise<StoredDecision[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (q.profileId) add('profile_id = ?', q.profileId);
    if (q.journeyId) add('journey_id = ?', q.journeyId);
    if (q.beforeId !== undefined) add('id < ?', q.beforeId);
    params.push(q.limit);
    const { rows } = await this.pool.query(
      `SELECT * FROM ${this.t.decisions} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${params.length}`,
      params,
    );
    return rows.map(toDecision);
  }

  async countDecisions(fromIso: string, toIso: string): Promise<DecisionCounts> {
    const { rows } = await this.pool.query(decisionCountsSql(this.t.decisions, '$1', '$2'), [fromIso, toIso]);
    return toDecisionCounts(rows);
  }

  async suppressionsOf(profileId: string): Promise<ChannelSuppressionRow[]> {
    const { rows } = await this.pool.query<ChannelSuppressionRow>(
      `SELECT profile_id AS "profileId", channel, scope, reason, at FROM ${this.t.suppressions} WHERE profile_id = $1 ORDER BY at`,
      [profileId],
    );
    return rows;
  }

  async getScheduleMark(key: string): Promise<string | undefined> {
    const { rows } = await this.pool.query(`SELECT value FROM ${this.t.marks} WHERE key = $1`, [key]);
    return rows[0]?.value;
  }

  async moveScheduleMark(key: string, from: string | undefined, to: string): Promise<boolean> {
    const result =
      from === undefined
        ? await this.pool.query(
            `INSERT INTO ${this.t.marks} (key, value) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
            [key, to],
          )
        : await this.pool.query(`UPDATE ${this.t.marks} SET value = $1 WHERE key = $2 AND value = $3`, [
            to,
            key,
            from,
          ]);
    return (result.rowCount ?? 0) > 0;
  }
}

class CapConflict extends Error {}

async function insertOutbox(db: PgQueryable, t: Tables, entries: OutboxEntry[]): Promise<number> {
  let added = 0;
  for (const e of entries) {
    const result = await db.query(
      `INSERT INTO ${t.outbox} (idempotency_key, profile_id, journey_id, instance_id, step_id, origin, kind, payload,
         status, attempts, next_attempt_at, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'queued', 0, $9, $10, $10) ON CONFLICT (idempotency_key) DO NOTHING`,
      [
        e.idempotencyKey,
        e.profileId,
        e.journeyId,
        e.instanceId,
        e.stepId,
        e.origin,
        e.kind,
        storableJson(e.payload),
        e.nextAttemptAt,
        e.createdAt,
      ],
    );
    added += result.rowCount ?? 0;
  }
  return added;
}
