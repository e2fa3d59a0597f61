// The conductor's slice of the state store: journey definitions (versioned), one row per
// person's trip (instance JSON with a revision for compare-and-set), durable timers, the
// outbox, fatigue-cap counters, channel suppressions and the arbitration log. Both engines
// implement it (`sqlite/conductor.ts`, `postgres/conductor.ts`) on their own migration track;
// one contract suite (`test/store/conductor-contract.test.ts`) runs over both.
import type { QuarantineWrites } from './types.ts';

export type JourneyStatus = 'active' | 'paused' | 'deleted';

export interface StoredJourney {
  journeyId: string;
  /** The current (latest saved) version. */
  version: number;
  status: JourneyStatus;
  /** The definition JSON of `version`, as saved (validated by the caller). */
  definition: unknown;
  createdAt: string;
  updatedAt: string;
}

export interface JourneyVersionRow {
  version: number;
  savedAt: string;
  /** The journey's name in that version. */
  name: string | null;
}

export interface StoredInstance {
  instanceId: string;
  journeyId: string;
  journeyVersion: number;
  profileId: string;
  /** Bumped on every applied input; writes are compare-and-set on it. */
  revision: number;
  /** Running or waiting: at most one active instance per journey and person. */
  active: boolean;
  stepId: string;
  /** The instance record (`JourneyInstance` of the conductor), as JSON. */
  body: unknown;
  enteredAt: string;
  exitedAt: string | null;
  exitReason: string | null;
}

export interface TimerRow {
  /** Unique: the wait's idempotency key. */
  token: string;
  instanceId: string;
  journeyId: string;
  profileId: string;
  dueAt: string;
}

/**
 * queued → sending → sent; deferred (quiet hours, caps) → sending again at next_attempt_at;
 * dropped (arbitration said no: suppressed, no consent, capped with onCapped drop); failed
 * (the channel refused it for good); dead (attempts used up, or interrupted mid-delivery).
 */
export type OutboxStatus = 'queued' | 'deferred' | 'sending' | 'sent' | 'dropped' | 'failed' | 'dead';
export const OUTBOX_STATUSES: readonly OutboxStatus[] = [
  'queued',
  'deferred',
  'sending',
  'sent',
  'dropped',
  'failed',
  'dead',
];

/** The decision code of a row whose worker has handed it to the channel (see startDelivery). */
export const DELIVERING = 'delivering';

export interface OutboxEntry {
  /** journey:instance:step:visit for journeys; the caller's key for API sends. Unique. */
  idempotencyKey: string;
  profileId: string;
  journeyId: string | null;
  instanceId: string | null;
  stepId: string | null;
  /** `journey`, `api`, `broadcast`. */
  origin: string;
  /** `message` (arbitrated) or `task` (for staff: not a message to the person). */
  kind: 'message' | 'task';
  /** What to send: the send action or task, with the variables known when it was queued. */
  payload: unknown;
  createdAt: string;
  nextAttemptAt: string;
}

export interface OutboxRow extends OutboxEntry {
  id: number;
  status: OutboxStatus;
  attempts: number;
  /** Set while a worker holds the row (`sending`); a row whose lease ran out was interrupted. */
  leaseUntil: string | null;
  updatedAt: string;
  lastError: string | null;
  decisionCode: string | null;
  decisionReason: string | null;
  channel: string | null;
  providerMessageId: string | null;
  sentAt: string | null;
}

/** The outcome of one attempt, written by the outbox worker. */
export interface OutboxUpdate {
  status: OutboxStatus;
  attempts: number;
  nextAttemptAt?: string;
  lastError?: string | null;
  decisionCode?: string | null;
  decisionReason?: string | null;
  channel?: string | null;
  providerMessageId?: string | null;
  sentAt?: string | null;
  updatedAt: string;
}

/** One arbitration decision, as the log keeps it. */
export interface DecisionRecord {
  at: string;
  profileId: string;
  journeyId: string | null;
  stepId: string | null;
  idempotencyKey: string;
  channel: string | null;
  /** `send`, `defer`, `drop`, `fail` (delivery failed for good). */
  action: string;
  code: string;
  reason: string;
  until: string | null;
}

export interface StoredDecision extends DecisionRecord {
  id: number;
}

/** A channel closed for a person: a hard bounce or complaint for all, an unsubscribe for marketing. */
export interface ChannelSuppressionRow {
  profileId: string;
  channel: string;
  scope: 'marketing' | 'all';
  reason: string;
  at: string;
}

/** Everything one applied journey input changes, written in one transaction. */
export interface InstanceWrite {
  instance: StoredInstance;
  /** The revision the instance had when read; null to insert a new instance. */
  expectedRevision: number | null;
  timers: TimerRow[];
  cancelTimers: string[];
  outbox: OutboxEntry[];
  /** Step id → passes to add to the journey's per-step counters (for the graph). */
  stepPasses: Record<string, number>;
}

export interface EntryHistoryRow {
  active: boolean;
  entries: number;
  lastExitAt: string | undefined;
}

/** What a journey processor, timer or schedule step reads and writes inside one transaction. */
export interface ConductorTransaction {
  activeInstancesOf(profileIds: string[]): Promise<StoredInstance[]>;
  /** Whether anyone at all has a journey under way (one indexed row read). */
  anyActiveInstance(): Promise<boolean>;
  entryHistory(journeyId: string, profileId: string): Promise<EntryHistoryRow>;
  getInstance(instanceId: string): Promise<StoredInstance | undefined>;
  /** False (and nothing written) when the revision moved or the person already has an active trip. */
  writeInstance(write: InstanceWrite): Promise<boolean>;
  deleteTimer(token: string): Promise<void>;
  addSuppressions(rows: ChannelSuppressionRow[]): Promise<void>;
  setOffset(seq: number): Promise<void>;
  /** Quarantine rows, in this transaction (docs/quarantine.md). */
  readonly quarantine: QuarantineWrites;
}

export interface JourneyStats {
  entered: number;
  active: number;
  completed: number;
  converted: number;
  aborted: number;
  /** Per step: people there now (waiting) and passes through it, ever. */
  steps: Record<string, { current: number; passed: number }>;
}

export interface OutboxQuery {
  status?: OutboxStatus;
  profileId?: string;
  journeyId?: string;
  limit: number;
  beforeId?: number;
}

export interface DecisionQuery {
  profileId?: string;
  journeyId?: string;
  limit: number;
  beforeId?: number;
}

/**
 * Distinct messages (idempotency keys) with a decision of each action logged in a time range:
 * a message deferred three times counts once as deferred. Per channel, per journey (null: API
 * sends and broadcasts without one) and, for deferrals and drops, per decision code.
 */
export interface DecisionCounts {
  total: Record<string, number>;
  byChannel: Array<{ channel: string | null; action: string; messages: number }>;
  byJourney: Array<{ journeyId: string | null; action: string; messages: number }>;
  byCode: Array<{ action: string; code: string; messages: number }>;
}

export interface ConductorStore {
  readonly engine: 'sqlite' | 'postgres';
  migrate(): Promise<void>;
  close(): Promise<void>;

  saveJourney(journeyId: string, version: number, definition: unknown, now: string): Promise<StoredJourney>;
  getJourney(journeyId: string): Promise<StoredJourney | undefined>;
  /** A saved version's definition (instances finish on the version they entered under). */
  getJourneyVersion(journeyId: string, version: number): Promise<unknown | undefined>;
  /** Every saved version of a journey, newest first (the builder's version history). */
  listJourneyVersions(journeyId: string): Promise<JourneyVersionRow[]>;
  /** Every saved version of every journey, deleted ones included: ids and numbers only. */
  listVersionKeys(): Promise<Array<{ journeyId: string; version: number }>>;
  listJourneys(): Promise<StoredJourney[]>;
  setJourneyStatus(journeyId: string, status: JourneyStatus, now: string): Promise<boolean>;
  journeyStats(journeyId: string): Promise<JourneyStats>;

  getOffset(processor: string): Promise<number>;
  /**
   * Runs `work` in one transaction holding the processor's offset row. Resolves undefined
   * without running when another process holds it (PostgreSQL, SKIP LOCKED).
   */
  withProcessor<T>(
    processor: string,
    work: (tx: ConductorTransaction, offset: number) => Promise<T>,
  ): Promise<T | undefined>;
  /**
   * Runs `work` in one transaction over up to `limit` timers due at `now` of journeys that
   * are not paused, locked so that no other process takes them (PostgreSQL: SKIP LOCKED).
   */
  withDueTimers<T>(
    now: string,
    limit: number,
    work: (tx: ConductorTransaction, timers: TimerRow[]) => Promise<T>,
  ): Promise<T>;
  /** Runs `work` in one transaction (schedules, API-made entries). */
  withTransaction<T>(work: (tx: ConductorTransaction) => Promise<T>): Promise<T>;
  instancesOf(profileId: string): Promise<StoredInstance[]>;
  /** The trips of these profiles (a person and the profiles merged into them), latest entered first. */
  instancesOfProfiles(profileIds: string[], limit: number): Promise<StoredInstance[]>;
  getInstance(instanceId: string): Promise<StoredInstance | undefined>;
  pendingTimers(instanceId: string): Promise<TimerRow[]>;

  /** Inserts entries whose idempotency key is new; returns how many were new. */
  enqueue(entries: OutboxEntry[]): Promise<number>;
  /**
   * Takes up to `limit` rows due at `now` (queued or deferred with next_attempt_at ≤ now, or
   * sending with an expired lease: `interrupted` when it was `delivering`, see startDelivery) and marks them `sending` until now + leaseMs.
   * Rows one process holds are skipped by the others (PostgreSQL: FOR UPDATE SKIP LOCKED).
   */
  claimOutbox(
    now: string,
    limit: number,
    leaseMs: number,
  ): Promise<Array<OutboxRow & { interrupted: boolean }>>;
  /**
   * Marks a claimed row as being handed to its channel (decision code `delivering`), only if
   * this worker's lease (`leaseUntil` from the claim) still holds it; false: another worker took
   * it over, do not deliver. A row found `sending` with this mark and its lease run out was
   * interrupted mid-delivery (in doubt); one without it was claimed but never tried, and is
   * processed again like a queued row.
   */
  startDelivery(id: number, leaseUntil: string, now: string): Promise<boolean>;
  updateOutbox(id: number, update: OutboxUpdate): Promise<void>;
  getOutbox(idempotencyKey: string): Promise<OutboxRow | undefined>;
  listOutbox(query: OutboxQuery): Promise<OutboxRow[]>;
  /** The earliest next attempt among queued and deferred rows (for the worker's sleep). */
  nextOutboxDue(): Promise<string | undefined>;

  capCounts(profileId: string, keys: string[]): Promise<Record<string, number>>;
  /** All or nothing: each key moves from `from` to `to` only if it still is `from`. */
  reserveCaps(
    profileId: string,
    reservations: Array<{ key: string; from: number; to: number }>,
  ): Promise<boolean>;

  /** Gives back one slot of each bucket (a reserved send that was not delivered). */
  releaseCaps(profileId: string, keys: string[]): Promise<void>;

  logDecisions(rows: DecisionRecord[]): Promise<void>;
  listDecisions(query: DecisionQuery): Promise<StoredDecision[]>;
  /** The decision log counted in SQL over decisions at or after `fromIso` and before `toIso`. */
  countDecisions(fromIso: string, toIso: string): Promise<DecisionCounts>;

  suppressionsOf(profileId: string): Promise<ChannelSuppressionRow[]>;

  /** Schedules and broadcasts: the last run each trigger has done (`journeyId`), to run each once. */
  getScheduleMark(key: string): Promise<string | undefined>;
  /** Compare-and-set on the mark so one process runs each occurrence. */
  moveScheduleMark(key: string, from: string | undefined, to: string): Promise<boolean>;
}
