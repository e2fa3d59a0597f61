// Which state to keep for a set of rules: the traits they read and one tracker per distinct
// event condition. Identical conditions in different segments share a tracker (the key is
// the condition's canonical JSON without the threshold), so a profile's state grows with the
// number of distinct conditions, not of segments.
import {
  type AggregateCondition,
  durationMs,
  type PerformedCondition,
  type PropertyFilter,
  type SegmentRule,
  type TimeWindow,
} from '../ast.ts';
import { dateMs } from '../values.ts';
import { conditionsOf } from '../walk.ts';

/** Half-open [fromMs, toMs) of a between-dates window; undefined for ever. */
export type FixedRange = { fromMs: number; toMs: number } | undefined;

interface MatchSpec {
  key: string;
  event: string;
  where: PropertyFilter[];
}

export type TrackerSpec =
  | (MatchSpec & { kind: 'recent'; windowMs: number; keep: number })
  | (MatchSpec & { kind: 'count'; range: FixedRange })
  | (MatchSpec & { kind: 'pairs'; property: string; windowMs: number; keepOnly: 'all' | 'min' | 'max' })
  | (MatchSpec & { kind: 'totals'; property: string; range: FixedRange });

export interface TrackingPlan {
  traits: Set<string>;
  trackers: Map<string, TrackerSpec>;
}

export type EventCondition = PerformedCondition | AggregateCondition;

const keys = new WeakMap<EventCondition, string>();

/** JSON with object keys sorted, so equal conditions built in any key order share a key. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The tracker a condition reads. */
export function trackerKeyOf(condition: EventCondition): string {
  const known = keys.get(condition);
  if (known) return known;
  const { event, where, window } = condition;
  const shape =
    condition.kind === 'performed'
      ? { performed: event, where, window }
      : { aggregate: event, where, window, property: condition.property, keep: keepOnly(condition) };
  const key = canonicalJson(shape);
  keys.set(condition, key);
  return key;
}

function keepOnly(condition: AggregateCondition): 'all' | 'min' | 'max' {
  return condition.fn === 'min' || condition.fn === 'max' ? condition.fn : 'all';
}

export function windowMsOf(window: TimeWindow & { kind: 'last' }): number {
  return durationMs(window.amount, window.unit);
}

export function rangeOf(window: TimeWindow): FixedRange {
  return window.kind === 'between' ? { fromMs: dateMs(window.from), toMs: dateMs(window.to) } : undefined;
}

function specOf(condition: EventCondition): TrackerSpec {
  const match = { key: trackerKeyOf(condition), event: condition.event, where: condition.where };
  const { window } = condition;
  if (condition.kind === 'performed') {
    // count+1 latest timestamps tell "exactly count" from "more than count" at any later time.
    if (window.kind === 'last')
      return { ...match, kind: 'recent', windowMs: windowMsOf(window), keep: condition.count.value + 1 };
    return { ...match, kind: 'count', range: rangeOf(window) };
  }
  if (window.kind === 'last') {
    return {
      ...match,
      kind: 'pairs',
      property: condition.property,
      windowMs: windowMsOf(window),
      keepOnly: keepOnly(condition),
    };
  }
  return { ...match, kind: 'totals', property: condition.property, range: rangeOf(window) };
}

export function planTracking(rules: readonly SegmentRule[]): TrackingPlan {
  const plan: TrackingPlan = { traits: new Set(), trackers: new Map() };
  for (const rule of rules) {
    for (const { condition } of conditionsOf(rule)) {
      if (condition.kind === 'trait') plan.traits.add(condition.trait);
      if (condition.kind !== 'performed' && condition.kind !== 'aggregate') continue;
      const spec = specOf(condition);
      const existing = plan.trackers.get(spec.key);
      if (existing?.kind === 'recent' && spec.kind === 'recent')
        existing.keep = Math.max(existing.keep, spec.keep);
      else if (!existing) plan.trackers.set(spec.key, spec);
    }
  }
  return plan;
}
