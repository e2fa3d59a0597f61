// Storage for live segments and lifecycle stages (docs/segments.md, "Live membership"):
// definitions, current members with history, the incremental evaluator's per-profile state
// with its next re-check time, lifecycle stages with history, and the outbox of membership
// events waiting to be appended to the ingest log. A store of its own beside the state store
// (same database, own migration track) so the segments processor owns its tables.
import type { QuarantineEntry } from './types.ts';

export type SegmentStatus = 'building' | 'live';

export interface SegmentRow {
  id: string;
  name: string;
  /** The rule tree (SegmentRule) as JSON. */
  rule: unknown;
  /** The rule printed in the text form. */
  text: string;
  version: number;
  status: SegmentStatus;
  createdAt: string;
  updatedAt: string;
}

export interface FunnelRow {
  id: string;
  /** The funnel definition (FunnelDefinition) as JSON. */
  definition: unknown;
  version: number;
  status: SegmentStatus;
  updatedAt: string;
}

export interface MemberRow {
  segmentId: string;
  profileId: string;
  since: string;
  reason: string;
}

export type MembershipChange = 'entered' | 'exited';

export interface HistoryRow {
  segmentId: string;
  profileId: string;
  change: MembershipChange;
  at: string;
  reason: string;
}

/** Membership changes of one segment on one UTC day (YYYY-MM-DD). */
export interface MembershipDayRow {
  segmentId: string;
  day: string;
  entered: number;
  exited: number;
}

export interface StageRow {
  funnelId: string;
  profileId: string;
  stage: string;
  since: string;
}

export interface StageHistoryRow {
  funnelId: string;
  profileId: string;
  /** null when the profile had no stage before. */
  fromStage: string | null;
  /** null when the profile left every stage. */
  toStage: string | null;
  at: string;
}

/**
 * What the funnel report needs, per stage index: profiles there now, people whose furthest
 * stage ever is that one, and the completed stays (entered, then left; count and median ms).
 */
export interface FunnelTallies {
  current: number[];
  furthest: number[];
  completedStays: number[];
  medianStayMs: Array<number | null>;
}

/** Whom a funnel report counts, by survivor id: a segment's members, a first-seen range, or ids. */
export type FunnelCohortFilter =
  | { kind: 'segment'; segmentId: string }
  /** Profiles whose segment state says first seen in [fromMs, toMs). */
  | { kind: 'firstSeen'; fromMs: number; toMs: number }
  | { kind: 'profiles'; profileIds: string[] };

export interface ProfileStateRow {
  profileId: string;
  /** ProfileSegmentState as JSON. */
  state: unknown;
  /** Epoch ms of the earliest moment a membership can change without an event; null: never. */
  nextCheckAt: number | null;
  /** Epoch ms the state was last evaluated at; evaluations never go back in time. */
  evaluatedAt: number | null;
}

export interface SegmentOutboxEntry {
  messageId: string;
  /** The normalised message, serialised. */
  json: string;
  createdAt: string;
  /** The profile whose membership or stage it reports, so erasure reaches a pending entry. */
  profileId?: string;
}

/** What one step of the segments processor changed, written with its offset. */
export interface SegmentChanges {
  states: ProfileStateRow[];
  deleteStates: string[];
  addMembers: MemberRow[];
  removeMembers: Array<{ segmentId: string; profileId: string }>;
  history: HistoryRow[];
  setStages: StageRow[];
  removeStages: Array<{ funnelId: string; profileId: string }>;
  stageHistory: StageHistoryRow[];
  /**
   * Profiles whose whole stage history in a funnel is replaced: their earlier rows are deleted
   * before this commit's stageHistory is written (a late event re-dated it).
   */
  replaceStageHistory?: Array<{ funnelId: string; profileId: string }>;
  /**
   * Profiles whose whole membership history of a segment is replaced: their earlier rows are
   * deleted before this commit's history is written (a late event re-dated it).
   */
  replaceMembershipHistory?: Array<{ segmentId: string; profileId: string }>;
  outbox: SegmentOutboxEntry[];
  /** Processor records to set in the same transaction. */
  meta: Record<string, unknown>;
  /** Log entries set aside in the same transaction as the offset (docs/quarantine.md). */
  quarantine?: QuarantineEntry[];
  /** Quarantine rows whose message this commit applied (a replay). */
  releaseQuarantined?: number[];
}

export function emptyChanges(): SegmentChanges {
  return {
    states: [],
    deleteStates: [],
    addMembers: [],
    removeMembers: [],
    history: [],
    setStages: [],
    removeStages: [],
    stageHistory: [],
    outbox: [],
    meta: {},
  };
}

export interface SegmentStore {
  close(): Promise<void>;

  listSegments(): Promise<SegmentRow[]>;
  getSegment(id: string): Promise<SegmentRow | undefined>;
  /** Inserts or replaces the definition. */
  saveSegment(row: SegmentRow): Promise<void>;
  /** Removes the definition, its members and its history; true when it existed. */
  deleteSegment(id: string): Promise<boolean>;
  setSegmentStatus(id: string, version: number, status: SegmentStatus): Promise<void>;

  listFunnels(): Promise<FunnelRow[]>;
  saveFunnel(row: FunnelRow): Promise<void>;
  deleteFunnel(id: string): Promise<boolean>;
  setFunnelStatus(id: string, version: number, status: SegmentStatus): Promise<void>;

  memberCounts(): Promise<Map<string, number>>;
  /** Members in profile id order after `afterId`. */
  listMembers(segmentId: string, options: { afterId?: string; limit: number }): Promise<MemberRow[]>;
  membersOf(segmentId: string, profileIds: string[]): Promise<MemberRow[]>;
  membershipsOfProfile(profileId: string): Promise<MemberRow[]>;
  historyOf(segmentId: string, profileId?: string): Promise<HistoryRow[]>;
  /**
   * Entries and exits per segment and UTC day from `fromDay` (YYYY-MM-DD) on, counted in SQL
   * (the history's `at` is an ISO instant in UTC, so its first ten characters are the day);
   * `segmentId` narrows it to one segment. Ordered by segment, then day.
   */
  membershipByDay(fromDay: string, segmentId?: string): Promise<MembershipDayRow[]>;

  stagesOf(profileIds: string[]): Promise<StageRow[]>;
  /** Every profile's current stage in a funnel. */
  allStages(funnelId: string): Promise<StageRow[]>;
  stageHistoryOf(funnelId: string): Promise<StageHistoryRow[]>;
  /**
   * The funnel report's tallies computed in the database (same numbers as funnelTallies in
   * segments/live/funnel-report.ts over allStages, stageHistoryOf and profileMap).
   */
  funnelTallies(
    funnelId: string,
    stageIds: string[],
    cohort: FunnelCohortFilter | null,
  ): Promise<FunnelTallies>;

  loadStates(profileIds: string[]): Promise<Map<string, ProfileStateRow>>;
  /** Every state, in profile id order, a page at a time. */
  pageStates(afterId: string, limit: number): Promise<ProfileStateRow[]>;
  /** Profiles whose next check is at or before `atMs`, earliest first. */
  dueRechecks(atMs: number, limit: number): Promise<string[]>;
  /**
   * Asks for these profiles to be re-evaluated at `atMs` at the latest (sooner if a window
   * expires first): what another module wrote that the rules read, without an event, changed.
   */
  requestRechecks(profileIds: string[], atMs: number): Promise<void>;

  /** Merged-away profile → the live profile it ended in (chains followed). */
  profileMap(): Promise<Map<string, string>>;
  /** Small key/value records of the processor (which trackers are filled from history). */
  getMeta(key: string): Promise<unknown>;
  setMeta(key: string, value: unknown): Promise<void>;

  getOffset(): Promise<number>;
  /**
   * Runs one processor step alone: undefined without running when another process holds the
   * step (PostgreSQL: the offset row, FOR UPDATE SKIP LOCKED; the step's queries and commit
   * share one transaction). The embedded engine has one process: it just runs `work`.
   */
  exclusive<T>(work: () => Promise<T>): Promise<T | undefined>;
  /** Applies the changes and moves the processor's offset in one transaction. */
  commit(changes: SegmentChanges, offset: number): Promise<void>;
  outbox(limit: number): Promise<SegmentOutboxEntry[]>;
  removeFromOutbox(messageIds: string[]): Promise<void>;
}
