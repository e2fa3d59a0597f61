// The per-profile state the realtime processor keeps for segments, in the state store. Plain
// JSON so it can be saved as is; `version` says which shape it is.
//
// Memory bound per profile: the latest value of each trait a rule reads; first and last seen;
// the facts (consent, stage, memberships, computed properties: one value each); and per
// tracker (one per distinct performed/aggregate condition, see plan.ts):
// - performed in the last N: the count+1 latest matching timestamps (count ≤ MAX_COUNT), which
//   is all it takes to know whether "at least/most/exactly count" holds at any later time;
// - performed ever or between dates: one counter;
// - sum/average in the last N: the (timestamp, value) pairs inside the window, pruned on every
//   event: bounded by how many such events a profile sends in the window (the one bound that
//   grows with traffic, see docs/segments.md);
// - min/max in the last N: only pairs no later pair beats, usually a handful;
// - sum/average/min/max ever or between dates: four numbers.

export const STATE_VERSION = 1;

export interface TraitEntry {
  value: unknown;
  /** Timestamp (ms) of the identify that set it; ties go to the larger messageId, as in profiles. */
  atMs: number;
  messageId: string;
}

export type TrackerState =
  /** Latest matching timestamps (ms), newest first, at most the plan's `keep`. */
  | { kind: 'recent'; times: number[] }
  | { kind: 'count'; count: number }
  /** [timestamp ms, value] of matching events still inside the window, oldest first. */
  | { kind: 'pairs'; pairs: Array<[number, number]> }
  | { kind: 'totals'; sum: number; count: number; min: number | null; max: number | null };

export interface ProfileSegmentState {
  version: typeof STATE_VERSION;
  firstSeenMs: number | null;
  lastSeenMs: number | null;
  /** Only the traits some rule reads. */
  traits: Record<string, TraitEntry>;
  /** Per-profile facts kept by other processors, under the keys of `factKey`. */
  facts: Record<string, unknown>;
  trackers: Record<string, TrackerState>;
}

/** One event as the incremental evaluator reads it; a StoredEvent fits. */
export interface SegmentEvent {
  messageId: string;
  type: string;
  /** `event` of a track, `name` of a page or screen. */
  name: string | null;
  timestamp: string;
  properties: Record<string, unknown>;
  message: Record<string, unknown>;
}

export function emptyProfileState(): ProfileSegmentState {
  return { version: STATE_VERSION, firstSeenMs: null, lastSeenMs: null, traits: {}, facts: {}, trackers: {} };
}

/**
 * The keys of per-profile facts, shared by the incremental state (`facts`) and the SQL
 * relation `profile_facts(profile_id, key, value)`. Values are JSON: consent "granted" or
 * "denied" (anything else, or no row, is unknown), membership `true`, the stage a string,
 * a computed property any JSON value.
 */
export const factKey = {
  consent: (purpose: string) => `consent:${purpose}`,
  segment: (segmentId: string) => `segment:${segmentId}`,
  stage: () => 'stage',
  computed: (name: string) => `computed:${name}`,
};
