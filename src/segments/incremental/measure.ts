// One condition against a profile's state at a time `now`: whether it holds and what was
// seen (for explain). The SQL compiler mirrors each case; docs/segments.md has the table.
import type { AggregateCondition, Condition, PerformedCondition, SeenCondition } from '../ast.ts';
import { durationMs } from '../ast.ts';
import { passesComparison, passesNumber } from '../values.ts';
import { trackerKeyOf, windowMsOf } from './plan.ts';
import { factKey, type ProfileSegmentState, type TrackerState } from './state.ts';

export interface Measurement {
  holds: boolean;
  /** What the condition looked at, for "why is this person in this segment". */
  observed: Record<string, unknown>;
}

function trackerOf(state: ProfileSegmentState, key: string): TrackerState | undefined {
  return Object.hasOwn(state.trackers, key) ? state.trackers[key] : undefined;
}

function factOf(state: ProfileSegmentState, key: string): unknown {
  return Object.hasOwn(state.facts, key) ? state.facts[key] : undefined;
}

export function measureCondition(
  condition: Condition,
  state: ProfileSegmentState,
  nowMs: number,
): Measurement {
  switch (condition.kind) {
    case 'trait': {
      const entry = Object.hasOwn(state.traits, condition.trait) ? state.traits[condition.trait] : undefined;
      return {
        holds: passesComparison(entry?.value, condition.test),
        observed: { value: entry?.value ?? null },
      };
    }
    case 'computed': {
      const value = factOf(state, factKey.computed(condition.name));
      return { holds: passesComparison(value, condition.test), observed: { value: value ?? null } };
    }
    case 'performed':
      return measurePerformed(condition, state, nowMs);
    case 'aggregate':
      return measureAggregate(condition, state, nowMs);
    case 'first_seen':
    case 'last_seen':
      return measureSeen(condition, state, nowMs);
    case 'consent': {
      const value = factOf(state, factKey.consent(condition.purpose));
      const actual = value === 'granted' || value === 'denied' ? value : 'unknown';
      return { holds: actual === condition.state, observed: { consent: actual } };
    }
    case 'in_segment': {
      const member = factOf(state, factKey.segment(condition.segment)) === true;
      return { holds: member, observed: { member } };
    }
    case 'stage': {
      const stage = factOf(state, factKey.stage());
      return {
        holds: typeof stage === 'string' && condition.stages.includes(stage),
        observed: { stage: stage ?? null },
      };
    }
  }
}

function measurePerformed(
  condition: PerformedCondition,
  state: ProfileSegmentState,
  nowMs: number,
): Measurement {
  const tracker = trackerOf(state, trackerKeyOf(condition));
  let count = 0;
  const observed: Record<string, unknown> = {};
  if (condition.window.kind === 'last') {
    const startMs = nowMs - windowMsOf(condition.window);
    const times = tracker?.kind === 'recent' ? tracker.times.filter((t) => t > startMs && t <= nowMs) : [];
    count = times.length;
    observed.latest = times.map((t) => new Date(t).toISOString());
    // The state keeps count+1 timestamps: "at least" that many is all it knows.
    if (count > condition.count.value) observed.countIsAtLeast = true;
  } else {
    count = tracker?.kind === 'count' ? tracker.count : 0;
  }
  observed.count = count;
  return { holds: passesNumber(count, condition.count.op, condition.count.value), observed };
}

interface Totals {
  sum: number;
  count: number;
  min: number | null;
  max: number | null;
}

function totalsInWindow(
  condition: AggregateCondition,
  tracker: TrackerState | undefined,
  nowMs: number,
): Totals {
  if (condition.window.kind !== 'last') {
    return tracker?.kind === 'totals' ? tracker : { sum: 0, count: 0, min: null, max: null };
  }
  const startMs = nowMs - windowMsOf(condition.window);
  const values =
    tracker?.kind === 'pairs'
      ? tracker.pairs.filter(([t]) => t > startMs && t <= nowMs).map(([, v]) => v)
      : [];
  return {
    sum: values.reduce((a, b) => a + b, 0),
    count: values.length,
    min: values.length ? Math.min(...values) : null,
    max: values.length ? Math.max(...values) : null,
  };
}

function measureAggregate(
  condition: AggregateCondition,
  state: ProfileSegmentState,
  nowMs: number,
): Measurement {
  const totals = totalsInWindow(condition, trackerOf(state, trackerKeyOf(condition)), nowMs);
  const { op, value } = condition;
  switch (condition.fn) {
    case 'sum':
      return { holds: passesNumber(totals.sum, op, value), observed: { sum: totals.sum } };
    case 'avg': {
      // sum op value·count rather than sum/count op value: exact for integers, and what the SQL does.
      const holds = totals.count > 0 && passesNumber(totals.sum, op, value * totals.count);
      return {
        holds,
        observed: { average: totals.count ? totals.sum / totals.count : null, events: totals.count },
      };
    }
    case 'min':
    case 'max': {
      const actual = totals[condition.fn];
      return {
        holds: actual !== null && passesNumber(actual, op, value),
        observed: { [condition.fn]: actual },
      };
    }
  }
}

function measureSeen(condition: SeenCondition, state: ProfileSegmentState, nowMs: number): Measurement {
  const seenMs = condition.kind === 'first_seen' ? state.firstSeenMs : state.lastSeenMs;
  const observed = {
    [condition.kind === 'first_seen' ? 'firstSeen' : 'lastSeen']:
      seenMs === null ? null : new Date(seenMs).toISOString(),
  };
  if (seenMs === null) return { holds: false, observed };
  const { test } = condition;
  switch (test.op) {
    case 'before':
      return { holds: seenMs < Date.parse(test.date.date), observed };
    case 'after':
      return { holds: seenMs >= Date.parse(test.date.date), observed };
    case 'within':
      return { holds: seenMs > nowMs - durationMs(test.amount, test.unit) && seenMs <= nowMs, observed };
    case 'more_than_ago':
      return { holds: seenMs <= nowMs - durationMs(test.amount, test.unit), observed };
  }
}
