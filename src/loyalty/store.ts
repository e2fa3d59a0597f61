// The points ledger's storage, on SQLite (its own file, loyalty.sqlite, so its writes never wait
// for the state file's lock) or PostgreSQL (tables in the shared schema, their own migration
// component). Append-only: entries are inserted, never updated; a balance is the sum of entries.
// Every entry has a key unique per person (the source message for earnings, the request id for
// a redemption), so a replay inserts nothing; per person, so that on Citus the ledger is
// distributed by profile id with the person's other rows. The SQL is written once with `?` placeholders and
// `{ledger}` / `{state}` table names; the two small adapters below differ only in driver calls.
import { join } from 'node:path';
import type pg from 'pg';
import type { StorageLocation } from '../store/index.ts';
import { migrateSqlite, openSqlite, type SqliteDatabase } from '../store/sqlite/connection.ts';

export type EntryKind = 'earn' | 'redeem' | 'adjust' | 'expire';

export interface NewEntry {
  key: string;
  profileId: string;
  kind: EntryKind;
  /** Signed whole points: earnings positive, redemptions and expiry negative. */
  points: number;
  reason: string | null;
  sourceMessageId: string | null;
  ruleId: string | null;
  campaignId: string | null;
  at: string;
  expiresAt: string | null;
}

export interface LedgerEntry extends NewEntry {
  id: number;
}

export type Debit = { ok: true; inserted: boolean; balance: number } | { ok: false; balance: number };

interface Db {
  readonly engine: 'sqlite' | 'postgres';
  all(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  run(sql: string, params?: unknown[]): Promise<number>;
  /** Runs `work` in one transaction; on PostgreSQL `lock` serialises transactions per key. */
  transaction<T>(work: (db: Db) => Promise<T>, lock?: string): Promise<T>;
  /** After an erasure: no copy of the deleted rows left in a write-ahead log (SQLite). */
  truncateLog(): Promise<void>;
  close(): Promise<void>;
}

const SQLITE_MIGRATIONS = [
  `CREATE TABLE loyalty_ledger (
     id INTEGER PRIMARY KEY,
     entry_key TEXT NOT NULL UNIQUE,
     profile_id TEXT NOT NULL,
     kind TEXT NOT NULL,
     points INTEGER NOT NULL,
     reason TEXT,
     source_message_id TEXT,
     rule_id TEXT,
     campaign_id TEXT,
     at TEXT NOT NULL,
     expires_at TEXT
   );
   CREATE INDEX loyalty_ledger_by_profile ON loyalty_ledger (profile_id, id);
   CREATE TABLE loyalty_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);`,
  `CREATE TABLE loyalty_referrals (
     referee_id TEXT PRIMARY KEY,
     referrer_id TEXT NOT NULL,
     source_message_id TEXT NOT NULL,
     at TEXT NOT NULL,
     rewarded_at TEXT
   );
   CREATE INDEX loyalty_referrals_by_referrer ON loyalty_referrals (referrer_id);`,
  // An entry's key is unique per person (Citus enforces a unique key only when it contains the
  // distribution column): SQLite cannot drop a constraint, so the table is rebuilt.
  `CREATE TABLE loyalty_ledger_by_person (
     id INTEGER PRIMARY KEY,
     entry_key TEXT NOT NULL,
     profile_id TEXT NOT NULL,
     kind TEXT NOT NULL,
     points INTEGER NOT NULL,
     reason TEXT,
     source_message_id TEXT,
     rule_id TEXT,
     campaign_id TEXT,
     at TEXT NOT NULL,
     expires_at TEXT,
     UNIQUE (profile_id, entry_key)
   );
   INSERT INTO loyalty_ledger_by_person SELECT id, entry_key, profile_id, kind, points, reason,
     source_message_id, rule_id, campaign_id, at, expires_at FROM loyalty_ledger;
   DROP TABLE loyalty_ledger;
   ALTER TABLE loyalty_ledger_by_person RENAME TO loyalty_ledger;
   CREATE INDEX loyalty_ledger_by_profile ON loyalty_ledger (profile_id, id);`,
];

const POSTGRES_MIGRATIONS = [
  `CREATE TABLE loyalty_ledger (
     id bigserial PRIMARY KEY,
     entry_key text NOT NULL UNIQUE,
     profile_id text NOT NULL,
     kind text NOT NULL,
     points bigint NOT NULL,
     reason text,
     source_message_id text,
     rule_id text,
     campaign_id text,
     at text NOT NULL,
     expires_at text
   );
   CREATE INDEX loyalty_ledger_by_profile ON loyalty_ledger (profile_id, id);
   CREATE TABLE loyalty_state (key text PRIMARY KEY, value text NOT NULL);`,
  `CREATE TABLE loyalty_referrals (
     referee_id text PRIMARY KEY,
     referrer_id text NOT NULL,
     source_message_id text NOT NULL,
     at text NOT NULL,
     rewarded_at text
   );
   CREATE INDEX loyalty_referrals_by_referrer ON loyalty_referrals (referrer_id);`,
  // Unique per person, so that on Citus the ledger is distributed by profile_id (citus.ts).
  `ALTER TABLE loyalty_ledger DROP CONSTRAINT loyalty_ledger_entry_key_key;
   ALTER TABLE loyalty_ledger ADD CONSTRAINT loyalty_ledger_profile_entry_key UNIQUE (profile_id, entry_key);`,
];

class SqliteDb implements Db {
  readonly engine = 'sqlite' as const;
  // One connection, async callers: a transaction must not take in another caller's statements.
  #queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly db: SqliteDatabase) {
    migrateSqlite(db, SQLITE_MIGRATIONS, 'loyalty_schema_migrations');
  }

  private sql(text: string): string {
    return text
      .replaceAll('{ledger}', 'loyalty_ledger')
      .replaceAll('{state}', 'loyalty_state')
      .replaceAll('{referrals}', 'loyalty_referrals');
  }

  async all(sql: string, params: unknown[] = []) {
    return this.db.prepare(this.sql(sql)).all(...params) as Record<string, unknown>[];
  }

  async run(sql: string, params: unknown[] = []) {
    return this.db.prepare(this.sql(sql)).run(...params).changes;
  }

  transaction<T>(work: (db: Db) => Promise<T>): Promise<T> {
    const next = this.#queue.then(async () => {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await work(this);
        this.db.exec('COMMIT');
        return result;
      } catch (error) {
        this.db.exec('ROLLBACK');
        throw error;
      }
    });
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async truncateLog() {
    // secure_delete (set by openSqlite) zeroes the freed pages in the file; the WAL still holds
    // the pages as they were until a checkpoint empties it.
    await this.transactionQueueIdle();
    this.db.pragma('wal_checkpoint(TRUNCATE)');
  }

  private async transactionQueueIdle() {
    await this.#queue;
  }

  async close() {
    this.db.close();
  }
}

class PostgresDb implements Db {
  readonly engine = 'postgres' as const;

  constructor(
    private readonly pool: pg.Pool,
    private readonly schema: string,
    private readonly client?: pg.PoolClient,
    private readonly end?: () => Promise<void>,
  ) {}

  private sql(text: string): string {
    let n = 0;
    const quoted = `"${this.schema.replaceAll('"', '""')}"`;
    return text
      .replaceAll('{ledger}', `${quoted}.loyalty_ledger`)
      .replaceAll('{state}', `${quoted}.loyalty_state`)
      .replaceAll('{referrals}', `${quoted}.loyalty_referrals`)
      .replace(/\?/g, () => `$${++n}`);
  }

  async all(sql: string, params: unknown[] = []) {
    return (await (this.client ?? this.pool).query(this.sql(sql), params)).rows;
  }

  async run(sql: string, params: unknown[] = []) {
    return (await (this.client ?? this.pool).query(this.sql(sql), params)).rowCount ?? 0;
  }

  async transaction<T>(work: (db: Db) => Promise<T>, lock?: string): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      if (lock) await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`loyalty:${lock}`]);
      const result = await work(new PostgresDb(this.pool, this.schema, client));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async truncateLog() {
    // PostgreSQL: dead rows go with VACUUM (docs/privacy.md); nothing to do per erasure here.
  }

  async close() {
    await this.end?.();
  }
}

const ENTRY_COLUMNS =
  'id, entry_key, profile_id, kind, points, reason, source_message_id, rule_id, campaign_id, at, expires_at';

function toEntry(row: Record<string, unknown>): LedgerEntry {
  return {
    id: Number(row.id),
    key: String(row.entry_key),
    profileId: String(row.profile_id),
    kind: row.kind as EntryKind,
    points: Number(row.points),
    reason: (row.reason as string | null) ?? null,
    sourceMessageId: (row.source_message_id as string | null) ?? null,
    ruleId: (row.rule_id as string | null) ?? null,
    campaignId: (row.campaign_id as string | null) ?? null,
    at: String(row.at),
    expiresAt: (row.expires_at as string | null) ?? null,
  };
}

async function insert(db: Db, entry: NewEntry): Promise<boolean> {
  const changed = await db.run(
    `INSERT INTO {ledger} (entry_key, profile_id, kind, points, reason, source_message_id, rule_id, campaign_id, at, expires_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (profile_id, entry_key) DO NOTHING`,
    [
      entry.key,
      entry.profileId,
      entry.kind,
      entry.points,
      entry.reason,
      entry.sourceMessageId,
      entry.ruleId,
      entry.campaignId,
      entry.at,
      entry.expiresAt,
    ],
  );
  return changed > 0;
}

async function balanceIn(db: Db, profileId: string): Promise<number> {
  const [row] = await db.all(
    'SELECT coalesce(sum(points), 0) AS balance FROM {ledger} WHERE profile_id = ?',
    [profileId],
  );
  return Number(row?.balance ?? 0);
}

export class LoyaltyStore {
  private constructor(private readonly db: Db) {}

  get engine(): 'sqlite' | 'postgres' {
    return this.db.engine;
  }

  static async open(location: StorageLocation, options: { schema?: string } = {}): Promise<LoyaltyStore> {
    if (location.databaseUrl) {
      const { connectPostgres, migratePostgres } = await import('../store/postgres/connection.ts');
      const connection = connectPostgres(
        location.databaseUrl,
        options.schema ? { schema: options.schema } : {},
      );
      await migratePostgres(connection.pool, connection.schema, {
        component: 'loyalty',
        migrations: POSTGRES_MIGRATIONS,
      });
      return new LoyaltyStore(
        new PostgresDb(connection.pool, connection.schema, undefined, connection.close),
      );
    }
    const db = openSqlite(join(location.dataDir, 'loyalty.sqlite'), { synchronous: 'FULL' });
    return new LoyaltyStore(new SqliteDb(db));
  }

  close(): Promise<void> {
    return this.db.close();
  }

  /** Credits (earnings), each once by its key, and the earn step's offset, in one transaction. */
  appendCredits(entries: NewEntry[], offset?: number): Promise<number> {
    return this.db.transaction(async (db) => {
      let inserted = 0;
      for (const entry of entries) {
        if (entry.points < 0) throw new RangeError(`a credit cannot be negative (${entry.key})`);
        if (await insert(db, entry)) inserted++;
      }
      if (offset !== undefined) await setIn(db, 'earn_offset', String(offset));
      return inserted;
    });
  }

  /**
   * A debit (redemption, expiry, an adjustment down) or an adjustment up, checked against the
   * balance in the same transaction: refused, with nothing written, when it would take the
   * balance below zero (unless `allowNegative`). A replayed key writes nothing and succeeds.
   */
  debit(entry: NewEntry, allowNegative = false): Promise<Debit> {
    return this.db.transaction(async (db) => {
      const balance = await balanceIn(db, entry.profileId);
      const [known] = await db.all('SELECT points FROM {ledger} WHERE profile_id = ? AND entry_key = ?', [
        entry.profileId,
        entry.key,
      ]);
      if (known) return { ok: true, inserted: false, balance };
      if (entry.points < 0 && balance + entry.points < 0 && !allowNegative) return { ok: false, balance };
      await insert(db, entry);
      return { ok: true, inserted: true, balance: balance + entry.points };
    }, entry.profileId);
  }

  balance(profileId: string): Promise<number> {
    return balanceIn(this.db, profileId);
  }

  async entries(profileId: string, limit = 200): Promise<LedgerEntry[]> {
    const rows = await this.db.all(
      `SELECT ${ENTRY_COLUMNS} FROM {ledger} WHERE profile_id = ? ORDER BY id DESC LIMIT ?`,
      [profileId, limit],
    );
    return rows.map(toEntry);
  }

  async leaderboard(limit: number): Promise<{ profileId: string; balance: number; earned: number }[]> {
    const rows = await this.db.all(
      `SELECT profile_id, sum(points) AS balance, sum(CASE WHEN points > 0 THEN points ELSE 0 END) AS earned
       FROM {ledger} GROUP BY profile_id ORDER BY sum(points) DESC, profile_id LIMIT ?`,
      [limit],
    );
    return rows.map((row) => ({
      profileId: String(row.profile_id),
      balance: Number(row.balance),
      earned: Number(row.earned),
    }));
  }

  /** Per profile with entries: balance, points earned since `since`, and the expiry figures at `now`. */
  async standings(since: string, now: string) {
    const rows = await this.db.all(
      `SELECT profile_id, sum(points) AS balance,
              sum(CASE WHEN kind = 'earn' AND at >= ? THEN points ELSE 0 END) AS qualifying,
              sum(CASE WHEN kind = 'earn' AND expires_at IS NOT NULL AND expires_at <= ? THEN points ELSE 0 END) AS expired,
              -sum(CASE WHEN points < 0 THEN points ELSE 0 END) AS spent
       FROM {ledger} GROUP BY profile_id ORDER BY profile_id`,
      [since, now],
    );
    return rows.map((row) => ({
      profileId: String(row.profile_id),
      balance: Number(row.balance),
      qualifying: Number(row.qualifying),
      expired: Number(row.expired),
      spent: Number(row.spent),
    }));
  }

  /** Invariant check and audit: the balance of every profile, summed in the database. */
  async sumOfEntries(): Promise<number> {
    const [row] = await this.db.all('SELECT coalesce(sum(points), 0) AS total FROM {ledger}');
    return Number(row?.total ?? 0);
  }

  async getSetting(key: string): Promise<string | undefined> {
    const [row] = await this.db.all('SELECT value FROM {state} WHERE key = ?', [key]);
    return row ? String(row.value) : undefined;
  }

  /** Stores the value unless the key has one, and answers the one stored (several processes agree). */
  async settingOnce(key: string, value: string): Promise<string> {
    await this.db.run('INSERT INTO {state} (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING', [
      key,
      value,
    ]);
    return (await this.getSetting(key)) ?? value;
  }

  putSetting(key: string, value: string): Promise<void> {
    return this.db.transaction((db) => setIn(db, key, value));
  }

  /** Erasure: every entry and referral (as referrer or referee) of these profiles; returns how many rows. */
  async eraseProfiles(profileIds: string[]): Promise<number> {
    const removed = await this.db.transaction(async (db) => {
      let rows = 0;
      for (const id of profileIds) {
        rows += await db.run('DELETE FROM {ledger} WHERE profile_id = ?', [id]);
        rows += await db.run('DELETE FROM {referrals} WHERE referee_id = ? OR referrer_id = ?', [id, id]);
      }
      return rows;
    });
    await this.db.truncateLog();
    return removed;
  }

  /** Records who referred whom; the first code a referee arrives with wins. */
  async addReferrals(
    rows: { refereeId: string; referrerId: string; sourceMessageId: string; at: string }[],
    offset: number,
  ) {
    return this.db.transaction(async (db) => {
      let added = 0;
      for (const row of rows) {
        added += await db.run(
          'INSERT INTO {referrals} (referee_id, referrer_id, source_message_id, at) VALUES (?, ?, ?, ?) ON CONFLICT (referee_id) DO NOTHING',
          [row.refereeId, row.referrerId, row.sourceMessageId, row.at],
        );
      }
      await setIn(db, 'referral_offset', String(offset));
      return added;
    });
  }

  async unrewardedReferrals(): Promise<{ refereeId: string; referrerId: string }[]> {
    const rows = await this.db.all(
      'SELECT referee_id, referrer_id FROM {referrals} WHERE rewarded_at IS NULL',
    );
    return rows.map((row) => ({ refereeId: String(row.referee_id), referrerId: String(row.referrer_id) }));
  }

  /** The referrer's reward and the referral marked rewarded, in one transaction (once per referee). */
  rewardReferral(refereeId: string, credit: NewEntry | null, at: string): Promise<void> {
    return this.db.transaction(async (db) => {
      if (credit) await insert(db, credit);
      await db.run('UPDATE {referrals} SET rewarded_at = ? WHERE referee_id = ?', [at, refereeId]);
    });
  }

  /** For the profile export: every entry and every referral the person is in. */
  async exportOf(profileIds: string[]): Promise<Record<string, unknown>> {
    const entries: LedgerEntry[] = [];
    const referrals: Record<string, unknown>[] = [];
    for (const id of profileIds) {
      const rows = await this.db.all(
        `SELECT ${ENTRY_COLUMNS} FROM {ledger} WHERE profile_id = ? ORDER BY id`,
        [id],
      );
      entries.push(...rows.map(toEntry));
      referrals.push(
        ...(await this.db.all(
          'SELECT referee_id, referrer_id, source_message_id, at, rewarded_at FROM {referrals} WHERE referee_id = ? OR referrer_id = ?',
          [id, id],
        )),
      );
    }
    return { loyalty: { entries, referrals } };
  }

  async referralsBy(
    referrerId: string,
  ): Promise<{ refereeId: string; at: string; rewardedAt: string | null }[]> {
    const rows = await this.db.all(
      'SELECT referee_id, at, rewarded_at FROM {referrals} WHERE referrer_id = ? ORDER BY at',
      [referrerId],
    );
    return rows.map((row) => ({
      refereeId: String(row.referee_id),
      at: String(row.at),
      rewardedAt: (row.rewarded_at as string | null) ?? null,
    }));
  }
}

async function setIn(db: Db, key: string, value: string): Promise<void> {
  await db.run(
    'INSERT INTO {state} (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    [key, value],
  );
}
