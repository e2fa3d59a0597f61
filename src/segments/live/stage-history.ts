// A funnel switched on after the history is in (an import, `rapport demo`) would otherwise put
// everyone in their stage at the instant it was built, and every median time in stage would be
// empty. Its stage changes are derived instead from each person's own events, evaluated as of
// each event's time and of each window's expiry in between, as the realtime processor would
// have stamped them had the funnel been on all along. Pure.
import { applyEvent } from '../incremental/apply.ts';
import { emptyProfileState, type ProfileSegmentState, type SegmentEvent } from '../incremental/state.ts';
import { evaluateProfile, funnelFactKey, type LiveModel } from './model.ts';

export interface StageTransition {
  funnelId: string;
  from: string | null;
  to: string | null;
  atMs: number;
}

export interface DerivedStages {
  transitions: StageTransition[];
  /** Where the history leaves each funnel at `nowMs` (absent: no stage). */
  stageOf: (funnelId: string) => string | undefined;
}

/** At most this many window expiries between two events (as the re-checks are bounded). */
const MAX_EXPIRIES = 100;

/**
 * The stage changes of `model`'s funnels (a model of funnels only) over these events, in time
 * order, from a person first seen at `firstSeenMs`, up to `nowMs`. Rules reading anything the
 * events do not carry (consent, computed properties, memberships) see none: the caller keeps
 * the derived history only where it ends where the live evaluation does.
 */
export function deriveStageHistory(
  model: LiveModel,
  firstSeenMs: number | null,
  events: readonly SegmentEvent[],
  nowMs: number,
): DerivedStages {
  const transitions: StageTransition[] = [];
  let state: ProfileSegmentState = emptyProfileState();
  let next: number | null = null;
  const evaluateAt = (atMs: number) => {
    const outcome = evaluateProfile(model, state, new Date(atMs));
    state = outcome.state;
    for (const stage of outcome.stages) transitions.push({ ...stage, atMs });
    next = outcome.nextCheckAt;
  };
  const expireUpTo = (limitMs: number) => {
    for (let i = 0; next !== null && next <= limitMs && i < MAX_EXPIRIES; i++) evaluateAt(next);
  };
  const ordered = [...events]
    .map((event) => ({ event, atMs: Date.parse(event.timestamp) }))
    .filter(({ atMs }) => atMs <= nowMs)
    .sort((a, b) => a.atMs - b.atMs || (a.event.messageId < b.event.messageId ? -1 : 1));
  // First seen by an event the rules do not read (a page view): the stage that alone gives.
  // When the first event read is itself at first seen, the live path evaluates only after it
  // (no zero-length stay in the first stage), and so does this.
  const firstRead = ordered[0]?.atMs ?? Number.POSITIVE_INFINITY;
  if (firstSeenMs !== null && firstSeenMs <= nowMs && firstSeenMs < firstRead) {
    state = { ...state, firstSeenMs, lastSeenMs: firstSeenMs };
    evaluateAt(firstSeenMs);
  }
  for (const { event, atMs } of ordered) {
    expireUpTo(atMs);
    state = applyEvent(model.plan, state, event);
    evaluateAt(atMs);
  }
  expireUpTo(nowMs);
  const final = state;
  return {
    transitions,
    stageOf: (funnelId) => final.facts[funnelFactKey(funnelId)] as string | undefined,
  };
}
