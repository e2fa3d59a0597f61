// The access store (docs/access.md): dashboard users, their sessions, the role of each admin
// token, and the audit log. Beside the state store, in the same database, with its own
// migration ledger.

export interface UserRow {
  id: string;
  /** Lower-case, unique: what a person types to sign in. */
  name: string;
  role: string;
  createdAt: string;
  passwordChangedAt: string;
  disabledAt: string | null;
}

export interface StoredUser extends UserRow {
  /** scrypt parameters, salt and key (src/auth/passwords.ts); never leaves the auth module. */
  passwordHash: string;
}

export interface UserChanges {
  role?: string;
  passwordHash?: string;
  passwordChangedAt?: string;
  disabledAt?: string | null;
}

export interface SessionRow {
  /** SHA-256 of the cookie's value: the store never holds a usable session. */
  idHash: string;
  userId: string;
  createdAt: string;
  expiresAt: string;
}

export interface NewAuditEntry {
  at: string;
  /** `user`, `token`, or `anonymous` (a failed sign-in). */
  actorKind: string;
  actorId: string | null;
  actorName: string;
  role: string | null;
  method: string;
  /** The route's pattern (/api/segments/:id), never the raw URL with its query. */
  route: string;
  /** A short verb phrase: "PUT /api/segments/:id", "sign-in", "sign-in refused". */
  action: string;
  status: number;
  /** The profile the entry is about, when it is about one (erasure redacts by it). */
  subject: string | null;
  /** JSON: params, the request body with secrets removed, and before/after when a route gives them. */
  changes: string | null;
}

export interface AuditEntry extends NewAuditEntry {
  id: number;
  /** When erasure removed a person's data from this entry. */
  redactedAt: string | null;
}

export interface AuditQuery {
  limit: number;
  /** Entries with a smaller id (paging backwards). */
  beforeId?: number;
  actorName?: string;
  /** Prefix of the route pattern: /api/segments matches every segment route. */
  route?: string;
  subject?: string;
  /** ISO timestamps, inclusive from, exclusive to. */
  from?: string;
  to?: string;
  /** Only writes that were refused (403), or only those that went through. */
  outcome?: 'refused' | 'done';
}

export interface AccessStore {
  readonly engine: 'sqlite' | 'postgres';
  close(): Promise<void>;

  /** Admin tokens made before roles existed have no row: they keep full power (owner). */
  setTokenRole(credentialId: string, role: string): Promise<void>;
  tokenRole(credentialId: string): Promise<string | undefined>;
  tokenRoles(): Promise<Record<string, string>>;

  /** Refuses (resolves false) when the name is taken. */
  addUser(user: StoredUser): Promise<boolean>;
  findUserByName(name: string): Promise<StoredUser | undefined>;
  getUser(id: string): Promise<StoredUser | undefined>;
  listUsers(): Promise<UserRow[]>;
  updateUser(id: string, changes: UserChanges): Promise<boolean>;

  addSession(session: SessionRow): Promise<void>;
  /** The live session (not expired at `now`) and its user. */
  findSession(idHash: string, now: string): Promise<{ session: SessionRow; user: StoredUser } | undefined>;
  deleteSession(idHash: string): Promise<void>;
  /** Every session of the user but `keep` (a password change signs the other devices out). */
  deleteSessionsOf(userId: string, keep?: string): Promise<number>;

  appendAudit(entry: NewAuditEntry): Promise<number>;
  listAudit(query: AuditQuery): Promise<AuditEntry[]>;
  /**
   * Erasure: entries about these profiles, or whose changes mention one of `values`, lose
   * their subject and changes (who did what, and when, stay). Returns how many were redacted.
   */
  redactAudit(profileIds: string[], values: string[], at: string): Promise<number>;
}
