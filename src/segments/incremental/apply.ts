// applyEvent: one event → the next state. Pure; the input state is not changed. It assumes
// what the realtime processor guarantees: an event is applied once it has happened (its
// timestamp is not after the times the state is later evaluated at; ingest clamps future
// timestamps), in any order.
import { passesComparison } from '../values.ts';
import type { FixedRange, TrackerSpec, TrackingPlan } from './plan.ts';
import type { ProfileSegmentState, SegmentEvent, TrackerState, TraitEntry } from './state.ts';

/** Traits an identify carries: `traits`, or analytics.js's `context.traits` when that is absent. */
export function identifyTraits(message: Record<string, unknown>): Record<string, unknown> | undefined {
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObject(message.traits)) return message.traits;
  const context = message.context;
  if (isObject(context) && isObject(context.traits)) return context.traits;
  return undefined;
}

/** (atMs, messageId) order: the identify that wins a trait. */
function isLater(a: TraitEntry, b: TraitEntry): boolean {
  return a.atMs === b.atMs ? a.messageId > b.messageId : a.atMs > b.atMs;
}

export function applyEvent(
  plan: TrackingPlan,
  state: ProfileSegmentState,
  event: SegmentEvent,
): ProfileSegmentState {
  const atMs = Date.parse(event.timestamp);
  const next: ProfileSegmentState = {
    ...state,
    firstSeenMs: state.firstSeenMs === null ? atMs : Math.min(state.firstSeenMs, atMs),
    lastSeenMs: state.lastSeenMs === null ? atMs : Math.max(state.lastSeenMs, atMs),
  };
  if (event.type === 'identify') next.traits = applyTraits(plan, state.traits, event, atMs);
  if (event.name !== null) next.trackers = applyTrackers(plan, next, event, atMs);
  return next;
}

function applyTraits(
  plan: TrackingPlan,
  current: Record<string, TraitEntry>,
  event: SegmentEvent,
  atMs: number,
): Record<string, TraitEntry> {
  const traits = identifyTraits(event.message);
  if (!traits) return current;
  let next = current;
  for (const [key, value] of Object.entries(traits)) {
    if (!plan.traits.has(key)) continue;
    const candidate = { value, atMs, messageId: event.messageId };
    const existing = Object.hasOwn(current, key) ? current[key] : undefined;
    if (existing && !isLater(candidate, existing)) continue;
    if (next === current) next = { ...current };
    next[key] = candidate;
  }
  return next;
}

function matches(spec: TrackerSpec, event: SegmentEvent): boolean {
  if (spec.event !== event.name) return false;
  return spec.where.every((filter) => passesComparison(propertyOf(event, filter.property), filter.test));
}

function propertyOf(event: SegmentEvent, property: string): unknown {
  return Object.hasOwn(event.properties, property) ? event.properties[property] : undefined;
}

function inRange(range: FixedRange, atMs: number): boolean {
  return range === undefined || (atMs >= range.fromMs && atMs < range.toMs);
}

function applyTrackers(
  plan: TrackingPlan,
  state: ProfileSegmentState,
  event: SegmentEvent,
  atMs: number,
): Record<string, TrackerState> {
  let trackers = state.trackers;
  for (const spec of plan.trackers.values()) {
    if (!matches(spec, event)) continue;
    const current = Object.hasOwn(trackers, spec.key) ? trackers[spec.key] : undefined;
    const updated = updateTracker(spec, current, event, atMs, state.lastSeenMs ?? atMs);
    if (updated === current) continue;
    if (trackers === state.trackers) trackers = { ...trackers };
    trackers[spec.key] = updated as TrackerState;
  }
  return trackers;
}

function updateTracker(
  spec: TrackerSpec,
  current: TrackerState | undefined,
  event: SegmentEvent,
  atMs: number,
  latestMs: number,
): TrackerState | undefined {
  switch (spec.kind) {
    case 'recent': {
      const times = current?.kind === 'recent' ? current.times : [];
      return { kind: 'recent', times: keepLatest([...times, atMs], spec.keep) };
    }
    case 'count': {
      if (!inRange(spec.range, atMs)) return current;
      return { kind: 'count', count: (current?.kind === 'count' ? current.count : 0) + 1 };
    }
    case 'pairs': {
      const value = propertyOf(event, spec.property);
      if (typeof value !== 'number' || !Number.isFinite(value)) return current;
      const pairs = current?.kind === 'pairs' ? current.pairs : [];
      return { kind: 'pairs', pairs: prunePairs([...pairs, [atMs, value]], spec, latestMs) };
    }
    case 'totals': {
      const value = propertyOf(event, spec.property);
      if (typeof value !== 'number' || !Number.isFinite(value) || !inRange(spec.range, atMs)) return current;
      const totals = current?.kind === 'totals' ? current : { sum: 0, count: 0, min: null, max: null };
      return {
        kind: 'totals',
        sum: totals.sum + value,
        count: totals.count + 1,
        min: totals.min === null ? value : Math.min(totals.min, value),
        max: totals.max === null ? value : Math.max(totals.max, value),
      };
    }
  }
}

export function keepLatest(times: number[], keep: number): number[] {
  return times.sort((a, b) => b - a).slice(0, keep);
}

/**
 * Drops pairs that can never count again: those that left the window by the latest event
 * (evaluation times are never earlier), and for min/max those a later pair beats, since the
 * later one stays in the window at least as long.
 */
export function prunePairs(
  pairs: Array<[number, number]>,
  spec: TrackerSpec & { kind: 'pairs' },
  latestMs: number,
): Array<[number, number]> {
  const live = pairs.filter(([atMs]) => atMs > latestMs - spec.windowMs).sort((a, b) => a[0] - b[0]);
  if (spec.keepOnly === 'all') return live;
  const beats = spec.keepOnly === 'max' ? (a: number, b: number) => a >= b : (a: number, b: number) => a <= b;
  const kept: Array<[number, number]> = [];
  // Newest first: a pair survives when no pair at least as new has a value that beats it.
  for (let i = live.length - 1; i >= 0; i--) {
    const pair = live[i] as [number, number];
    if (!kept.some(([, value]) => beats(value, pair[1]))) kept.push(pair);
  }
  return kept.reverse();
}

/**
 * The state of a merged profile: the loser's history folded into the winner's, as if every
 * event had been applied to the winner. Facts are the winner's: the state store keeps them on
 * the survivor.
 */
export function mergeStates(
  plan: TrackingPlan,
  winner: ProfileSegmentState,
  loser: ProfileSegmentState,
): ProfileSegmentState {
  const pick = (a: number | null, b: number | null, f: (x: number, y: number) => number) =>
    a === null ? b : b === null ? a : f(a, b);
  const traits = { ...winner.traits };
  for (const [key, entry] of Object.entries(loser.traits)) {
    const existing = Object.hasOwn(traits, key) ? traits[key] : undefined;
    if (!existing || isLater(entry, existing)) traits[key] = entry;
  }
  const lastSeenMs = pick(winner.lastSeenMs, loser.lastSeenMs, Math.max);
  const trackers = { ...winner.trackers };
  for (const [key, theirs] of Object.entries(loser.trackers)) {
    const spec = plan.trackers.get(key);
    const ours = Object.hasOwn(trackers, key) ? trackers[key] : undefined;
    if (!spec) continue;
    trackers[key] = ours ? mergeTracker(spec, ours, theirs, lastSeenMs ?? 0) : theirs;
  }
  return {
    ...winner,
    firstSeenMs: pick(winner.firstSeenMs, loser.firstSeenMs, Math.min),
    lastSeenMs,
    traits,
    trackers,
  };
}

function mergeTracker(spec: TrackerSpec, a: TrackerState, b: TrackerState, latestMs: number): TrackerState {
  if (spec.kind === 'recent' && a.kind === 'recent' && b.kind === 'recent') {
    return { kind: 'recent', times: keepLatest([...a.times, ...b.times], spec.keep) };
  }
  if (a.kind === 'count' && b.kind === 'count') return { kind: 'count', count: a.count + b.count };
  if (spec.kind === 'pairs' && a.kind === 'pairs' && b.kind === 'pairs') {
    return { kind: 'pairs', pairs: prunePairs([...a.pairs, ...b.pairs], spec, latestMs) };
  }
  if (a.kind === 'totals' && b.kind === 'totals') {
    const min = a.min === null ? b.min : b.min === null ? a.min : Math.min(a.min, b.min);
    const max = a.max === null ? b.max : b.max === null ? a.max : Math.max(a.max, b.max);
    return { kind: 'totals', sum: a.sum + b.sum, count: a.count + b.count, min, max };
  }
  return a;
}
