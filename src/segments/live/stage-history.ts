// A funnel switched on after the history is in (an import, `rapport demo`) would otherwise put
// everyone in their stage at the instant it was built, and every median time in stage would be
// empty. Its stage changes are derived instead from each person's own events, evaluated as of
// each event's time and of each window's expiry in between, as the realtime processor would
// have stamped them had the funnel been on all along. Pure.
import { applyEvent } from '../incremental/apply.ts';
import {
  emptyProfileState,
  factKey,
  type ProfileSegmentState,
  type SegmentEvent,
} from '../incremental/state.ts';
import { evaluateProfile, funnelFactKey, type LiveModel } from './model.ts';

export interface StageTransition {
  funnelId: string;
  from: string | null;
  to: string | null;
  atMs: number;
}

/** A segment entered or left, and what made it: an event (its messageId) or a window's end. */
export interface MembershipTransition {
  segmentId: string;
  change: 'entered' | 'exited';
  atMs: number;
  causedBy: string | null;
}

export interface DerivedStages {
  transitions: StageTransition[];
  /** The segments' entries and exits, in time order (a model with segments). */
  memberships: MembershipTransition[];
  /** Where the history leaves each funnel at `nowMs` (absent: no stage). */
  stageOf: (funnelId: string) => string | undefined;
  /** Whether the history leaves the person in the segment at `nowMs`. */
  isMember: (segmentId: string) => boolean;
}

/** A change of one funnel's stage: from where to where. */
export interface StageStep {
  from: string | null;
  to: string | null;
}

/**
 * Two changes of one funnel at one instant as one: a stay of no length is no stay. A page view
 * and a product view at a person's first instant make them interested, not aware for no time and
 * then interested (the funnel report would count that as a completed stay in awareness). A change
 * back to where the funnel was at that instant leaves no change (undefined). Pure.
 */
export function foldAtInstant(earlier: StageStep, later: StageStep): StageStep | undefined {
  return earlier.from === later.to ? undefined : { from: earlier.from, to: later.to };
}

/** Appends a transition to a history in time order, folding changes of a funnel at one instant. */
export function appendStageTransition(history: StageTransition[], change: StageTransition): void {
  let index = history.length - 1;
  while (index >= 0 && (history[index] as StageTransition).funnelId !== change.funnelId) index--;
  const earlier = history[index];
  // As the live path: a change out of every stage is not folded into.
  if (!earlier || earlier.atMs !== change.atMs || earlier.to === null) {
    history.push(change);
    return;
  }
  const folded = foldAtInstant(earlier, change);
  if (folded) history[index] = { ...change, ...folded };
  else history.splice(index, 1);
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
  const memberships: MembershipTransition[] = [];
  let state: ProfileSegmentState = emptyProfileState();
  let next: number | null = null;
  const evaluateAt = (atMs: number, causedBy: string | null = null) => {
    const outcome = evaluateProfile(model, state, new Date(atMs));
    state = outcome.state;
    for (const stage of outcome.stages) appendStageTransition(transitions, { ...stage, atMs });
    for (const { segment, change } of outcome.memberships)
      memberships.push({ segmentId: segment.id, change, atMs, causedBy });
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
    evaluateAt(atMs, event.messageId);
  }
  expireUpTo(nowMs);
  const final = state;
  return {
    transitions,
    memberships,
    stageOf: (funnelId) => final.facts[funnelFactKey(funnelId)] as string | undefined,
    isMember: (segmentId) => final.facts[factKey.segment(segmentId)] === true,
  };
}
