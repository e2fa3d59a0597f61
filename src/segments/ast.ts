// The rule tree: the canonical form of a segment rule. The API and dashboard send it as JSON,
// the text form parses into it and prints back from it, and both evaluators (SQL and
// incremental) read only this. Every optional part of the text form has an explicit default
// here (count "at least 1", window "ever", no filters), so one rule has exactly one tree.

/** A date literal, kept as a canonical UTC ISO string (`2026-01-01T00:00:00.000Z`). */
export interface DateLiteral {
  date: string;
}

/** What a rule compares against: a JSON scalar, or a date. */
export type Literal = string | number | boolean | DateLiteral;

export type LiteralType = 'string' | 'number' | 'boolean' | 'date';

/** Operators that compare one value with one literal. Ordering (gt…lte) is for numbers and dates. */
export type CompareOp = 'eq' | 'neq' | 'gt' | 'gte' | 'lt' | 'lte';

/**
 * A test on one JSON value (a trait, an event property, a computed property). Every test but
 * `exists` is false when the value is missing, null, or of another type than the literal:
 * `trait plan != "pro"` holds for people whose plan is some other string; wrap in `not` for
 * "everyone whose plan is not pro, including those without a plan".
 */
export type Comparison =
  | { op: CompareOp; value: Literal }
  | { op: 'between'; low: Literal; high: Literal }
  | { op: 'contains' | 'starts_with'; value: string }
  | { op: 'in'; values: Literal[] }
  | { op: 'exists' };

export type ComparisonOp = Comparison['op'];

export type TimeUnit = 'minutes' | 'hours' | 'days' | 'weeks';

/** Which events count, as of the evaluation time `now`. */
export type TimeWindow =
  /** now - amount·unit < timestamp <= now */
  | { kind: 'last'; amount: number; unit: TimeUnit }
  /** from <= timestamp < to (and timestamp <= now) */
  | { kind: 'between'; from: DateLiteral; to: DateLiteral }
  /** timestamp <= now */
  | { kind: 'ever' };

/** A filter on one event property; a `where` list holds when all of its filters hold. */
export interface PropertyFilter {
  property: string;
  test: Comparison;
}

export type CountOp = CompareOp;

export interface CountTest {
  op: CountOp;
  value: number;
}

export interface TraitCondition {
  kind: 'trait';
  trait: string;
  test: Comparison;
}

export interface PerformedCondition {
  kind: 'performed';
  /** The event name: `event` of a track, `name` of a page or screen. */
  event: string;
  where: PropertyFilter[];
  count: CountTest;
  window: TimeWindow;
}

export type AggregateFn = 'sum' | 'avg' | 'min' | 'max';

export interface AggregateCondition {
  kind: 'aggregate';
  fn: AggregateFn;
  /** The numeric event property aggregated; events where it is not a number are skipped. */
  property: string;
  event: string;
  where: PropertyFilter[];
  window: TimeWindow;
  op: CompareOp;
  value: number;
}

/** A time test on first or last seen: before/after a date, or relative to now. */
export type SeenTest =
  | { op: 'before' | 'after'; date: DateLiteral }
  /** within the last amount·unit: now - d < seen <= now */
  | { op: 'within'; amount: number; unit: TimeUnit }
  /** more than amount·unit ago: seen <= now - d */
  | { op: 'more_than_ago'; amount: number; unit: TimeUnit };

export interface SeenCondition {
  kind: 'first_seen' | 'last_seen';
  test: SeenTest;
}

export type ConsentState = 'granted' | 'denied' | 'unknown';

export interface ConsentCondition {
  kind: 'consent';
  /** The consent purpose or channel, e.g. `email`. */
  purpose: string;
  state: ConsentState;
}

export interface SegmentCondition {
  kind: 'in_segment';
  segment: string;
}

export interface StageCondition {
  kind: 'stage';
  /** Holds when the profile's lifecycle stage is one of these. */
  stages: string[];
}

export interface ComputedCondition {
  kind: 'computed';
  /** A computed property ("counter") by name, as kept in the state store. */
  name: string;
  test: Comparison;
}

export type Condition =
  | TraitCondition
  | PerformedCondition
  | AggregateCondition
  | SeenCondition
  | ConsentCondition
  | SegmentCondition
  | StageCondition
  | ComputedCondition;

export type ConditionKind = Condition['kind'];

export interface AndRule {
  kind: 'and';
  rules: SegmentRule[];
}

export interface OrRule {
  kind: 'or';
  rules: SegmentRule[];
}

export interface NotRule {
  kind: 'not';
  rule: SegmentRule;
}

export type SegmentRule = AndRule | OrRule | NotRule | Condition;

export const TIME_UNIT_MS: Record<TimeUnit, number> = {
  minutes: 60_000,
  hours: 3_600_000,
  days: 86_400_000,
  weeks: 7 * 86_400_000,
};

export function durationMs(amount: number, unit: TimeUnit): number {
  return amount * TIME_UNIT_MS[unit];
}

export function isDateLiteral(value: unknown): value is DateLiteral {
  return typeof value === 'object' && value !== null && typeof (value as DateLiteral).date === 'string';
}

export function literalType(value: Literal): LiteralType {
  if (isDateLiteral(value)) return 'date';
  return typeof value as 'string' | 'number' | 'boolean';
}
