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
  // The log processor's per-person facts (processor.ts): challenge steps, badges awarded once,
  // firsts (a first order), and what became of a referral (rewarded, capped, existing customer).
  `CREATE TABLE loyalty_progress (
     profile_id TEXT NOT NULL,
     badge_id TEXT NOT NULL,
     source_id TEXT NOT NULL,
     at TEXT NOT NULL,
     PRIMARY KEY (profile_id, badge_id, source_id)
   );
   CREATE TABLE loyalty_badges (
     profile_id TEXT NOT NULL,
     badge_id TEXT NOT NULL,
     awarded_at TEXT NOT NULL,
     source_id TEXT NOT NULL,
     announced_at TEXT,
     PRIMARY KEY (profile_id, badge_id)
   );
   CREATE TABLE loyalty_firsts (
     profile_id TEXT NOT NULL,
     what TEXT NOT NULL,
     at TEXT NOT NULL,
     source_id TEXT NOT NULL,
     PRIMARY KEY (profile_id, what)
   );
   ALTER TABLE loyalty_referrals ADD COLUMN outcome TEXT;`,
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
  // The log processor's per-person facts (processor.ts): challenge steps, badges awarded once,
  // firsts (a first order), and what became of a referral (rewarded, capped, existing customer).
  `CREATE TABLE loyalty_progress (
     profile_id text NOT NULL,
     badge_id text NOT NULL,
     source_id text NOT NULL,
     at text NOT NULL,
     PRIMARY KEY (profile_id, badge_id, source_id)
   );
   CREATE TABLE loyalty_badges (
     profile_id text NOT NULL,
     badge_id text NOT NULL,
     awarded_at text NOT NULL,
     source_id text NOT NULL,
     announced_at text,
     PRIMARY KEY (profile_id, badge_id)
   );
   CREATE TABLE loyalty_firsts (
     profile_id text NOT NULL,
     what text NOT NULL,
     at text NOT NULL,
     source_id text NOT NULL,
     PRIMARY KEY (profile_id, what)
   );
   ALTER TABLE loyalty_referrals ADD COLUMN outcome text;`,
];

/** `{ledger}` and the like in the SQL below: the loyalty tables, by their name after `loyalty_`. */
const TABLE_NAME = /\{(ledger|state|referrals|progress|badges|firsts)\}/g;

class SqliteDb implements Db {
  readonly engine = 'sqlite' as const;
  // One connection, async callers: a transaction must not take in another caller's statements.
  #queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly db: SqliteDatabase) {
    migrateSqlite(db, SQLITE_MIGRATIONS, 'loyalty_schema_migrations');
  }

  private sql(text: string): string {
    return text.replace(TABLE_NAME, (_, table: string) => `loyalty_${table}`);
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
      .replace(TABLE_NAME, (_, table: string) => `${quoted}.loyalty_${table}`)
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
  // An event claiming an absurd amount (revenue 1e300) must not reach the ledger as a float.
  if (!Number.isSafeInteger(entry.points))
    throw new RangeError(`points out of range (${entry.points}) for ${entry.key}`);
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

export type ReferralOutcome = 'rewarded' | 'capped';

/** What the log processor writes for one slice, all in one transaction (processor.ts). */
export class LoyaltyTransaction {
  constructor(private readonly db: Db) {}

  /** A credit once by its key; false when the key is already in the person's ledger. */
  credit(entry: NewEntry): Promise<boolean> {
    if (entry.points < 0) throw new RangeError(`a credit cannot be negative (${entry.key})`);
    return insert(this.db, entry);
  }

  /** Who referred whom; the first code a referee arrives with wins (false for a later one). */
  async addReferral(row: { refereeId: string; referrerId: string; sourceMessageId: string; at: string }) {
    const added = await this.db.run(
      'INSERT INTO {referrals} (referee_id, referrer_id, source_message_id, at) VALUES (?, ?, ?, ?) ON CONFLICT (referee_id) DO NOTHING',
      [row.refereeId, row.referrerId, row.sourceMessageId, row.at],
    );
    return added > 0;
  }

  async referralOf(refereeId: string): Promise<{ referrerId: string; settled: boolean } | undefined> {
    const [row] = await this.db.all('SELECT referrer_id, rewarded_at FROM {referrals} WHERE referee_id = ?', [
      refereeId,
    ]);
    return row ? { referrerId: String(row.referrer_id), settled: row.rewarded_at !== null } : undefined;
  }

  async rewardedReferrals(referrerId: string): Promise<number> {
    const [row] = await this.db.all(
      "SELECT count(*) AS n FROM {referrals} WHERE referrer_id = ? AND outcome = 'rewarded'",
      [referrerId],
    );
    return Number(row?.n ?? 0);
  }

  async settleReferral(refereeId: string, outcome: ReferralOutcome, at: string): Promise<void> {
    await this.db.run('UPDATE {referrals} SET rewarded_at = ?, outcome = ? WHERE referee_id = ?', [
      at,
      outcome,
      refereeId,
    ]);
  }

  /** Records a first (`order`: a first purchase); false when the person already had it. */
  async addFirst(profileId: string, what: string, at: string, sourceId: string): Promise<boolean> {
    const added = await this.db.run(
      'INSERT INTO {firsts} (profile_id, what, at, source_id) VALUES (?, ?, ?, ?) ON CONFLICT (profile_id, what) DO NOTHING',
      [profileId, what, at, sourceId],
    );
    return added > 0;
  }

  async hasFirst(profileId: string, what: string): Promise<boolean> {
    const rows = await this.db.all('SELECT 1 AS one FROM {firsts} WHERE profile_id = ? AND what = ?', [
      profileId,
      what,
    ]);
    return rows.length > 0;
  }

  /** One step towards a challenge, once per source (a message, a referee). */
  async addProgress(profileId: string, badgeId: string, sourceId: string, at: string): Promise<boolean> {
    const added = await this.db.run(
      'INSERT INTO {progress} (profile_id, badge_id, source_id, at) VALUES (?, ?, ?, ?) ON CONFLICT (profile_id, badge_id, source_id) DO NOTHING',
      [profileId, badgeId, sourceId, at],
    );
    return added > 0;
  }

  progressCount(profileId: string, badgeId: string, since: string | null, until: string | null) {
    return progressIn(this.db, profileId, badgeId, since, until);
  }

  /** Awards a badge; false when the person already has it (a badge is awarded exactly once). */
  async award(profileId: string, badgeId: string, at: string, sourceId: string): Promise<boolean> {
    const added = await this.db.run(
      'INSERT INTO {badges} (profile_id, badge_id, awarded_at, source_id) VALUES (?, ?, ?, ?) ON CONFLICT (profile_id, badge_id) DO NOTHING',
      [profileId, badgeId, at, sourceId],
    );
    return added > 0;
  }
}

async function progressIn(
  db: Db,
  profileId: string,
  badgeId: string,
  since: string | null,
  until: string | null,
): Promise<number> {
  const [row] = await db.all(
    'SELECT count(*) AS n FROM {progress} WHERE profile_id = ? AND badge_id = ? AND at >= ? AND at <= ?',
    [profileId, badgeId, since ?? '', until ?? '9999'],
  );
  return Number(row?.n ?? 0);
}

export interface AwardedBadge {
  profileId: string;
  badgeId: string;
  awardedAt: string;
  announcedAt: string | null;
}

function toAward(row: Record<string, unknown>): AwardedBadge {
  return {
    profileId: String(row.profile_id),
    badgeId: String(row.badge_id),
    awardedAt: String(row.awarded_at),
    announcedAt: (row.announced_at as string | null) ?? null,
  };
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

  /** Credits (earnings), each once by its key, in one transaction. */
  appendCredits(entries: NewEntry[]): Promise<number> {
    return this.db.transaction(async (db) => {
      let inserted = 0;
      for (const entry of entries) {
        if (entry.points < 0) throw new RangeError(`a credit cannot be negative (${entry.key})`);
        if (await insert(db, entry)) inserted++;
      }
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

  /**
   * The log processor's slice: every write in one transaction (processor.ts); on PostgreSQL one
   * slice at a time across processes, so a referral's cap is counted by one of them at once.
   */
  slice<T>(work: (tx: LoyaltyTransaction) => Promise<T>): Promise<T> {
    return this.db.transaction((db) => work(new LoyaltyTransaction(db)), 'processor');
  }

  async badgesOf(profileId: string): Promise<AwardedBadge[]> {
    const rows = await this.db.all(
      'SELECT profile_id, badge_id, awarded_at, announced_at FROM {badges} WHERE profile_id = ? ORDER BY awarded_at, badge_id',
      [profileId],
    );
    return rows.map(toAward);
  }

  progress(profileId: string, badgeId: string, since: string | null, until: string | null) {
    return progressIn(this.db, profileId, badgeId, since, until);
  }

  /** Earn entries after an entry id (the last run's mark): how many, their points, the newest id. */
  async earnedAfter(afterId: number): Promise<{ entries: number; points: number; lastId: number }> {
    const [row] = await this.db.all(
      "SELECT count(*) AS n, coalesce(sum(points), 0) AS points, coalesce(max(id), ?) AS last FROM {ledger} WHERE id > ? AND kind = 'earn'",
      [afterId, afterId],
    );
    return {
      entries: Number(row?.n ?? 0),
      points: Number(row?.points ?? 0),
      lastId: Number(row?.last ?? afterId),
    };
  }

  /** People with a challenge step or a badge. */
  async peopleWithChallenges(): Promise<string[]> {
    const rows = await this.db.all(
      'SELECT profile_id FROM {progress} UNION SELECT profile_id FROM {badges} ORDER BY profile_id',
    );
    return rows.map((row) => String(row.profile_id));
  }

  /** Badges awarded whose Badge Awarded event is not in the log yet, oldest first. */
  async unannouncedBadges(limit: number): Promise<AwardedBadge[]> {
    const rows = await this.db.all(
      'SELECT profile_id, badge_id, awarded_at, announced_at FROM {badges} WHERE announced_at IS NULL ORDER BY awarded_at LIMIT ?',
      [limit],
    );
    return rows.map(toAward);
  }

  async markAnnounced(awards: AwardedBadge[], at: string): Promise<void> {
    await this.db.transaction(async (db) => {
      for (const award of awards)
        await db.run('UPDATE {badges} SET announced_at = ? WHERE profile_id = ? AND badge_id = ?', [
          at,
          award.profileId,
          award.badgeId,
        ]);
    });
  }

  /** People holding each badge. */
  async badgeCounts(): Promise<Record<string, number>> {
    const rows = await this.db.all('SELECT badge_id, count(*) AS n FROM {badges} GROUP BY badge_id');
    return Object.fromEntries(rows.map((row) => [String(row.badge_id), Number(row.n)]));
  }

  /** Referrals by what became of them (pending: the referee has not bought yet). */
  async referralCounts(): Promise<Record<string, number>> {
    const rows = await this.db.all(
      "SELECT coalesce(outcome, 'pending') AS outcome, count(*) AS n FROM {referrals} GROUP BY coalesce(outcome, 'pending')",
    );
    return Object.fromEntries(rows.map((row) => [String(row.outcome), Number(row.n)]));
  }

  /** Erasure: every entry and referral (as referrer or referee) of these profiles; returns how many rows. */
  async eraseProfiles(profileIds: string[]): Promise<number> {
    const removed = await this.db.transaction(async (db) => {
      let rows = 0;
      for (const id of profileIds) {
        rows += await db.run('DELETE FROM {ledger} WHERE profile_id = ?', [id]);
        rows += await db.run('DELETE FROM {referrals} WHERE referee_id = ? OR referrer_id = ?', [id, id]);
        for (const table of ['{progress}', '{badges}', '{firsts}'])
          rows += await db.run(`DELETE FROM ${table} WHERE profile_id = ?`, [id]);
      }
      return rows;
    });
    await this.db.truncateLog();
    return removed;
  }

  /** For the profile export: every entry, referral, badge, challenge step and first of the person. */
  async exportOf(profileIds: string[]): Promise<Record<string, unknown>> {
    const entries: LedgerEntry[] = [];
    const referrals: Record<string, unknown>[] = [];
    const badges: Record<string, unknown>[] = [];
    const progress: Record<string, unknown>[] = [];
    const firsts: Record<string, unknown>[] = [];
    for (const id of profileIds) {
      const rows = await this.db.all(
        `SELECT ${ENTRY_COLUMNS} FROM {ledger} WHERE profile_id = ? ORDER BY id`,
        [id],
      );
      entries.push(...rows.map(toEntry));
      referrals.push(
        ...(await this.db.all(
          'SELECT referee_id, referrer_id, source_message_id, at, rewarded_at, outcome FROM {referrals} WHERE referee_id = ? OR referrer_id = ?',
          [id, id],
        )),
      );
      badges.push(...(await this.db.all('SELECT * FROM {badges} WHERE profile_id = ?', [id])));
      progress.push(
        ...(await this.db.all('SELECT * FROM {progress} WHERE profile_id = ? ORDER BY at', [id])),
      );
      firsts.push(...(await this.db.all('SELECT * FROM {firsts} WHERE profile_id = ?', [id])));
    }
    return { loyalty: { entries, referrals, badges, progress, firsts } };
  }

  async referralsBy(
    referrerId: string,
  ): Promise<{ refereeId: string; at: string; rewardedAt: string | null; outcome: string }[]> {
    const rows = await this.db.all(
      'SELECT referee_id, at, rewarded_at, outcome FROM {referrals} WHERE referrer_id = ? ORDER BY at',
      [referrerId],
    );
    return rows.map((row) => ({
      refereeId: String(row.referee_id),
      at: String(row.at),
      rewardedAt: (row.rewarded_at as string | null) ?? null,
      outcome: (row.outcome as string | null) ?? 'pending',
    }));
  }
}

async function setIn(db: Db, key: string, value: string): Promise<void> {
  await db.run(
    'INSERT INTO {state} (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    [key, value],
  );
}
