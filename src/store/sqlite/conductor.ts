// The conductor store on the embedded engine: its own connection to state.sqlite and its own
// migration track (conductor_schema_migrations), so its tables never renumber the state
// store's. One process owns the embedded files, so there is nothing to share: transactions on
// this connection are queued one after another (the runner's loops interleave at awaits).
import type {
  ChannelSuppressionRow,
  ConductorStore,
  ConductorTransaction,
  DecisionCounts,
  DecisionQuery,
  DecisionRecord,
  EntryHistoryRow,
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
  type AsyncWriter,
  asyncWriter,
  chunk,
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

interface InstanceDbRow {
  instance_id: string;
  journey_id: string;
  journey_version: number;
  profile_id: string;
  revision: number;
  active: number;
  step_id: string;
  body: string;
  entered_at: string;
  exited_at: string | null;
  exit_reason: string | null;
}

const toInstance = (r: InstanceDbRow): StoredInstance => ({
  instanceId: r.instance_id,
  journeyId: r.journey_id,
  journeyVersion: r.journey_version,
  profileId: r.profile_id,
  revision: r.revision,
  active: r.active === 1,
  stepId: r.step_id,
  body: JSON.parse(r.body),
  enteredAt: r.entered_at,
  exitedAt: r.exited_at,
  exitReason: r.exit_reason,
});

interface OutboxDbRow {
  id: number;
  idempotency_key: string;
  profile_id: string;
  journey_id: string | null;
  instance_id: string | null;
  step_id: string | null;
  origin: string;
  kind: 'message' | 'task';
  payload: string;
  status: OutboxRow['status'];
  attempts: number;
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

export const toOutboxRow = (r: OutboxDbRow): OutboxRow => ({
  id: Number(r.id),
  idempotencyKey: r.idempotency_key,
  profileId: r.profile_id,
  journeyId: r.journey_id,
  instanceId: r.instance_id,
  stepId: r.step_id,
  origin: r.origin,
  kind: r.kind,
  payload: typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload,
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
});

interface DecisionDbRow {
  id: number;
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

type DecisionCountRow = Parameters<typeof toDecisionCounts>[0][number];

export const toDecision = (r: DecisionDbRow): StoredDecision => ({
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

/**
 * The decision counts in one statement for both engines (`at` is ISO text in UTC on both, so a
 * text comparison is a time comparison). `bind` gives the engine's placeholder for the range.
 */
export function decisionCountsSql(table: string, from: string, to: string): string {
  const range = `WHERE at >= ${from} AND at < ${to}`;
  const count = 'count(DISTINCT idempotency_key) AS messages';
  return `SELECT 'channel' AS dimension, channel AS key, action, ${count} FROM ${table} ${range} GROUP BY channel, action
    UNION ALL SELECT 'journey', journey_id, action, ${count} FROM ${table} ${range} GROUP BY journey_id, action
    UNION ALL SELECT 'code', code, action, ${count} FROM ${table} ${range} AND action IN ('defer', 'drop') GROUP BY code, action
    UNION ALL SELECT 'total', NULL, action, ${count} FROM ${table} ${range} GROUP BY action`;
}

export function toDecisionCounts(
  rows: Array<{ dimension: string; key: string | null; action: string; messages: number | string }>,
): DecisionCounts {
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

/** Counts by exit reason and per step, assembled the same way on both engines. */
export function assembleStats(
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

export class SqliteConductorStore implements ConductorStore {
  readonly engine = 'sqlite' as const;
  private readonly db: SqliteDatabase;
  /** Transactions on this one connection, one after another, never sleeping on the lock. */
  private readonly serial: AsyncWriter;

  constructor(statePath: string) {
    this.db = openSqlite(statePath, { synchronous: 'NORMAL' });
    migrate(this.db);
    // This connection is used on the HTTP thread. SQLite's busy handler waits for the pipeline
    // worker's write lock by sleeping the calling thread, which would stall every request for
    // as long: fail at once instead, and wait between tries asynchronously (asyncWriter).
    this.serial = asyncWriter(this.db);
  }

  async migrate(): Promise<void> {
    migrate(this.db);
  }

  async close(): Promise<void> {
    await this.serial.idle();
    this.db.close();
  }

  // --- journeys

  async saveJourney(
    journeyId: string,
    version: number,
    definition: unknown,
    now: string,
  ): Promise<StoredJourney> {
    return this.serial(async () => {
      this.db
        .prepare(
          `INSERT INTO journey_versions (journey_id, version, definition, saved_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (journey_id, version) DO UPDATE SET definition = excluded.definition, saved_at = excluded.saved_at`,
        )
        .run(journeyId, version, JSON.stringify(definition), now);
      this.db
        .prepare(
          `INSERT INTO journeys (journey_id, version, status, created_at, updated_at) VALUES (?, ?, 'active', ?, ?)
           ON CONFLICT (journey_id) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at,
             status = CASE WHEN journeys.status = 'deleted' THEN 'active' ELSE journeys.status END`,
        )
        .run(journeyId, version, now, now);
      return this.readJourney(journeyId) as StoredJourney;
    });
  }

  private readJourney(journeyId: string): StoredJourney | undefined {
    const row = this.db
      .prepare(
        `SELECT j.journey_id, j.version, j.status, j.created_at, j.updated_at, v.definition
         FROM journeys j JOIN journey_versions v ON v.journey_id = j.journey_id AND v.version = j.version
         WHERE j.journey_id = ?`,
      )
      .get(journeyId) as JourneyDbRow | undefined;
    return row && toJourney(row);
  }

  async getJourney(journeyId: string): Promise<StoredJourney | undefined> {
    return this.readJourney(journeyId);
  }

  async getJourneyVersion(journeyId: string, version: number): Promise<unknown | undefined> {
    const row = this.db
      .prepare('SELECT definition FROM journey_versions WHERE journey_id = ? AND version = ?')
      .get(journeyId, version) as { definition: string } | undefined;
    return row && JSON.parse(row.definition);
  }

  async listJourneyVersions(journeyId: string): Promise<JourneyVersionRow[]> {
    const rows = this.db
      .prepare(
        `SELECT version, saved_at, json_extract(definition, '$.name') AS name FROM journey_versions
         WHERE journey_id = ? ORDER BY version DESC`,
      )
      .all(journeyId) as Array<{ version: number; saved_at: string; name: string | null }>;
    return rows.map((r) => ({ version: r.version, savedAt: r.saved_at, name: r.name }));
  }

  async listJourneys(): Promise<StoredJourney[]> {
    const rows = this.db
      .prepare(
        `SELECT j.journey_id, j.version, j.status, j.created_at, j.updated_at, v.definition
         FROM journeys j JOIN journey_versions v ON v.journey_id = j.journey_id AND v.version = j.version
         WHERE j.status <> 'deleted' ORDER BY j.journey_id`,
      )
      .all() as JourneyDbRow[];
    return rows.map(toJourney);
  }

  async setJourneyStatus(journeyId: string, status: JourneyStatus, now: string): Promise<boolean> {
    return this.serial(async () => {
      const result = this.db
        .prepare(
          `UPDATE journeys SET status = ?, updated_at = ? WHERE journey_id = ? AND status <> 'deleted'`,
        )
        .run(status, now, journeyId);
      return result.changes > 0;
    });
  }

  async journeyStats(journeyId: string): Promise<JourneyStats> {
    const byStatus = this.db
      .prepare(
        'SELECT active, exit_reason AS exitReason, count(*) AS n FROM journey_instances WHERE journey_id = ? GROUP BY active, exit_reason',
      )
      .all(journeyId) as Array<{ active: number; exitReason: string | null; n: number }>;
    const current = this.db
      .prepare(
        'SELECT step_id AS stepId, count(*) AS n FROM journey_instances WHERE journey_id = ? AND active = 1 GROUP BY step_id',
      )
      .all(journeyId) as Array<{ stepId: string; n: number }>;
    const passes = this.db
      .prepare('SELECT step_id AS stepId, passes AS n FROM journey_step_counts WHERE journey_id = ?')
      .all(journeyId) as Array<{ stepId: string; n: number }>;
    return assembleStats(
      byStatus.map((r) => ({ ...r, active: r.active === 1 })),
      current,
      passes,
    );
  }

  // --- processor, timers

  async getOffset(processor: string): Promise<number> {
    const row = this.db.prepare('SELECT seq FROM processor_offsets WHERE processor = ?').get(processor) as
      | { seq: number }
      | undefined;
    return row?.seq ?? 0;
  }

  async withProcessor<T>(
    processor: string,
    work: (tx: ConductorTransaction, offset: number) => Promise<T>,
  ): Promise<T | undefined> {
    return this.serial(async () => work(this.transaction(processor), await this.getOffset(processor)));
  }

  async withDueTimers<T>(
    now: string,
    limit: number,
    work: (tx: ConductorTransaction, timers: TimerRow[]) => Promise<T>,
  ): Promise<T> {
    return this.serial(async () => {
      const timers = this.db
        .prepare(
          `SELECT t.token, t.instance_id AS instanceId, t.journey_id AS journeyId, t.profile_id AS profileId, t.due_at AS dueAt
           FROM journey_timers t JOIN journeys j ON j.journey_id = t.journey_id
           WHERE t.due_at <= ? AND j.status = 'active' ORDER BY t.due_at LIMIT ?`,
        )
        .all(now, limit) as TimerRow[];
      return work(this.transaction(undefined), timers);
    });
  }

  async withTransaction<T>(work: (tx: ConductorTransaction) => Promise<T>): Promise<T> {
    return this.serial(async () => work(this.transaction(undefined)));
  }

  private transaction(processor: string | undefined): ConductorTransaction {
    const db = this.db;
    return {
      activeInstancesOf: async (profileIds) => {
        const rows: StoredInstance[] = [];
        for (const part of chunk([...new Set(profileIds)])) {
          const marks = part.map(() => '?').join(',');
          const found = db
            .prepare(`SELECT * FROM journey_instances WHERE active = 1 AND profile_id IN (${marks})`)
            .all(...part) as InstanceDbRow[];
          rows.push(...found.map(toInstance));
        }
        return rows;
      },
      entryHistory: async (journeyId, profileId) => {
        const row = db
          .prepare(
            `SELECT count(*) AS entries, max(active) AS active, max(exited_at) AS lastExitAt
             FROM journey_instances WHERE journey_id = ? AND profile_id = ?`,
          )
          .get(journeyId, profileId) as { entries: number; active: number | null; lastExitAt: string | null };
        return {
          entries: row.entries,
          active: row.active === 1,
          lastExitAt: row.lastExitAt ?? undefined,
        } satisfies EntryHistoryRow;
      },
      getInstance: async (instanceId) => this.readInstance(instanceId),
      writeInstance: async (write) => this.writeInstance(write),
      deleteTimer: async (token) => {
        db.prepare('DELETE FROM journey_timers WHERE token = ?').run(token);
      },
      addSuppressions: async (rows) => {
        const put = db.prepare(
          `INSERT INTO channel_suppressions (profile_id, channel, scope, reason, at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT DO NOTHING`,
        );
        for (const row of rows) put.run(row.profileId, row.channel, row.scope, row.reason, row.at);
      },
      quarantine: sqliteQuarantineWrites(db),
      setOffset: async (seq) => {
        if (!processor) throw new Error('setOffset outside a processor transaction');
        db.prepare(
          'INSERT INTO processor_offsets (processor, seq) VALUES (?, ?) ON CONFLICT (processor) DO UPDATE SET seq = excluded.seq',
        ).run(processor, seq);
      },
    };
  }

  private readInstance(instanceId: string): StoredInstance | undefined {
    const row = this.db.prepare('SELECT * FROM journey_instances WHERE instance_id = ?').get(instanceId) as
      | InstanceDbRow
      | undefined;
    return row && toInstance(row);
  }

  private writeInstance(write: InstanceWrite): boolean {
    const db = this.db;
    const i = write.instance;
    db.exec('SAVEPOINT write_instance');
    try {
      if (write.expectedRevision === null) {
        const clash = db
          .prepare(
            'SELECT 1 FROM journey_instances WHERE instance_id = ? OR (journey_id = ? AND profile_id = ? AND active = 1)',
          )
          .get(i.instanceId, i.journeyId, i.profileId);
        if (clash) {
          db.exec('ROLLBACK TO write_instance; RELEASE write_instance');
          return false;
        }
        db.prepare(
          `INSERT INTO journey_instances (instance_id, journey_id, journey_version, profile_id, revision, active,
             step_id, body, entered_at, exited_at, exit_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(
          i.instanceId,
          i.journeyId,
          i.journeyVersion,
          i.profileId,
          i.revision,
          i.active ? 1 : 0,
          i.stepId,
          JSON.stringify(i.body),
          i.enteredAt,
          i.exitedAt,
          i.exitReason,
        );
      } else {
        const result = db
          .prepare(
            `UPDATE journey_instances SET revision = ?, active = ?, step_id = ?, body = ?, exited_at = ?, exit_reason = ?
             WHERE instance_id = ? AND revision = ?`,
          )
          .run(
            i.revision,
            i.active ? 1 : 0,
            i.stepId,
            JSON.stringify(i.body),
            i.exitedAt,
            i.exitReason,
            i.instanceId,
            write.expectedRevision,
          );
        if (result.changes === 0) {
          db.exec('ROLLBACK TO write_instance; RELEASE write_instance');
          return false;
        }
      }
      const dropTimer = db.prepare('DELETE FROM journey_timers WHERE token = ?');
      for (const token of write.cancelTimers) dropTimer.run(token);
      const putTimer = db.prepare(
        `INSERT INTO journey_timers (token, instance_id, journey_id, profile_id, due_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (token) DO UPDATE SET due_at = excluded.due_at`,
      );
      for (const t of write.timers) putTimer.run(t.token, t.instanceId, t.journeyId, t.profileId, t.dueAt);
      this.insertOutbox(write.outbox);
      const count = db.prepare(
        `INSERT INTO journey_step_counts (journey_id, step_id, passes) VALUES (?, ?, ?)
         ON CONFLICT (journey_id, step_id) DO UPDATE SET passes = passes + excluded.passes`,
      );
      for (const [stepId, n] of Object.entries(write.stepPasses))
        if (n > 0) count.run(i.journeyId, stepId, n);
      db.exec('RELEASE write_instance');
      return true;
    } catch (error) {
      db.exec('ROLLBACK TO write_instance; RELEASE write_instance');
      throw error;
    }
  }

  private insertOutbox(entries: OutboxEntry[]): number {
    const put = this.db.prepare(
      `INSERT INTO outbox (idempotency_key, profile_id, journey_id, instance_id, step_id, origin, kind, payload,
         status, attempts, next_attempt_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?, ?) ON CONFLICT (idempotency_key) DO NOTHING`,
    );
    let added = 0;
    for (const e of entries) {
      added += put.run(
        e.idempotencyKey,
        e.profileId,
        e.journeyId,
        e.instanceId,
        e.stepId,
        e.origin,
        e.kind,
        JSON.stringify(e.payload),
        e.nextAttemptAt,
        e.createdAt,
        e.createdAt,
      ).changes;
    }
    return added;
  }

  async instancesOf(profileId: string): Promise<StoredInstance[]> {
    const rows = this.db
      .prepare('SELECT * FROM journey_instances WHERE profile_id = ? ORDER BY entered_at, instance_id')
      .all(profileId) as InstanceDbRow[];
    return rows.map(toInstance);
  }

  async instancesOfProfiles(profileIds: string[], limit: number): Promise<StoredInstance[]> {
    if (profileIds.length === 0) return [];
    const marks = profileIds.map(() => '?').join(', ');
    const rows = this.db
      .prepare(
        `SELECT * FROM journey_instances WHERE profile_id IN (${marks})
         ORDER BY entered_at DESC, instance_id DESC LIMIT ?`,
      )
      .all(...profileIds, limit) as InstanceDbRow[];
    return rows.map(toInstance);
  }

  async getInstance(instanceId: string): Promise<StoredInstance | undefined> {
    return this.readInstance(instanceId);
  }

  async pendingTimers(instanceId: string): Promise<TimerRow[]> {
    return this.db
      .prepare(
        `SELECT token, instance_id AS instanceId, journey_id AS journeyId, profile_id AS profileId, due_at AS dueAt
         FROM journey_timers WHERE instance_id = ? ORDER BY due_at`,
      )
      .all(instanceId) as TimerRow[];
  }

  // --- outbox

  async enqueue(entries: OutboxEntry[]): Promise<number> {
    return this.serial(async () => this.insertOutbox(entries));
  }

  async claimOutbox(
    now: string,
    limit: number,
    leaseMs: number,
  ): Promise<Array<OutboxRow & { interrupted: boolean }>> {
    return this.serial(async () => {
      const rows = this.db
        .prepare(
          `SELECT * FROM outbox
           WHERE (status IN ('queued', 'deferred') AND next_attempt_at <= ?) OR (status = 'sending' AND lease_until <= ?)
           ORDER BY next_attempt_at, id LIMIT ?`,
        )
        .all(now, now, limit) as OutboxDbRow[];
      const lease = new Date(Date.parse(now) + leaseMs).toISOString();
      const mark = this.db.prepare(
        `UPDATE outbox SET status = 'sending', lease_until = ?, updated_at = ? WHERE id = ?`,
      );
      for (const row of rows) mark.run(lease, now, row.id);
      return rows.map((row) => ({
        ...toOutboxRow({ ...row, status: 'sending', lease_until: lease }),
        interrupted: row.status === 'sending' && row.decision_code === DELIVERING,
      }));
    });
  }

  async startDelivery(id: number, leaseUntil: string, now: string): Promise<boolean> {
    return this.serial(async () => {
      const result = this.db
        .prepare(
          `UPDATE outbox SET decision_code = '${DELIVERING}', updated_at = ?
           WHERE id = ? AND status = 'sending' AND lease_until = ?`,
        )
        .run(now, id, leaseUntil);
      return result.changes === 1;
    });
  }

  async updateOutbox(id: number, u: OutboxUpdate): Promise<void> {
    await this.serial(async () => {
      this.db
        .prepare(
          `UPDATE outbox SET status = ?, attempts = ?, next_attempt_at = coalesce(?, next_attempt_at),
             lease_until = NULL, updated_at = ?,
             last_error = CASE WHEN ? THEN ? ELSE last_error END,
             decision_code = coalesce(?, decision_code), decision_reason = coalesce(?, decision_reason),
             channel = coalesce(?, channel), provider_message_id = coalesce(?, provider_message_id),
             sent_at = coalesce(?, sent_at)
           WHERE id = ?`,
        )
        .run(
          u.status,
          u.attempts,
          u.nextAttemptAt ?? null,
          u.updatedAt,
          u.lastError !== undefined ? 1 : 0,
          u.lastError ?? null,
          u.decisionCode ?? null,
          u.decisionReason ?? null,
          u.channel ?? null,
          u.providerMessageId ?? null,
          u.sentAt ?? null,
          id,
        );
    });
  }

  async getOutbox(idempotencyKey: string): Promise<OutboxRow | undefined> {
    const row = this.db.prepare('SELECT * FROM outbox WHERE idempotency_key = ?').get(idempotencyKey) as
      | OutboxDbRow
      | undefined;
    return row && toOutboxRow(row);
  }

  async listOutbox(q: OutboxQuery): Promise<OutboxRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.status) where.push('status = ?') && params.push(q.status);
    if (q.profileId) where.push('profile_id = ?') && params.push(q.profileId);
    if (q.journeyId) where.push('journey_id = ?') && params.push(q.journeyId);
    if (q.beforeId !== undefined) where.push('id < ?') && params.push(q.beforeId);
    const sql = `SELECT * FROM outbox ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...params, q.limit) as OutboxDbRow[]).map(toOutboxRow);
  }

  async nextOutboxDue(): Promise<string | undefined> {
    const row = this.db
      .prepare(
        `SELECT min(t) AS t FROM (
           SELECT min(next_attempt_at) AS t FROM outbox WHERE status IN ('queued', 'deferred')
           UNION ALL SELECT min(lease_until) FROM outbox WHERE status = 'sending')`,
      )
      .get() as { t: string | null };
    return row.t ?? undefined;
  }

  // --- caps

  async capCounts(profileId: string, keys: string[]): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    if (keys.length === 0) return counts;
    const marks = keys.map(() => '?').join(',');
    const rows = this.db
      .prepare(
        `SELECT bucket_key AS key, count FROM cap_counters WHERE profile_id = ? AND bucket_key IN (${marks})`,
      )
      .all(profileId, ...keys) as Array<{ key: string; count: number }>;
    for (const row of rows) counts[row.key] = row.count;
    return counts;
  }

  async reserveCaps(
    profileId: string,
    reservations: Array<{ key: string; from: number; to: number }>,
  ): Promise<boolean> {
    return this.serial(async () => {
      for (const r of reservations) {
        const changed =
          r.from === 0
            ? this.db
                .prepare(
                  `INSERT INTO cap_counters (profile_id, bucket_key, count) VALUES (?, ?, ?)
                   ON CONFLICT (profile_id, bucket_key) DO UPDATE SET count = excluded.count WHERE cap_counters.count = 0`,
                )
                .run(profileId, r.key, r.to).changes
            : this.db
                .prepare(
                  'UPDATE cap_counters SET count = ? WHERE profile_id = ? AND bucket_key = ? AND count = ?',
                )
                .run(r.to, profileId, r.key, r.from).changes;
        if (changed === 0) throw new CapConflict();
      }
      return true;
    }).catch((error) => {
      if (error instanceof CapConflict) return false;
      throw error;
    });
  }

  async releaseCaps(profileId: string, keys: string[]): Promise<void> {
    await this.serial(async () => {
      const give = this.db.prepare(
        'UPDATE cap_counters SET count = count - 1 WHERE profile_id = ? AND bucket_key = ? AND count > 0',
      );
      for (const key of keys) give.run(profileId, key);
    });
  }

  // --- decisions, suppressions, schedules

  async logDecisions(rows: DecisionRecord[]): Promise<void> {
    await this.serial(async () => {
      const put = this.db.prepare(
        `INSERT INTO decisions (at, profile_id, journey_id, step_id, idempotency_key, channel, action, code, reason, until)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const d of rows)
        put.run(
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
        );
    });
  }

  async listDecisions(q: DecisionQuery): Promise<StoredDecision[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.profileId) where.push('profile_id = ?') && params.push(q.profileId);
    if (q.journeyId) where.push('journey_id = ?') && params.push(q.journeyId);
    if (q.beforeId !== undefined) where.push('id < ?') && params.push(q.beforeId);
    const sql = `SELECT * FROM decisions ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...params, q.limit) as DecisionDbRow[]).map(toDecision);
  }

  async countDecisions(fromIso: string, toIso: string): Promise<DecisionCounts> {
    const sql = decisionCountsSql('decisions', '@from', '@to');
    return toDecisionCounts(this.db.prepare(sql).all({ from: fromIso, to: toIso }) as DecisionCountRow[]);
  }

  async suppressionsOf(profileId: string): Promise<ChannelSuppressionRow[]> {
    return this.db
      .prepare(
        'SELECT profile_id AS profileId, channel, scope, reason, at FROM channel_suppressions WHERE profile_id = ? ORDER BY at',
      )
      .all(profileId) as ChannelSuppressionRow[];
  }

  async getScheduleMark(key: string): Promise<string | undefined> {
    const row = this.db.prepare('SELECT value FROM schedule_marks WHERE key = ?').get(key) as
      | { value: string }
      | undefined;
    return row?.value;
  }

  async moveScheduleMark(key: string, from: string | undefined, to: string): Promise<boolean> {
    return this.serial(async () => {
      const changes =
        from === undefined
          ? this.db
              .prepare('INSERT INTO schedule_marks (key, value) VALUES (?, ?) ON CONFLICT DO NOTHING')
              .run(key, to).changes
          : this.db
              .prepare('UPDATE schedule_marks SET value = ? WHERE key = ? AND value = ?')
              .run(to, key, from).changes;
      return changes > 0;
    });
  }
}

class CapConflict extends Error {}

interface JourneyDbRow {
  journey_id: string;
  version: number;
  status: JourneyStatus;
  created_at: string;
  updated_at: string;
  definition: string | unknown;
}

export const toJourney = (r: JourneyDbRow): StoredJourney => ({
  journeyId: r.journey_id,
  version: Number(r.version),
  status: r.status,
  definition: typeof r.definition === 'string' ? JSON.parse(r.definition) : r.definition,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});
