// The two storage roles of DESIGN.md as small interfaces. The rest of Rapport talks to these,
// never to a driver. Every method is async so one contract covers the synchronous embedded
// drivers and the networked ones alike.

/** One message in the ingest log, as appended by the tracking API. */
export interface LogEntry {
  messageId: string;
  /** The write key's source name, so traits can say where they came from. */
  source: string;
  receivedAt: string;
  /** The normalised message serialised once by the ingest path. */
  json: string;
}

export interface LogRecord extends LogEntry {
  seq: number;
}

export type SparseLogRecord = Omit<LogRecord, 'json'> & { json: string | null };

export interface AppendResult {
  appended: number;
  /** messageIds already in the log (same messageId sent twice: Segment's dedupe rule). */
  duplicates: number;
}

export interface DeadLetter {
  receivedAt: string;
  source: string;
  code: string;
  field: string;
  reason: string;
  /** The rejected message as sent, serialised (truncated to a bounded size by the caller). */
  body: string;
}

export interface StoredDeadLetter extends DeadLetter {
  id: number;
}

/** Where the log stands for retention (GET /api/log, docs/architecture.md "Retention"). */
export interface IngestLogStats {
  /** Entries kept now. */
  entries: number;
  /** The oldest entry kept; null when the log is empty. */
  oldestSeq: number | null;
  oldestReceivedAt: string | null;
  headSeq: number;
  /** Compaction removed every entry at or below this seq (0: never ran or removed nothing). */
  compactedThrough: number;
  /** Entries compaction removed, ever. */
  removedTotal: number;
  /** When compaction last removed something. */
  lastCompactedAt: string | null;
  /** What the log takes on disk: the SQLite file's pages, or the PostgreSQL table with its indexes and TOAST. */
  sizeBytes: number;
  /** SQLite: pages free for reuse inside the file. PostgreSQL: null (autovacuum keeps that count). */
  freeBytes: number | null;
  /**
   * SQLite's auto_vacuum mode: `incremental` on files created since compaction exists (freed
   * pages go back to the file system), `none` on older files (freed pages are reused by new
   * entries; `rapport log vacuum` converts them). null on PostgreSQL.
   */
  autoVacuum: 'none' | 'full' | 'incremental' | null;
}

/** The durable, ordered ingest log. `append` resolves only once the entries are committed. */
export interface IngestLogStore {
  append(entries: LogEntry[], deadLetters?: DeadLetter[]): Promise<AppendResult>;
  /** Entries with seq > afterSeq in seq order. Readers never see a gap fill in later. */
  read(afterSeq: number, limit: number): Promise<LogRecord[]>;
  /**
   * `read`, except that only entries whose JSON contains `needle` carry it; the others come with
   * `json: null`, so a reader interested in a few entries does not receive and decode the rest.
   */
  readContaining(afterSeq: number, limit: number, needle: string): Promise<SparseLogRecord[]>;
  headSeq(): Promise<number>;
  countEntries(): Promise<number>;
  listDeadLetters(options: { limit: number; beforeId?: number }): Promise<StoredDeadLetter[]>;
  countDeadLetters(): Promise<number>;
  /** Dead letters received in [fromIso, toIso), per UTC day (YYYY-MM-DD); days with none are absent. */
  countDeadLettersByDay(fromIso: string, toIso: string): Promise<Record<string, number>>;
  /** Erasure: removes these log entries (by seq); returns how many were removed. */
  deleteEntries(seqs: number[]): Promise<number>;
  /** Erasure: removes these dead letters (by id); returns how many were removed. */
  deleteDeadLetters(ids: number[]): Promise<number>;
  /** Seq and receivedAt of the entries after `afterSeq`, in seq order (compaction's look-ahead). */
  entryTimes(afterSeq: number, limit: number): Promise<Array<{ seq: number; receivedAt: string }>>;
  /**
   * Compaction: removes every entry at or below `throughSeq` and records the mark, in one
   * transaction, so a crash leaves either the whole chunk or none of it. The caller bounds the
   * chunk (it picks `throughSeq` from `entryTimes`). headSeq never drops below the mark, so an
   * emptied log still reports how far it went. Returns how many entries went.
   */
  compactThrough(throughSeq: number, at: string): Promise<number>;
  /**
   * Gives up to `maxPages` free pages back to the file system (SQLite with auto_vacuum
   * incremental); returns the bytes given back. 0 on PostgreSQL, where autovacuum does this.
   */
  reclaimSpace(maxPages: number): Promise<number>;
  stats(): Promise<IngestLogStats>;
}

/** An identifier kind and value: ('user_id', 'u-42'), ('anonymous_id', …), ('email', …). */
export interface IdentityKey {
  kind: string;
  value: string;
}

export interface IdentityRow extends IdentityKey {
  profileId: string;
  firstSeen: string;
}

/** A trait's value with when and from where it was last set. */
export interface TraitValue {
  value: unknown;
  /** Message timestamp that set it (ISO). */
  at: string;
  source: string;
  messageId: string;
}

export interface GroupMembership {
  groupId: string;
  traits: Record<string, unknown>;
  at: string;
}

/** A decision about one purpose: granted, denied, or explicitly reset to unknown. */
export type ConsentState = 'granted' | 'denied' | 'unknown';

export interface ConsentDecision {
  state: ConsentState;
  /** Message timestamp of the decision (ISO). */
  at: string;
  source: string;
  messageId: string;
}

/** One decision as the consent history keeps it, under the profile it was recorded on. */
export interface ConsentRecord extends ConsentDecision {
  profileId: string;
  purpose: string;
  /** Why, as the person recording it said (the admin consent PUT's `note`); null when none was given. */
  note?: string | null;
}

export interface StoredConsentRecord extends ConsentRecord {
  id: number;
  /** Read back, a decision recorded without a note has null. */
  note: string | null;
}

export interface ProfileRow {
  profileId: string;
  createdAt: string;
  firstSeen: string;
  lastSeen: string;
  eventCount: number;
  traits: Record<string, TraitValue>;
  groups: Record<string, GroupMembership>;
  /** The current decision per purpose; a purpose not here is unknown. */
  consent: Record<string, ConsentDecision>;
  /** Set when this profile was merged into another; reads follow it. */
  mergedInto: string | null;
}

export type MergeOutcome = 'merged' | 'refused';

export interface MergeRecord {
  at: string;
  outcome: MergeOutcome;
  winnerId: string;
  loserId: string;
  messageId: string;
  reason: string;
}

export interface StoredMergeRecord extends MergeRecord {
  id: number;
}

/** What a batch of messages changed, written atomically with the processor's offset. */
export interface ProfileChanges {
  profiles: ProfileRow[];
  identities: IdentityRow[];
  merges: MergeRecord[];
  /** Every consent decision the batch carried, appended to the history. */
  consentHistory?: ConsentRecord[];
}

/** A value another module computed for a profile (CLV, value score, lifecycle stage…). */
export interface ComputedProperty {
  profileId: string;
  name: string;
  value: unknown;
  computedAt: string;
}

/**
 * One numeric computed property over the live (not merged-away) profiles. Values that are not
 * JSON numbers (text, objects) do not count.
 */
export interface NumericPropertySummary {
  /** Live profiles, with or without the property. */
  profiles: number;
  /** Live profiles whose property is a number. */
  count: number;
  /** null when count is 0. */
  mean: number | null;
  min: number | null;
  max: number | null;
  /** The smallest value above 0 (log-spaced bins start there); null when none is. */
  minPositive: number | null;
}

/** A point of two numeric computed properties of one live profile. */
export interface NumericPropertyPair {
  profileId: string;
  x: number;
  y: number;
}

/** A report a module computed and keeps across restarts (no profile ids in it: erasure does not look there). */
export interface StoredReport {
  name: string;
  body: unknown;
  savedAt: string;
}

/** List and search over live (not merged-away) profiles, in profile id order. */
export interface ProfileSearch {
  /** Only these profiles (the caller resolved an identifier to them). */
  profileIds?: string[];
  /** Trait name → value as text ("pro", "42", "true"), all must match. */
  traits?: Record<string, string>;
  /**
   * Only profiles one of whose trait values contains this text, case aside: answered from the
   * search index, so it narrows a trait comparison that would otherwise read every profile.
   */
  containing?: string;
  lastSeenAfter?: string;
  lastSeenBefore?: string;
  /** Cursor: profiles with an id greater than this. */
  afterId?: string;
  limit: number;
}

/** What a profile list is ordered by: a column of the profile, or a trait's value. */
export type ProfileListOrder =
  | { column: 'last_seen' | 'first_seen' | 'event_count' | 'profile_id' }
  | { trait: string };

/** The people explorer's list: filters, an order and a page, counted as well as listed. */
export interface ProfileListQuery {
  /** Only these profiles (a rule's members); omitted: every live profile. */
  profileIds?: string[];
  /**
   * A search: profiles whose id is in `ids` (an identifier or name resolved them) or one of
   * whose trait values, as text, contains `text` (compared in lower case).
   */
  search?: { text: string; ids: string[] };
  /** With the profile_id order ascending: only ids after this one (a cursor for long reads). */
  afterId?: string;
  order: ProfileListOrder;
  descending: boolean;
  offset: number;
  limit: number;
  /** Also count every profile the filters match (the page's total). */
  withTotal: boolean;
}

export interface ProfileListPage {
  rows: ProfileRow[];
  /** Set when asked for (`withTotal`). */
  total?: number;
}

/** An erased identifier, kept only as a hash so later messages carrying it can be dropped. */
export interface Suppression {
  /** Identity kind ('user_id', 'email', …) or 'profile_id'. */
  kind: string;
  valueHash: string;
  erasedAt: string;
  jobId: string;
}

export type ErasureStatus = 'running' | 'complete' | 'failed';

export interface ErasureStep {
  name: string;
  status: 'pending' | 'done';
  doneAt: string | null;
  /** Rows (or messages) the step removed or wrote. */
  count: number;
}

/** What a running erasure needs to resume after a crash; cleared when it completes. */
export interface ErasureWork {
  profileIds: string[];
  identities: IdentityKey[];
  /** Log head once suppression was in force; deletion starts when processors passed it. */
  logHead: number | null;
}

export interface ErasureJob {
  id: string;
  status: ErasureStatus;
  steps: ErasureStep[];
  requestedAt: string;
  updatedAt: string;
  completedAt: string | null;
  /** Messages dropped at ingest because they carried an erased identifier. */
  suppressedCount: number;
  error: string | null;
  work: ErasureWork | null;
}

/**
 * A log entry one processor could not apply, set aside so that processor could go on with the
 * entries after it (docs/quarantine.md). One row per (processor, seq): the same entry failing
 * again for the same processor updates its row instead of adding another.
 */
export interface QuarantineEntry {
  processor: string;
  seq: number;
  messageId: string;
  source: string;
  receivedAt: string;
  /** The log entry's text as the processor read it (personal data: erasure reaches it). */
  body: string;
  /** The last failure's message and the first lines of its stack. */
  error: string;
  stack: string | null;
  firstFailedAt: string;
  lastFailedAt: string;
  /** How many times the entry failed on its own (isolation, then each failed replay). */
  attempts: number;
  /**
   * How many entries in a row, this one included, the processor had set aside when it set
   * this one aside: the guard against a systemic failure reads it.
   */
  consecutive: number;
}

export interface StoredQuarantineEntry extends QuarantineEntry {
  id: number;
}

export interface QuarantineFailure {
  error: string;
  stack: string | null;
  at: string;
}

/** Quarantine reads and writes inside a processor's own transaction (the one that moves its offset). */
export interface QuarantineWrites {
  get(id: number): Promise<StoredQuarantineEntry | undefined>;
  /** The `consecutive` of this processor's row at seq, 0 when the entry at seq was not set aside. */
  consecutiveAt(processor: string, seq: number): Promise<number>;
  /** Inserts; when (processor, seq) is already there, adds the attempts and keeps the newest failure. */
  put(entry: QuarantineEntry): Promise<void>;
  /** Removes a row once its message was replayed; false when it was already gone. */
  release(id: number): Promise<boolean>;
}

export interface QuarantineStore extends QuarantineWrites {
  /** Oldest first (by id), after the cursor; only one processor's when given. */
  list(options: { processor?: string; limit: number; afterId?: number }): Promise<StoredQuarantineEntry[]>;
  /** Rows per processor (processors with none are absent). */
  counts(): Promise<Record<string, number>>;
  /** A failed replay: one more attempt, the newest failure kept. False when the row is gone. */
  recordFailure(id: number, failure: QuarantineFailure): Promise<boolean>;
  /** Discard and erasure: removes the rows for good (SQLite overwrites the freed pages). */
  remove(ids: number[]): Promise<number>;
}

/** The slice of state a profile processor reads and writes inside one locked transaction. */
export interface ProfileTransaction {
  findIdentities(keys: IdentityKey[]): Promise<IdentityRow[]>;
  identitiesOfProfiles(profileIds: string[]): Promise<IdentityRow[]>;
  loadProfiles(profileIds: string[]): Promise<ProfileRow[]>;
  write(changes: ProfileChanges): Promise<void>;
  setOffset(seq: number): Promise<void>;
  /** Quarantine rows, in this transaction. */
  readonly quarantine: QuarantineWrites;
}

export type CredentialKind = 'write' | 'admin';

export interface Credential {
  id: string;
  kind: CredentialKind;
  name: string;
  createdAt: string;
  revokedAt: string | null;
}

export interface StateStore {
  readonly engine: 'sqlite' | 'postgres';
  readonly log: IngestLogStore;
  /** Log entries processors set aside (docs/quarantine.md). */
  readonly quarantine: QuarantineStore;
  migrate(): Promise<void>;
  close(): Promise<void>;

  getOffset(processor: string): Promise<number>;
  /**
   * Runs `work` in one transaction that holds the processor's lock and sees its offset.
   * Resolves undefined without running when another worker holds the lock (PostgreSQL).
   */
  withProcessorLock<T>(
    processor: string,
    work: (tx: ProfileTransaction, offset: number) => Promise<T>,
  ): Promise<T | undefined>;

  getProfile(profileId: string): Promise<ProfileRow | undefined>;
  findIdentities(keys: IdentityKey[]): Promise<IdentityRow[]>;
  identitiesOfProfiles(profileIds: string[]): Promise<IdentityRow[]>;
  /** Merge records where the profile won or lost, oldest first. */
  mergesOf(profileIds: string[]): Promise<StoredMergeRecord[]>;
  countProfiles(): Promise<number>;

  /** Credentials are stored as SHA-256 hashes; the secret itself never touches the store. */
  addCredential(credential: Credential, secretHash: string): Promise<void>;
  findCredentialByHash(secretHash: string): Promise<Credential | undefined>;
  listCredentials(kind?: CredentialKind): Promise<Credential[]>;
  revokeCredential(id: string, at: string): Promise<boolean>;

  /** Consent decisions recorded on these profiles, oldest first (by id). */
  consentHistoryOf(profileIds: string[]): Promise<StoredConsentRecord[]>;
  /**
   * Ids of live profiles whose current decision for `purpose` is `state`, plus every profile
   * merged into them (their events still carry those ids).
   */
  profilesByConsent(purpose: string, state: ConsentState): Promise<string[]>;
  /** Upserts by (profileId, name). */
  setComputedProperties(rows: ComputedProperty[]): Promise<void>;
  computedPropertiesOf(profileIds: string[]): Promise<ComputedProperty[]>;
  /** Count, mean, min, max of a numeric computed property over live profiles (SQL, no rows shipped). */
  numericPropertySummary(name: string): Promise<NumericPropertySummary>;
  /** The values at these 0-based positions of the ascending order (positions beyond the count are left out). */
  numericPropertyAtPositions(name: string, positions: number[]): Promise<Map<number, number>>;
  /**
   * How many live profiles fall in each bin [edges[i], edges[i + 1]); the last bin includes its
   * upper edge, values outside [edges[0], edges[last]] are not counted.
   */
  numericPropertyHistogram(name: string, edges: number[]): Promise<number[]>;
  /**
   * A deterministic sample of the live profiles with a numeric x: every k-th in x order (ties
   * by profile id), k = ceil(total / limit), so at most `limit` points spread over the whole
   * range of x; `total` counts the profiles with an x. Sampled profiles whose y is not a
   * number are left out of `points`.
   */
  numericPropertyPairSample(
    xName: string,
    yName: string,
    limit: number,
  ): Promise<{ total: number; points: NumericPropertyPair[] }>;
  /**
   * For each threshold, how many live profiles have a numeric `name` strictly below it (in the
   * thresholds' order): one pass for any number of histograms' edges.
   */
  numericPropertyCountsBelow(name: string, thresholds: number[]): Promise<number[]>;
  /** Inserts or replaces a module's report by name. */
  saveReport(report: StoredReport): Promise<void>;
  loadReport(name: string): Promise<StoredReport | undefined>;
  /**
   * Replaces the per-profile points kept with report `name` (a chart's sample). They live in a
   * table of their own with a profile_id column, so erasing a profile deletes its point.
   */
  saveReportPoints(name: string, points: NumericPropertyPair[]): Promise<void>;
  /** The points saved with report `name`, in their saved order, less any erased since. */
  loadReportPoints(name: string): Promise<NumericPropertyPair[]>;
  /** Deletes every report, and its points, whose name starts with `namePrefix`. */
  deleteReports(namePrefix: string): Promise<void>;
  searchProfiles(search: ProfileSearch): Promise<ProfileRow[]>;
  /** The people explorer's page: live profiles filtered, ordered and counted (profile-list-sql.ts). */
  listProfiles(query: ProfileListQuery): Promise<ProfileListPage>;

  /** Ignores a (kind, valueHash) already suppressed. */
  addSuppressions(rows: Suppression[]): Promise<void>;
  listSuppressions(): Promise<Suppression[]>;
  findSuppression(kind: string, valueHash: string): Promise<Suppression | undefined>;
  addSuppressedCount(jobId: string, count: number): Promise<void>;
  /** Inserts or replaces the job (suppressedCount is kept: ingest adds to it). */
  saveErasureJob(job: ErasureJob): Promise<void>;
  getErasureJob(id: string): Promise<ErasureJob | undefined>;
  listUnfinishedErasureJobs(): Promise<ErasureJob[]>;
  /** Every processor offset the state store keeps (profiles, and any later processor's). */
  listProcessorOffsets(): Promise<Record<string, number>>;
  /**
   * Erasure: deletes the profiles and every row of every table with a profile_id column
   * under their ids (identities, consent history, computed properties, and the tables other
   * modules add), plus the merges naming them, in one transaction.
   */
  eraseProfiles(profileIds: string[]): Promise<number>;
  /**
   * The end of an erasure: what the engine must run so that the bytes of deleted rows leave
   * its files (SQLite: the WALs checkpointed and truncated, deletes having zeroed what they
   * freed; PostgreSQL: VACUUM and ANALYZE of every table of the schema, so dead row versions,
   * index entries and pg_stats samples go). Idempotent.
   */
  scrubFreedSpace(): Promise<void>;
}

/** One event as the event store keeps it: a few columns for queries plus the full message. */
export interface StoredEvent {
  seq: number;
  messageId: string;
  profileId: string;
  type: string;
  /** `event` for track, `name` for page and screen, null otherwise. */
  name: string | null;
  userId: string | null;
  anonymousId: string | null;
  timestamp: string;
  receivedAt: string;
  properties: Record<string, unknown>;
  message: Record<string, unknown>;
  /** `message` already serialised (the log's text), so the hot path need not stringify twice. */
  messageJson?: string;
}

export interface EventQuery {
  profileIds: string[];
  limit: number;
  /** Page backwards from this (timestamp, seq) cursor, newest first. */
  before?: { timestamp: string; seq: number };
  type?: string;
  name?: string;
  from?: string;
  to?: string;
}

/**
 * The event store as the rest of the program reads it: the pipeline worker owns the embedded
 * event store (a DuckDB file can be opened by one thread only), so on the HTTP thread these
 * calls travel to the worker (src/pipeline/rpc.ts); with PostgreSQL they may go to the store.
 */
export interface EventReader {
  eventsOf(query: EventQuery): Promise<StoredEvent[]>;
  countEvents(): Promise<number>;
  countByMessageId(messageIds: string[]): Promise<Map<string, number>>;
  getOffset(processor: string): Promise<number>;
  query(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  /** Erasure: the worker owns the embedded event store, so deletes travel here too. */
  deleteEventsOf(profileIds: string[]): Promise<number>;
}

export interface EventStore {
  readonly engine: 'duckdb' | 'postgres';
  migrate(): Promise<void>;
  close(): Promise<void>;
  getOffset(processor: string): Promise<number>;
  /**
   * Appends the events and moves the processor's offset in one transaction. Events at or
   * below the offset already stored are skipped: when two workers race over the same slice
   * (two processes on one PostgreSQL), the second adds nothing.
   */
  appendWithOffset(processor: string, events: StoredEvent[], offset: number): Promise<void>;
  /**
   * A replayed quarantined message (docs/quarantine.md): appends the events whose messageId is
   * not stored yet and leaves every offset alone. Returns how many it appended.
   */
  appendReplayed(events: StoredEvent[]): Promise<number>;
  eventsOf(query: EventQuery): Promise<StoredEvent[]>;
  countEvents(): Promise<number>;
  /** How many times each messageId is stored; used by the kill test and by operators. */
  countByMessageId(messageIds: string[]): Promise<Map<string, number>>;
  /**
   * A read-only analytics query in this engine's SQL over the `events` table (segments,
   * funnels, value models compile to it). Parameters are $1, $2…; rows come back with
   * integers and decimals as numbers and timestamps as ISO strings.
   */
  query(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  /** Erasure: deletes every event of these profiles; returns how many. */
  deleteEventsOf(profileIds: string[]): Promise<number>;
}
