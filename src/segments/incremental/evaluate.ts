// Membership from the per-profile state at any time `now`, and the next moment it can change
// without a new event (a window expiring), so the runner can set one timer per profile and
// segment instead of scanning everyone.
import type { Condition, SegmentRule } from '../ast.ts';
import { durationMs } from '../ast.ts';
import { conditionsOf } from '../walk.ts';
import { measureCondition } from './measure.ts';
import { trackerKeyOf, windowMsOf } from './plan.ts';
import type { ProfileSegmentState } from './state.ts';

export function evaluateRule(rule: SegmentRule, state: ProfileSegmentState, now: Date): boolean {
  return evaluateAt(rule, state, now.getTime());
}

function evaluateAt(rule: SegmentRule, state: ProfileSegmentState, nowMs: number): boolean {
  switch (rule.kind) {
    case 'and':
      return rule.rules.every((child) => evaluateAt(child, state, nowMs));
    case 'or':
      return rule.rules.some((child) => evaluateAt(child, state, nowMs));
    case 'not':
      return !evaluateAt(rule.rule, state, nowMs);
    default:
      return measureCondition(rule, state, nowMs).holds;
  }
}

/**
 * The earliest instant after `now` at which a condition of the rule can change on its own:
 * a kept timestamp leaving its window, or first/last seen crossing a relative bound. The
 * result holds unchanged on [now, that instant); null when nothing can change without a new
 * event or fact. At the instant, re-evaluate and ask again.
 */
export function nextRecheckAt(rule: SegmentRule, state: ProfileSegmentState, now: Date): Date | null {
  const nowMs = now.getTime();
  let next = Number.POSITIVE_INFINITY;
  for (const { condition } of conditionsOf(rule)) {
    for (const at of expiriesOf(condition, state)) if (at > nowMs && at < next) next = at;
  }
  return Number.isFinite(next) ? new Date(next) : null;
}

/** Instants at which the condition's value may flip as time passes. */
function expiriesOf(condition: Condition, state: ProfileSegmentState): number[] {
  if (condition.kind === 'first_seen' || condition.kind === 'last_seen') {
    const seenMs = condition.kind === 'first_seen' ? state.firstSeenMs : state.lastSeenMs;
    const test = condition.test;
    if (seenMs === null || !('amount' in test)) return [];
    return [seenMs + durationMs(test.amount, test.unit)];
  }
  if ((condition.kind !== 'performed' && condition.kind !== 'aggregate') || condition.window.kind !== 'last')
    return [];
  const windowMs = windowMsOf(condition.window);
  const tracker = state.trackers[trackerKeyOf(condition)];
  if (tracker?.kind === 'recent') return tracker.times.map((t) => t + windowMs);
  if (tracker?.kind === 'pairs') return tracker.pairs.map(([t]) => t + windowMs);
  return [];
}
