// The access store written once: both engines run the same SQL (`?` placeholders, ISO-8601
// text timestamps, ON CONFLICT and RETURNING, which SQLite and PostgreSQL both have). What
// differs is the small AccessSql each engine hands in: how a query runs, where a table lives,
// and how "this text contains that" is spelt.
import type {
  AccessStore,
  AuditEntry,
  AuditQuery,
  NewAuditEntry,
  SessionRow,
  StoredUser,
  UserChanges,
  UserRow,
} from './access-types.ts';

export interface AccessSql {
  readonly engine: 'sqlite' | 'postgres';
  all<T>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs a write; resolves the number of rows it changed. */
  run(sql: string, params?: unknown[]): Promise<number>;
  table(name: string): string;
  /** A condition true when `column` contains the text bound to the next `?`. */
  contains(column: string): string;
  /** After a redaction: make sure the old bytes are gone from the files too. */
  afterErasure?(): Promise<void>;
  close(): Promise<void>;
}

interface UserDbRow {
  id: string;
  name: string;
  role: string;
  created_at: string;
  password_changed_at: string;
  disabled_at: string | null;
  password_hash: string;
}

interface AuditDbRow {
  id: number | string;
  at: string;
  actor_kind: string;
  actor_id: string | null;
  actor_name: string;
  role: string | null;
  method: string;
  route: string;
  action: string;
  status: number;
  subject: string | null;
  changes: string | null;
  redacted_at: string | null;
}

const USER_COLUMNS = 'id, name, role, created_at, password_changed_at, disabled_at, password_hash';

function toUser(row: UserDbRow): StoredUser {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    createdAt: row.created_at,
    passwordChangedAt: row.password_changed_at,
    disabledAt: row.disabled_at,
    passwordHash: row.password_hash,
  };
}

function toAudit(row: AuditDbRow): AuditEntry {
  return {
    id: Number(row.id),
    at: row.at,
    actorKind: row.actor_kind,
    actorId: row.actor_id,
    actorName: row.actor_name,
    role: row.role,
    method: row.method,
    route: row.route,
    action: row.action,
    status: Number(row.status),
    subject: row.subject,
    changes: row.changes,
    redactedAt: row.redacted_at,
  };
}

/** Values this short are matched only as whole JSON strings, so "7" does not redact every entry. */
const SUBSTRING_MIN_LENGTH = 4;

export class SqlAccessStore implements AccessStore {
  readonly engine: 'sqlite' | 'postgres';
  private readonly t: { roles: string; users: string; sessions: string; audit: string };

  constructor(private readonly db: AccessSql) {
    this.engine = db.engine;
    this.t = {
      roles: db.table('token_roles'),
      users: db.table('users'),
      sessions: db.table('sessions'),
      audit: db.table('audit_log'),
    };
  }

  close(): Promise<void> {
    return this.db.close();
  }

  async setTokenRole(credentialId: string, role: string): Promise<void> {
    await this.db.run(
      `INSERT INTO ${this.t.roles} (credential_id, role) VALUES (?, ?)
       ON CONFLICT (credential_id) DO UPDATE SET role = excluded.role`,
      [credentialId, role],
    );
  }

  async tokenRole(credentialId: string): Promise<string | undefined> {
    const rows = await this.db.all<{ role: string }>(
      `SELECT role FROM ${this.t.roles} WHERE credential_id = ?`,
      [credentialId],
    );
    return rows[0]?.role;
  }

  async tokenRoles(): Promise<Record<string, string>> {
    const rows = await this.db.all<{ credential_id: string; role: string }>(
      `SELECT credential_id, role FROM ${this.t.roles}`,
    );
    return Object.fromEntries(rows.map((row) => [row.credential_id, row.role]));
  }

  async addUser(user: StoredUser): Promise<boolean> {
    const added = await this.db.run(
      `INSERT INTO ${this.t.users} (${USER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING`,
      [
        user.id,
        user.name,
        user.role,
        user.createdAt,
        user.passwordChangedAt,
        user.disabledAt,
        user.passwordHash,
      ],
    );
    return added > 0;
  }

  async findUserByName(name: string): Promise<StoredUser | undefined> {
    const rows = await this.db.all<UserDbRow>(`SELECT ${USER_COLUMNS} FROM ${this.t.users} WHERE name = ?`, [
      name,
    ]);
    return rows[0] ? toUser(rows[0]) : undefined;
  }

  async getUser(id: string): Promise<StoredUser | undefined> {
    const rows = await this.db.all<UserDbRow>(`SELECT ${USER_COLUMNS} FROM ${this.t.users} WHERE id = ?`, [
      id,
    ]);
    return rows[0] ? toUser(rows[0]) : undefined;
  }

  async listUsers(): Promise<UserRow[]> {
    const rows = await this.db.all<UserDbRow>(`SELECT ${USER_COLUMNS} FROM ${this.t.users} ORDER BY name`);
    return rows.map((row) => {
      const { passwordHash: _secret, ...user } = toUser(row);
      return user;
    });
  }

  async updateUser(id: string, changes: UserChanges): Promise<boolean> {
    const columns: Record<keyof UserChanges, string> = {
      role: 'role',
      passwordHash: 'password_hash',
      passwordChangedAt: 'password_changed_at',
      disabledAt: 'disabled_at',
    };
    const entries = Object.entries(changes).filter(([, value]) => value !== undefined) as Array<
      [keyof UserChanges, string | null]
    >;
    if (entries.length === 0) return (await this.getUser(id)) !== undefined;
    const set = entries.map(([key]) => `${columns[key]} = ?`).join(', ');
    const changed = await this.db.run(`UPDATE ${this.t.users} SET ${set} WHERE id = ?`, [
      ...entries.map(([, value]) => value),
      id,
    ]);
    return changed > 0;
  }

  async addSession(session: SessionRow): Promise<void> {
    await this.db.run(
      `INSERT INTO ${this.t.sessions} (id_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)`,
      [session.idHash, session.userId, session.createdAt, session.expiresAt],
    );
  }

  async findSession(
    idHash: string,
    now: string,
  ): Promise<{ session: SessionRow; user: StoredUser } | undefined> {
    const rows = await this.db.all<UserDbRow & { id_hash: string; created: string; expires_at: string }>(
      `SELECT s.id_hash, s.created_at AS created, s.expires_at,
              u.id, u.name, u.role, u.created_at, u.password_changed_at, u.disabled_at, u.password_hash
       FROM ${this.t.sessions} s JOIN ${this.t.users} u ON u.id = s.user_id
       WHERE s.id_hash = ? AND s.expires_at > ?`,
      [idHash, now],
    );
    const row = rows[0];
    if (!row) return undefined;
    return {
      session: { idHash: row.id_hash, userId: row.id, createdAt: row.created, expiresAt: row.expires_at },
      user: toUser(row),
    };
  }

  async deleteSession(idHash: string): Promise<void> {
    await this.db.run(`DELETE FROM ${this.t.sessions} WHERE id_hash = ?`, [idHash]);
  }

  async deleteSessionsOf(userId: string, keep?: string): Promise<number> {
    return this.db.run(`DELETE FROM ${this.t.sessions} WHERE user_id = ? AND id_hash <> ?`, [
      userId,
      keep ?? '',
    ]);
  }

  async appendAudit(entry: NewAuditEntry): Promise<number> {
    const rows = await this.db.all<{ id: number | string }>(
      `INSERT INTO ${this.t.audit}
         (at, actor_kind, actor_id, actor_name, role, method, route, action, status, subject, changes)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
      [
        entry.at,
        entry.actorKind,
        entry.actorId,
        entry.actorName,
        entry.role,
        entry.method,
        entry.route,
        entry.action,
        entry.status,
        entry.subject,
        entry.changes,
      ],
    );
    return Number(rows[0]?.id);
  }

  async listAudit(query: AuditQuery): Promise<AuditEntry[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (condition: string, value: unknown) => {
      where.push(condition);
      params.push(value);
    };
    if (query.beforeId !== undefined) add('id < ?', query.beforeId);
    if (query.actorName) add('actor_name = ?', query.actorName);
    // A prefix without LIKE, so % and _ in a route are not wildcards.
    if (query.route) {
      where.push('substr(route, 1, ?) = ?');
      params.push(query.route.length, query.route);
    }
    if (query.subject) add('subject = ?', query.subject);
    if (query.from) add('at >= ?', query.from);
    if (query.to) add('at < ?', query.to);
    if (query.outcome === 'refused') where.push('status = 403');
    if (query.outcome === 'done') where.push('status < 400');
    const rows = await this.db.all<AuditDbRow>(
      `SELECT * FROM ${this.t.audit} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY id DESC LIMIT ?`,
      [...params, query.limit],
    );
    return rows.map(toAudit);
  }

  async redactAudit(profileIds: string[], values: string[], at: string): Promise<number> {
    const conditions: Array<{ sql: string; params: unknown[] }> = [];
    if (profileIds.length > 0) {
      conditions.push({ sql: `subject IN (${profileIds.map(() => '?').join(', ')})`, params: profileIds });
    }
    for (const value of new Set([...profileIds, ...values])) {
      if (value === '') continue;
      const needle = value.length >= SUBSTRING_MIN_LENGTH ? value : JSON.stringify(value);
      conditions.push({ sql: this.db.contains('changes'), params: [needle] });
    }
    let redacted = 0;
    // A couple of hundred conditions at a time keeps under SQLite's bound-parameter limit.
    for (let i = 0; i < conditions.length; i += 200) {
      const slice = conditions.slice(i, i + 200);
      redacted += await this.db.run(
        `UPDATE ${this.t.audit} SET subject = NULL, changes = NULL, redacted_at = ?
         WHERE (subject IS NOT NULL OR changes IS NOT NULL) AND (${slice.map((c) => c.sql).join(' OR ')})`,
        [at, ...slice.flatMap((c) => c.params)],
      );
    }
    if (redacted > 0) await this.db.afterErasure?.();
    return redacted;
  }
}

/** The tables, for both engines: only the audit id's type differs. */
export function accessMigrations(autoId: string): string[] {
  return [
    `CREATE TABLE token_roles (credential_id TEXT PRIMARY KEY, role TEXT NOT NULL);
     CREATE TABLE users (
       id TEXT PRIMARY KEY,
       name TEXT NOT NULL UNIQUE,
       role TEXT NOT NULL,
       created_at TEXT NOT NULL,
       password_changed_at TEXT NOT NULL,
       disabled_at TEXT,
       password_hash TEXT NOT NULL
     );
     CREATE TABLE sessions (
       id_hash TEXT PRIMARY KEY,
       user_id TEXT NOT NULL,
       created_at TEXT NOT NULL,
       expires_at TEXT NOT NULL
     );
     CREATE INDEX sessions_by_user ON sessions (user_id);
     CREATE TABLE audit_log (
       id ${autoId},
       at TEXT NOT NULL,
       actor_kind TEXT NOT NULL,
       actor_id TEXT,
       actor_name TEXT NOT NULL,
       role TEXT,
       method TEXT NOT NULL,
       route TEXT NOT NULL,
       action TEXT NOT NULL,
       status INTEGER NOT NULL,
       subject TEXT,
       changes TEXT,
       redacted_at TEXT
     );
     CREATE INDEX audit_log_by_subject ON audit_log (subject);
     CREATE INDEX audit_log_by_at ON audit_log (at);`,
  ];
}
