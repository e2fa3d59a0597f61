// The access store's SQL (docs/access.md), written once for both engines: users, sessions,
// token roles and the audit log. The engine folders keep the connection and migrations
// (sqlite/access.ts, postgres/access.ts); what differs is spelt by the dialect (placeholders,
// schema-qualified tables, "this text contains that") and, on SQLite, the step after a
// redaction that empties the WAL (afterErasure).
import type {
  AccessStore,
  AuditEntry,
  AuditQuery,
  NewAuditEntry,
  SessionRow,
  StoredUser,
  UserChanges,
  UserRow,
} from '../access-types.ts';
import type { StoreEngine } from './engine.ts';
import { byDialect, join, oneOf, raw, type Sql, sql } from './query.ts';

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

const USER_COLUMNS = raw('id, name, role, created_at, password_changed_at, disabled_at, password_hash');

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
  private readonly t: { roles: Sql; users: Sql; sessions: Sql; audit: Sql };

  /** `afterErasure`: after a redaction, make sure the old bytes are gone from the files too. */
  constructor(
    private readonly db: StoreEngine,
    private readonly afterErasure?: () => Promise<void>,
  ) {
    this.engine = db.engine;
    const table = (name: string) => sql`${raw(db.dialect.table(name))}`;
    this.t = {
      roles: table('token_roles'),
      users: table('users'),
      sessions: table('sessions'),
      audit: table('audit_log'),
    };
  }

  close(): Promise<void> {
    return this.db.close();
  }

  private write(query: Sql): Promise<number> {
    return this.db.writes((x) => x.run(query));
  }

  async setTokenRole(credentialId: string, role: string): Promise<void> {
    await this.write(
      sql`INSERT INTO ${this.t.roles} (credential_id, role) VALUES (${credentialId}, ${role})
       ON CONFLICT (credential_id) DO UPDATE SET role = excluded.role`,
    );
  }

  async tokenRole(credentialId: string): Promise<string | undefined> {
    const row = await this.db.reads.get<{ role: string }>(
      sql`SELECT role FROM ${this.t.roles} WHERE credential_id = ${credentialId}`,
    );
    return row?.role;
  }

  async tokenRoles(): Promise<Record<string, string>> {
    const rows = await this.db.reads.all<{ credential_id: string; role: string }>(
      sql`SELECT credential_id, role FROM ${this.t.roles}`,
    );
    return Object.fromEntries(rows.map((row) => [row.credential_id, row.role]));
  }

  async addUser(user: StoredUser): Promise<boolean> {
    const added = await this.write(
      sql`INSERT INTO ${this.t.users} (${USER_COLUMNS})
        VALUES (${user.id}, ${user.name}, ${user.role}, ${user.createdAt}, ${user.passwordChangedAt},
          ${user.disabledAt}, ${user.passwordHash})
        ON CONFLICT (name) DO NOTHING`,
    );
    return added > 0;
  }

  async findUserByName(name: string): Promise<StoredUser | undefined> {
    const row = await this.db.reads.get<UserDbRow>(
      sql`SELECT ${USER_COLUMNS} FROM ${this.t.users} WHERE name = ${name}`,
    );
    return row && toUser(row);
  }

  async getUser(id: string): Promise<StoredUser | undefined> {
    const row = await this.db.reads.get<UserDbRow>(
      sql`SELECT ${USER_COLUMNS} FROM ${this.t.users} WHERE id = ${id}`,
    );
    return row && toUser(row);
  }

  async listUsers(): Promise<UserRow[]> {
    const rows = await this.db.reads.all<UserDbRow>(
      sql`SELECT ${USER_COLUMNS} FROM ${this.t.users} ORDER BY name`,
    );
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
    const set = join(
      entries.map(([key, value]) => sql`${raw(columns[key])} = ${value}`),
      ', ',
    );
    return (await this.write(sql`UPDATE ${this.t.users} SET ${set} WHERE id = ${id}`)) > 0;
  }

  async addSession(session: SessionRow): Promise<void> {
    await this.write(
      sql`INSERT INTO ${this.t.sessions} (id_hash, user_id, created_at, expires_at)
        VALUES (${session.idHash}, ${session.userId}, ${session.createdAt}, ${session.expiresAt})`,
    );
  }

  async findSession(
    idHash: string,
    now: string,
  ): Promise<{ session: SessionRow; user: StoredUser } | undefined> {
    const row = await this.db.reads.get<UserDbRow & { id_hash: string; created: string; expires_at: string }>(
      sql`SELECT s.id_hash, s.created_at AS created, s.expires_at,
              u.id, u.name, u.role, u.created_at, u.password_changed_at, u.disabled_at, u.password_hash
       FROM ${this.t.sessions} s JOIN ${this.t.users} u ON u.id = s.user_id
       WHERE s.id_hash = ${idHash} AND s.expires_at > ${now}`,
    );
    if (!row) return undefined;
    return {
      session: { idHash: row.id_hash, userId: row.id, createdAt: row.created, expiresAt: row.expires_at },
      user: toUser(row),
    };
  }

  async deleteSession(idHash: string): Promise<void> {
    await this.write(sql`DELETE FROM ${this.t.sessions} WHERE id_hash = ${idHash}`);
  }

  async deleteSessionsOf(userId: string, keep?: string): Promise<number> {
    return this.write(
      sql`DELETE FROM ${this.t.sessions} WHERE user_id = ${userId} AND id_hash <> ${keep ?? ''}`,
    );
  }

  async appendAudit(entry: NewAuditEntry): Promise<number> {
    // INSERT … RETURNING writes: on the writer like any other write.
    const row = await this.db.writes((x) =>
      x.get<{ id: number | string }>(
        sql`INSERT INTO ${this.t.audit}
           (at, actor_kind, actor_id, actor_name, role, method, route, action, status, subject, changes)
         VALUES (${entry.at}, ${entry.actorKind}, ${entry.actorId}, ${entry.actorName}, ${entry.role}, ${entry.method},
           ${entry.route}, ${entry.action}, ${entry.status}, ${entry.subject}, ${entry.changes})
         RETURNING id`,
      ),
    );
    return Number(row?.id);
  }

  async listAudit(query: AuditQuery): Promise<AuditEntry[]> {
    const where: Sql[] = [];
    if (query.beforeId !== undefined) where.push(sql`id < ${query.beforeId}`);
    if (query.actorName) where.push(sql`actor_name = ${query.actorName}`);
    // A prefix without LIKE, so % and _ in a route are not wildcards.
    if (query.route) where.push(sql`substr(route, 1, ${query.route.length}) = ${query.route}`);
    if (query.subject) where.push(sql`subject = ${query.subject}`);
    if (query.from) where.push(sql`at >= ${query.from}`);
    if (query.to) where.push(sql`at < ${query.to}`);
    if (query.outcome === 'refused') where.push(sql`status = 403`);
    if (query.outcome === 'done') where.push(sql`status < 400`);
    const filter = where.length ? sql`WHERE ${join(where, ' AND ')}` : sql``;
    const rows = await this.db.reads.all<AuditDbRow>(
      sql`SELECT * FROM ${this.t.audit} ${filter} ORDER BY id DESC LIMIT ${query.limit}`,
    );
    return rows.map(toAudit);
  }

  async redactAudit(profileIds: string[], values: string[], at: string): Promise<number> {
    const conditions: Sql[] = [];
    if (profileIds.length > 0) conditions.push(sql`${oneOf('subject', profileIds)}`);
    for (const value of new Set([...profileIds, ...values])) {
      if (value === '') continue;
      const needle = value.length >= SUBSTRING_MIN_LENGTH ? value : JSON.stringify(value);
      conditions.push(sql`${byDialect((dialect) => dialect.contains('changes', needle))}`);
    }
    let redacted = 0;
    // A couple of hundred conditions at a time keeps under SQLite's bound-parameter limit.
    for (let i = 0; i < conditions.length; i += 200) {
      const slice = conditions.slice(i, i + 200);
      redacted += await this.write(
        sql`UPDATE ${this.t.audit} SET subject = NULL, changes = NULL, redacted_at = ${at}
         WHERE (subject IS NOT NULL OR changes IS NOT NULL) AND (${join(slice, ' OR ')})`,
      );
    }
    if (redacted > 0) await this.afterErasure?.();
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
