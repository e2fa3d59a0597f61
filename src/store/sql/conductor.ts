// The conductor store's SQL, written once for both engines against an executor and a dialect
// (query.ts, dialect.ts). Each engine folder supplies what truly differs (ConductorEngine): how
// a transaction is begun (SQLite's queued, never-blocking writer; PostgreSQL's pool, settling
// interrupted distributed commits first), how the journeys processor holds its offset (FOR
// UPDATE SKIP LOCKED on PostgreSQL), how due outbox rows are claimed, and the migrations.
// One contract suite (test/store/conductor-contract.test.ts) runs over both.
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
import type { QuarantineWrites } from '../types.ts';
import type { SqlExecutor } from './executor.ts';
import { join, json, oneOf, raw, type Sql, type StoreDialect, sql } from './query.ts';

/** Bound parameters per IN list (SQLite caps them; PostgreSQL binds one array, any size). */
const LIST_CHUNK = 500;

/** An outbox row as claimed, with the status it had before (`was`). */
export type ClaimedOutboxRow = OutboxDbRow & { was: string };

/** What differs between the engines; everything else is SqlConductorStore's shared SQL. */
export interface ConductorEngine {
  readonly engine: 'sqlite' | 'postgres';
  readonly dialect: StoreDialect;
  /** Reads outside any transaction. */
  readonly reads: SqlExecutor;
  /** Single statements: each its own transaction (on SQLite queued on the connection's writer). */
  writes<T>(work: (x: SqlExecutor) => Promise<T>): Promise<T>;
  /** Several statements in one transaction. */
  transaction<T>(work: (x: SqlExecutor) => Promise<T>): Promise<T>;
  /** A conductor step's transaction (timers, schedules, sends), with the quarantine in it. */
  step<T>(work: (x: SqlExecutor, quarantine: QuarantineWrites) => Promise<T>): Promise<T>;
  /** The journeys processor's step, holding its offset; undefined when another process holds it. */
  processorStep<T>(
    processor: string,
    work: (x: SqlExecutor, quarantine: QuarantineWrites, offset: number) => Promise<T>,
  ): Promise<T | undefined>;
  /** Marks due rows `sending` with `leaseUntil`, each row claimed by one process. */
  claimOutbox(now: string, limit: number, leaseUntil: string): Promise<ClaimedOutboxRow[]>;
  migrate(): Promise<void>;
  close(): Promise<void>;
}

export interface InstanceDbRow {
  instance_id: string;
  journey_id: string;
  journey_version: number | string;
  profile_id: string;
  revision: number | string;
  active: number | boolean;
  step_id: string;
  body: unknown;
  entered_at: string;
  exited_at: string | null;
  exit_reason: string | null;
}

export interface OutboxDbRow {
  id: number | string;
  idempotency_key: string;
  profile_id: string;
  journey_id: string | null;
  instance_id: string | null;
  step_id: string | null;
  origin: string;
  kind: 'message' | 'task';
  payload: unknown;
  status: OutboxRow['status'];
  attempts: number | string;
  next_attempt_at: string;
  lease_until: string | null;
  created_at: string;
  updated_at: string;
  last_error: string | null;
  decision_code: string | null;
  decision_reason: string | null;
  channel: string | null;
  provider_message_id: string | null;
  sent_at: string | null;
}

interface DecisionDbRow {
  id: number | string;
  at: string;
  profile_id: string;
  journey_id: string | null;
  step_id: string | null;
  idempotency_key: string;
  channel: string | null;
  action: string;
  code: string;
  reason: string;
  until: string | null;
}

interface JourneyDbRow {
  journey_id: string;
  version: number | string;
  status: JourneyStatus;
  created_at: string;
  updated_at: string;
  definition: unknown;
}

type DecisionCountRow = { dimension: string; key: string | null; action: string; messages: number | string };

const TIMER_COLUMNS = raw(
  't.token, t.instance_id AS "instanceId", t.journey_id AS "journeyId", t.profile_id AS "profileId", t.due_at AS "dueAt"',
);

export class SqlConductorStore implements ConductorStore {
  readonly engine: 'sqlite' | 'postgres';
  private readonly dialect: StoreDialect;
  private readonly t: ReturnType<typeof tablesOf>;

  constructor(private readonly db: ConductorEngine) {
    this.engine = db.engine;
    this.dialect = db.dialect;
    this.t = tablesOf(db.dialect);
  }

  migrate(): Promise<void> {
    return this.db.migrate();
  }

  close(): Promise<void> {
    return this.db.close();
  }

  // --- journeys

  async saveJourney(
    journeyId: string,
    version: number,
    definition: unknown,
    now: string,
  ): Promise<StoredJourney> {
    const t = this.t;
    return this.db.transaction(async (x) => {
      await x.run(
        sql`INSERT INTO ${t.versions} (journey_id, version, definition, saved_at) VALUES (${journeyId}, ${version}, ${json(definition)}, ${now})
         ON CONFLICT (journey_id, version) DO UPDATE SET definition = excluded.definition, saved_at = excluded.saved_at`,
      );
      await x.run(
        sql`INSERT INTO ${t.journeys} AS j (journey_id, version, status, created_at, updated_at) VALUES (${journeyId}, ${version}, 'active', ${now}, ${now})
         ON CONFLICT (journey_id) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at,
           status = CASE WHEN j.status = 'deleted' THEN 'active' ELSE j.status END`,
      );
      return (await this.readJourney(x, journeyId)) as StoredJourney;
    });
  }

  private async readJourney(x: SqlExecutor, journeyId: string): Promise<StoredJourney | undefined> {
    const row = await x.get<JourneyDbRow>(sql`${this.journeySelect()} WHERE j.journey_id = ${journeyId}`);
    return row && this.toJourney(row);
  }

  private journeySelect(): Sql {
    return sql`SELECT j.journey_id, j.version, j.status, j.created_at, j.updated_at, v.definition
      FROM ${this.t.journeys} j JOIN ${this.t.versions} v ON v.journey_id = j.journey_id AND v.version = j.version`;
  }

  getJourney(journeyId: string): Promise<StoredJourney | undefined> {
    return this.readJourney(this.db.reads, journeyId);
  }

  async getJourneyVersion(journeyId: string, version: number): Promise<unknown | undefined> {
    const row = await this.db.reads.get<{ definition: unknown }>(
      sql`SELECT definition FROM ${this.t.versions} WHERE journey_id = ${journeyId} AND version = ${version}`,
    );
    return row && this.dialect.readJson(row.definition);
  }

  async listJourneyVersions(journeyId: string): Promise<JourneyVersionRow[]> {
    const name = raw(this.dialect.jsonFieldText('definition', 'name'));
    const rows = await this.db.reads.all<{ version: number | string; saved_at: string; name: string | null }>(
      sql`SELECT version, saved_at, ${name} AS name FROM ${this.t.versions}
       WHERE journey_id = ${journeyId} ORDER BY version DESC`,
    );
    return rows.map((r) => ({ version: Number(r.version), savedAt: r.saved_at, name: r.name ?? null }));
  }

  async listVersionKeys(): Promise<Array<{ journeyId: string; version: number }>> {
    const rows = await this.db.reads.all<{ journey_id: string; version: number | string }>(
      sql`SELECT journey_id, version FROM ${this.t.versions} ORDER BY journey_id, version`,
    );
    return rows.map((row) => ({ journeyId: row.journey_id, version: Number(row.version) }));
  }

  async listJourneys(): Promise<StoredJourney[]> {
    const rows = await this.db.reads.all<JourneyDbRow>(
      sql`${this.journeySelect()} WHERE j.status <> 'deleted' ORDER BY j.journey_id`,
    );
    return rows.map((row) => this.toJourney(row));
  }

  setJourneyStatus(journeyId: string, status: JourneyStatus, now: string): Promise<boolean> {
    return this.db.writes(
      async (x) =>
        (await x.run(
          sql`UPDATE ${this.t.journeys} SET status = ${status}, updated_at = ${now} WHERE journey_id = ${journeyId} AND status <> 'deleted'`,
        )) > 0,
    );
  }

  async journeyStats(journeyId: string): Promise<JourneyStats> {
    const { reads } = this.db;
    const t = this.t;
    const active = raw(this.dialect.isTrue('active'));
    const byStatus = await reads.all<{ active: unknown; exitReason: string | null; n: number }>(
      sql`SELECT active, exit_reason AS "exitReason", CAST(count(*) AS integer) AS n FROM ${t.instances}
       WHERE journey_id = ${journeyId} GROUP BY active, exit_reason`,
    );
    const current = await reads.all<{ stepId: string; n: number }>(
      sql`SELECT step_id AS "stepId", CAST(count(*) AS integer) AS n FROM ${t.instances}
       WHERE journey_id = ${journeyId} AND ${active} GROUP BY step_id`,
    );
    const passes = await reads.all<{ stepId: string; n: number }>(
      sql`SELECT step_id AS "stepId", CAST(passes AS integer) AS n FROM ${t.stepCounts} WHERE journey_id = ${journeyId}`,
    );
    return assembleStats(
      byStatus.map((r) => ({ ...r, active: this.dialect.readBool(r.active) })),
      current,
      passes,
    );
  }

  // --- processor, timers

  async getOffset(processor: string): Promise<number> {
    const row = await this.db.reads.get<{ seq: number | string }>(
      sql`SELECT seq FROM ${this.t.offsets} WHERE processor = ${processor}`,
    );
    return row ? Number(row.seq) : 0;
  }

  withProcessor<T>(
    processor: string,
    work: (tx: ConductorTransaction, offset: number) => Promise<T>,
  ): Promise<T | undefined> {
    return this.db.processorStep(processor, (x, quarantine, offset) =>
      work(this.transaction(x, quarantine, processor), offset),
    );
  }

  withDueTimers<T>(
    now: string,
    limit: number,
    work: (tx: ConductorTransaction, timers: TimerRow[]) => Promise<T>,
  ): Promise<T> {
    const t = this.t;
    const lock = raw(this.dialect.forUpdate('OF t SKIP LOCKED'));
    return this.db.step(async (x, quarantine) => {
      const timers = await x.all<TimerRow>(
        sql`SELECT ${TIMER_COLUMNS} FROM ${t.timers} t
         WHERE t.due_at <= ${now} AND EXISTS (SELECT 1 FROM ${t.journeys} j WHERE j.journey_id = t.journey_id AND j.status = 'active')
         ORDER BY t.due_at LIMIT ${limit} ${lock}`,
      );
      return work(this.transaction(x, quarantine, undefined), timers);
    });
  }

  withTransaction<T>(work: (tx: ConductorTransaction) => Promise<T>): Promise<T> {
    return this.db.step((x, quarantine) => work(this.transaction(x, quarantine, undefined)));
  }

  private transaction(
    x: SqlExecutor,
    quarantine: QuarantineWrites,
    processor: string | undefined,
  ): ConductorTransaction {
    const t = this.t;
    return {
      quarantine,
      activeInstancesOf: async (profileIds) => {
        const active = raw(this.dialect.isTrue('active'));
        const rows: StoredInstance[] = [];
        for (const part of chunk([...new Set(profileIds)])) {
          const found = await x.all<InstanceDbRow>(
            sql`SELECT * FROM ${t.instances} WHERE ${active} AND ${oneOf('profile_id', part)}`,
          );
          rows.push(...found.map((row) => this.toInstance(row)));
        }
        return rows;
      },
      anyActiveInstance: async () => {
        const active = raw(this.dialect.isTrue('active'));
        const row = await x.get<{ one: number }>(
          sql`SELECT 1 AS one FROM ${t.instances} WHERE ${active} LIMIT 1`,
        );
        return row !== undefined;
      },
      entryHistory: async (journeyId, profileId) => {
        const anyActive = raw(this.dialect.anyTrue('active'));
        const row = (await x.get<{ entries: number; active: unknown; lastExitAt: string | null }>(
          sql`SELECT CAST(count(*) AS integer) AS entries, ${anyActive} AS active, max(exited_at) AS "lastExitAt"
           FROM ${t.instances} WHERE journey_id = ${journeyId} AND profile_id = ${profileId}`,
        )) as { entries: number; active: unknown; lastExitAt: string | null };
        return {
          entries: Number(row.entries),
          active: this.dialect.readBool(row.active),
          lastExitAt: row.lastExitAt ?? undefined,
        };
      },
      getInstance: async (instanceId) => {
        // FOR UPDATE: an instance is advanced by one transaction at a time (event vs timer).
        const lock = raw(this.dialect.forUpdate());
        const row = await x.get<InstanceDbRow>(
          sql`SELECT * FROM ${t.instances} WHERE instance_id = ${instanceId} ${lock}`,
        );
        return row && this.toInstance(row);
      },
      writeInstance: (write) => this.writeInstance(x, write),
      deleteTimer: async (token) => {
        await x.run(sql`DELETE FROM ${t.timers} WHERE token = ${token}`);
      },
      addSuppressions: async (rows) => {
        for (const r of rows) {
          await x.run(
            sql`INSERT INTO ${t.suppressions} (profile_id, channel, scope, reason, at)
             VALUES (${r.profileId}, ${r.channel}, ${r.scope}, ${r.reason}, ${r.at}) ON CONFLICT DO NOTHING`,
          );
        }
      },
      setOffset: async (seq) => {
        if (!processor) throw new Error('setOffset outside a processor transaction');
        await x.run(
          sql`INSERT INTO ${t.offsets} (processor, seq) VALUES (${processor}, ${seq})
           ON CONFLICT (processor) DO UPDATE SET seq = excluded.seq`,
        );
      },
    };
  }

  /**
   * Compare-and-set on the revision, with the instance's timers, sends and step counters, in a
   * savepoint so a lost race leaves nothing behind. A new instance is refused (ON CONFLICT DO
   * NOTHING) when its id exists or the person already has an active trip (the partial unique
   * index journey_instances_one_active).
   */
  private async writeInstance(x: SqlExecutor, write: InstanceWrite): Promise<boolean> {
    const t = this.t;
    const i = write.instance;
    await x.run(sql`SAVEPOINT write_instance`);
    try {
      const changed =
        write.expectedRevision === null
          ? await x.run(
              sql`INSERT INTO ${t.instances} (instance_id, journey_id, journey_version, profile_id, revision, active,
                 step_id, body, entered_at, exited_at, exit_reason)
               VALUES (${i.instanceId}, ${i.journeyId}, ${i.journeyVersion}, ${i.profileId}, ${i.revision}, ${i.active},
                 ${i.stepId}, ${json(i.body)}, ${i.enteredAt}, ${i.exitedAt}, ${i.exitReason})
               ON CONFLICT DO NOTHING`,
            )
          : await x.run(
              sql`UPDATE ${t.instances} SET revision = ${i.revision}, active = ${i.active}, step_id = ${i.stepId},
                 body = ${json(i.body)}, exited_at = ${i.exitedAt}, exit_reason = ${i.exitReason}
               WHERE instance_id = ${i.instanceId} AND revision = ${write.expectedRevision}`,
            );
      if (changed === 0) {
        await rollbackTo(x);
        return false;
      }
      for (const part of chunk(write.cancelTimers))
        await x.run(sql`DELETE FROM ${t.timers} WHERE ${oneOf('token', part)}`);
      for (const timer of write.timers) {
        await x.run(
          sql`INSERT INTO ${t.timers} (token, instance_id, journey_id, profile_id, due_at)
           VALUES (${timer.token}, ${timer.instanceId}, ${timer.journeyId}, ${timer.profileId}, ${timer.dueAt})
           ON CONFLICT (token) DO UPDATE SET due_at = excluded.due_at`,
        );
      }
      await this.insertOutbox(x, write.outbox);
      for (const [stepId, n] of Object.entries(write.stepPasses)) {
        if (n <= 0) continue;
        await x.run(
          sql`INSERT INTO ${t.stepCounts} AS s (journey_id, step_id, passes) VALUES (${i.journeyId}, ${stepId}, ${n})
           ON CONFLICT (journey_id, step_id) DO UPDATE SET passes = s.passes + excluded.passes`,
        );
      }
      await x.run(sql`RELEASE SAVEPOINT write_instance`);
      return true;
    } catch (error) {
      await rollbackTo(x);
      throw error;
    }
  }

  private async insertOutbox(x: SqlExecutor, entries: OutboxEntry[]): Promise<number> {
    let added = 0;
    for (const e of entries) {
      added += await x.run(
        sql`INSERT INTO ${this.t.outbox} (idempotency_key, profile_id, journey_id, instance_id, step_id, origin, kind, payload,
           status, attempts, next_attempt_at, created_at, updated_at)
         VALUES (${e.idempotencyKey}, ${e.profileId}, ${e.journeyId}, ${e.instanceId}, ${e.stepId}, ${e.origin}, ${e.kind},
           ${json(e.payload)}, 'queued', 0, ${e.nextAttemptAt}, ${e.createdAt}, ${e.createdAt})
         ON CONFLICT (idempotency_key) DO NOTHING`,
      );
    }
    return added;
  }

  async instancesOf(profileId: string): Promise<StoredInstance[]> {
    const rows = await this.db.reads.all<InstanceDbRow>(
      sql`SELECT * FROM ${this.t.instances} WHERE profile_id = ${profileId} ORDER BY entered_at, instance_id`,
    );
    return rows.map((row) => this.toInstance(row));
  }

  async instancesOfProfiles(profileIds: string[], limit: number): Promise<StoredInstance[]> {
    if (profileIds.length === 0) return [];
    const order = raw(
      `${this.dialect.byCodePoint('entered_at')} DESC, ${this.dialect.byCodePoint('instance_id')} DESC`,
    );
    const rows = await this.db.reads.all<InstanceDbRow>(
      sql`SELECT * FROM ${this.t.instances} WHERE ${oneOf('profile_id', profileIds)} ORDER BY ${order} LIMIT ${limit}`,
    );
    return rows.map((row) => this.toInstance(row));
  }

  async getInstance(instanceId: string): Promise<StoredInstance | undefined> {
    const row = await this.db.reads.get<InstanceDbRow>(
      sql`SELECT * FROM ${this.t.instances} WHERE instance_id = ${instanceId}`,
    );
    return row && this.toInstance(row);
  }

  pendingTimers(instanceId: string): Promise<TimerRow[]> {
    return this.db.reads.all<TimerRow>(
      sql`SELECT ${TIMER_COLUMNS} FROM ${this.t.timers} t WHERE t.instance_id = ${instanceId} ORDER BY t.due_at`,
    );
  }

  // --- outbox

  enqueue(entries: OutboxEntry[]): Promise<number> {
    return this.db.writes((x) => this.insertOutbox(x, entries));
  }

  async claimOutbox(
    now: string,
    limit: number,
    leaseMs: number,
  ): Promise<Array<OutboxRow & { interrupted: boolean }>> {
    const lease = new Date(Date.parse(now) + leaseMs).toISOString();
    const rows = await this.db.claimOutbox(now, limit, lease);
    return rows.map((row) => ({
      ...this.toOutboxRow(row),
      interrupted: row.was === 'sending' && row.decision_code === DELIVERING,
    }));
  }

  startDelivery(id: number, leaseUntil: string, now: string): Promise<boolean> {
    return this.db.writes(
      async (x) =>
        (await x.run(
          sql`UPDATE ${this.t.outbox} SET decision_code = ${DELIVERING}, updated_at = ${now}
           WHERE id = ${id} AND status = 'sending' AND lease_until = ${leaseUntil}`,
        )) === 1,
    );
  }

  async updateOutbox(id: number, u: OutboxUpdate): Promise<void> {
    await this.db.writes((x) =>
      x.run(
        sql`UPDATE ${this.t.outbox} SET status = ${u.status}, attempts = ${u.attempts},
           next_attempt_at = coalesce(${u.nextAttemptAt ?? null}, next_attempt_at),
           lease_until = NULL, updated_at = ${u.updatedAt},
           last_error = CASE WHEN ${u.lastError !== undefined} THEN ${u.lastError ?? null} ELSE last_error END,
           decision_code = coalesce(${u.decisionCode ?? null}, decision_code),
           decision_reason = coalesce(${u.decisionReason ?? null}, decision_reason),
           channel = coalesce(${u.channel ?? null}, channel),
           provider_message_id = coalesce(${u.providerMessageId ?? null}, provider_message_id),
           sent_at = coalesce(${u.sentAt ?? null}, sent_at)
         WHERE id = ${id}`,
      ),
    );
  }

  async getOutbox(idempotencyKey: string): Promise<OutboxRow | undefined> {
    const row = await this.db.reads.get<OutboxDbRow>(
      sql`SELECT * FROM ${this.t.outbox} WHERE idempotency_key = ${idempotencyKey}`,
    );
    return row && this.toOutboxRow(row);
  }

  async listOutbox(q: OutboxQuery): Promise<OutboxRow[]> {
    const where = conditions([
      q.status && sql`status = ${q.status}`,
      q.profileId && sql`profile_id = ${q.profileId}`,
      q.journeyId && sql`journey_id = ${q.journeyId}`,
      q.beforeId !== undefined && sql`id < ${q.beforeId}`,
    ]);
    const rows = await this.db.reads.all<OutboxDbRow>(
      sql`SELECT * FROM ${this.t.outbox} ${where} ORDER BY id DESC LIMIT ${q.limit}`,
    );
    return rows.map((row) => this.toOutboxRow(row));
  }

  async nextOutboxDue(): Promise<string | undefined> {
    const row = await this.db.reads.get<{ t: string | null }>(
      sql`SELECT min(t) AS t FROM (
           SELECT min(next_attempt_at) AS t FROM ${this.t.outbox} WHERE status IN ('queued', 'deferred')
           UNION ALL SELECT min(lease_until) FROM ${this.t.outbox} WHERE status = 'sending') AS due`,
    );
    return row?.t ?? undefined;
  }

  // --- caps

  async capCounts(profileId: string, keys: string[]): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    if (keys.length === 0) return counts;
    const rows = await this.db.reads.all<{ key: string; count: number | string }>(
      sql`SELECT bucket_key AS key, count FROM ${this.t.caps} WHERE profile_id = ${profileId} AND ${oneOf('bucket_key', keys)}`,
    );
    for (const row of rows) counts[row.key] = Number(row.count);
    return counts;
  }

  reserveCaps(
    profileId: string,
    reservations: Array<{ key: string; from: number; to: number }>,
  ): Promise<boolean> {
    const caps = this.t.caps;
    return this.db
      .transaction(async (x) => {
        for (const r of reservations) {
          const changed =
            r.from === 0
              ? await x.run(
                  sql`INSERT INTO ${caps} AS k (profile_id, bucket_key, count) VALUES (${profileId}, ${r.key}, ${r.to})
                   ON CONFLICT (profile_id, bucket_key) DO UPDATE SET count = excluded.count WHERE k.count = 0`,
                )
              : await x.run(
                  sql`UPDATE ${caps} SET count = ${r.to} WHERE profile_id = ${profileId} AND bucket_key = ${r.key} AND count = ${r.from}`,
                );
          if (changed === 0) throw new CapConflict();
        }
        return true;
      })
      .catch((error) => {
        if (error instanceof CapConflict) return false;
        throw error;
      });
  }

  async releaseCaps(profileId: string, keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.db.writes(async (x) => {
      for (const part of chunk(keys))
        await x.run(
          sql`UPDATE ${this.t.caps} SET count = count - 1
           WHERE profile_id = ${profileId} AND ${oneOf('bucket_key', part)} AND count > 0`,
        );
    });
  }

  // --- decisions, suppressions, schedules

  async logDecisions(rows: DecisionRecord[]): Promise<void> {
    await this.db.writes(async (x) => {
      for (const d of rows) {
        await x.run(
          sql`INSERT INTO ${this.t.decisions} (at, profile_id, journey_id, step_id, idempotency_key, channel, action, code, reason, until)
           VALUES (${d.at}, ${d.profileId}, ${d.journeyId}, ${d.stepId}, ${d.idempotencyKey}, ${d.channel}, ${d.action},
             ${d.code}, ${d.reason}, ${d.until})`,
        );
      }
    });
  }

  async listDecisions(q: DecisionQuery): Promise<StoredDecision[]> {
    const where = conditions([
      q.profileId && sql`profile_id = ${q.profileId}`,
      q.journeyId && sql`journey_id = ${q.journeyId}`,
      q.beforeId !== undefined && sql`id < ${q.beforeId}`,
    ]);
    const rows = await this.db.reads.all<DecisionDbRow>(
      sql`SELECT * FROM ${this.t.decisions} ${where} ORDER BY id DESC LIMIT ${q.limit}`,
    );
    return rows.map(toDecision);
  }

  async countDecisions(fromIso: string, toIso: string): Promise<DecisionCounts> {
    return toDecisionCounts(
      await this.db.reads.all<DecisionCountRow>(decisionCountsSql(this.t.decisions, fromIso, toIso)),
    );
  }

  suppressionsOf(profileId: string): Promise<ChannelSuppressionRow[]> {
    return this.db.reads.all<ChannelSuppressionRow>(
      sql`SELECT profile_id AS "profileId", channel, scope, reason, at FROM ${this.t.suppressions}
       WHERE profile_id = ${profileId} ORDER BY at`,
    );
  }

  async getScheduleMark(key: string): Promise<string | undefined> {
    const row = await this.db.reads.get<{ value: string }>(
      sql`SELECT value FROM ${this.t.marks} WHERE key = ${key}`,
    );
    return row?.value;
  }

  moveScheduleMark(key: string, from: string | undefined, to: string): Promise<boolean> {
    const marks = this.t.marks;
    return this.db.writes(
      async (x) =>
        (from === undefined
          ? await x.run(sql`INSERT INTO ${marks} (key, value) VALUES (${key}, ${to}) ON CONFLICT DO NOTHING`)
          : await x.run(sql`UPDATE ${marks} SET value = ${to} WHERE key = ${key} AND value = ${from}`)) > 0,
    );
  }

  // --- rows

  private toInstance(r: InstanceDbRow): StoredInstance {
    return {
      instanceId: r.instance_id,
      journeyId: r.journey_id,
      journeyVersion: Number(r.journey_version),
      profileId: r.profile_id,
      revision: Number(r.revision),
      active: this.dialect.readBool(r.active),
      stepId: r.step_id,
      body: this.dialect.readJson(r.body),
      enteredAt: r.entered_at,
      exitedAt: r.exited_at,
      exitReason: r.exit_reason,
    };
  }

  private toJourney(r: JourneyDbRow): StoredJourney {
    return {
      journeyId: r.journey_id,
      version: Number(r.version),
      status: r.status,
      definition: this.dialect.readJson(r.definition),
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    };
  }

  toOutboxRow(r: OutboxDbRow): OutboxRow {
    return {
      id: Number(r.id),
      idempotencyKey: r.idempotency_key,
      profileId: r.profile_id,
      journeyId: r.journey_id,
      instanceId: r.instance_id,
      stepId: r.step_id,
      origin: r.origin,
      kind: r.kind,
      payload: this.dialect.readJson(r.payload),
      status: r.status,
      attempts: Number(r.attempts),
      nextAttemptAt: r.next_attempt_at,
      leaseUntil: r.lease_until,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
      lastError: r.last_error,
      decisionCode: r.decision_code,
      decisionReason: r.decision_reason,
      channel: r.channel,
      providerMessageId: r.provider_message_id,
      sentAt: r.sent_at,
    };
  }
}

class CapConflict extends Error {}

function tablesOf(dialect: StoreDialect) {
  const table = (name: string) => raw(dialect.table(name));
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
  };
}

async function rollbackTo(x: SqlExecutor): Promise<void> {
  await x.run(sql`ROLLBACK TO SAVEPOINT write_instance`);
  await x.run(sql`RELEASE SAVEPOINT write_instance`);
}

function chunk<T>(items: readonly T[]): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += LIST_CHUNK) chunks.push(items.slice(i, i + LIST_CHUNK));
  return chunks;
}

/** `WHERE a AND b` of the conditions given (false and undefined are left out), or nothing. */
function conditions(parts: Array<Sql | false | undefined | ''>): Sql {
  const given = parts.filter((part): part is Sql => part instanceof Object);
  return given.length === 0 ? sql`` : sql`WHERE ${join(given, ' AND ')}`;
}

const toDecision = (r: DecisionDbRow): StoredDecision => ({
  id: Number(r.id),
  at: r.at,
  profileId: r.profile_id,
  journeyId: r.journey_id,
  stepId: r.step_id,
  idempotencyKey: r.idempotency_key,
  channel: r.channel,
  action: r.action,
  code: r.code,
  reason: r.reason,
  until: r.until,
});

/** The decision counts in one statement (`at` is ISO text in UTC, so text order is time order). */
function decisionCountsSql(table: ReturnType<typeof raw>, from: string, to: string): Sql {
  const range = () => sql`WHERE at >= ${from} AND at < ${to}`;
  const count = raw('CAST(count(DISTINCT idempotency_key) AS integer) AS messages');
  return sql`SELECT 'channel' AS dimension, channel AS key, action, ${count} FROM ${table} ${range()} GROUP BY channel, action
    UNION ALL SELECT 'journey', journey_id, action, ${count} FROM ${table} ${range()} GROUP BY journey_id, action
    UNION ALL SELECT 'code', code, action, ${count} FROM ${table} ${range()} AND action IN ('defer', 'drop') GROUP BY code, action
    UNION ALL SELECT 'total', NULL, action, ${count} FROM ${table} ${range()} GROUP BY action`;
}

function toDecisionCounts(rows: DecisionCountRow[]): DecisionCounts {
  const counts: DecisionCounts = { total: {}, byChannel: [], byJourney: [], byCode: [] };
  for (const row of rows) {
    const messages = Number(row.messages);
    if (row.dimension === 'total') counts.total[row.action] = messages;
    if (row.dimension === 'channel')
      counts.byChannel.push({ channel: row.key, action: row.action, messages });
    if (row.dimension === 'journey')
      counts.byJourney.push({ journeyId: row.key, action: row.action, messages });
    if (row.dimension === 'code') counts.byCode.push({ action: row.action, code: String(row.key), messages });
  }
  return counts;
}

/** Counts by exit reason and per step. */
function assembleStats(
  byStatus: Array<{ active: boolean; exitReason: string | null; n: number }>,
  current: Array<{ stepId: string; n: number }>,
  passes: Array<{ stepId: string; n: number }>,
): JourneyStats {
  const stats: JourneyStats = { entered: 0, active: 0, completed: 0, converted: 0, aborted: 0, steps: {} };
  for (const row of byStatus) {
    stats.entered += row.n;
    if (row.active) stats.active += row.n;
    else if (row.exitReason === 'completed' || row.exitReason === 'converted' || row.exitReason === 'aborted')
      stats[row.exitReason] += row.n;
  }
  for (const row of passes) stats.steps[row.stepId] = { current: 0, passed: row.n };
  for (const row of current) {
    const step = stats.steps[row.stepId] ?? { current: 0, passed: 0 };
    step.current = row.n;
    stats.steps[row.stepId] = step;
  }
  return stats;
}
