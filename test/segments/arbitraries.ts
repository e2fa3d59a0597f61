// fast-check generators for rules, shared by the round-trip test (a wide vocabulary, odd
// names included) and the agreement test (a small vocabulary so that random rules and random
// events actually meet).
import fc from 'fast-check';
import type {
  AggregateCondition,
  CompareOp,
  Comparison,
  Condition,
  DateLiteral,
  Literal,
  PerformedCondition,
  PropertyFilter,
  SeenTest,
  SegmentRule,
  TimeUnit,
  TimeWindow,
} from '../../src/segments/index.ts';

export interface RuleVocabulary {
  traits: fc.Arbitrary<string>;
  events: fc.Arbitrary<string>;
  properties: fc.Arbitrary<string>;
  numbers: fc.Arbitrary<number>;
  strings: fc.Arbitrary<string>;
  /** Instants (ms) for date literals and window bounds. */
  instants: fc.Arbitrary<number>;
  /** Window lengths as [amount, unit]. */
  lengths: fc.Arbitrary<[number, TimeUnit]>;
  counts: fc.Arbitrary<number>;
  segments: fc.Arbitrary<string>;
  purposes: fc.Arbitrary<string>;
  stages: fc.Arbitrary<string>;
  computed: fc.Arbitrary<string>;
  /** At most this many `where` filters per event condition. */
  maxFilters: number;
}

const COMPARE_OPS: CompareOp[] = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte'];
const ORDER_OPS: CompareOp[] = ['gt', 'gte', 'lt', 'lte'];

export function dateOf(ms: number): DateLiteral {
  return { date: new Date(ms).toISOString() };
}

function literalOf(v: RuleVocabulary): fc.Arbitrary<Literal> {
  return fc.oneof(v.strings, v.numbers, fc.boolean(), v.instants.map(dateOf));
}

function orderedOf(v: RuleVocabulary): fc.Arbitrary<Literal> {
  return fc.oneof(v.numbers, v.instants.map(dateOf));
}

/** Comparisons that pass validation: ordering only on numbers and dates, bounds in order, one-typed lists. */
export function comparisonOf(v: RuleVocabulary): fc.Arbitrary<Comparison> {
  const between = fc.oneof(
    fc
      .tuple(v.numbers, v.numbers)
      .map(([a, b]) => ({ op: 'between' as const, low: Math.min(a, b), high: Math.max(a, b) })),
    fc.tuple(v.instants, v.instants).map(([a, b]) => ({
      op: 'between' as const,
      low: dateOf(Math.min(a, b)),
      high: dateOf(Math.max(a, b)),
    })),
  );
  const list = fc.oneof(
    fc.array(v.strings, { minLength: 1, maxLength: 3 }),
    fc.array(v.numbers, { minLength: 1, maxLength: 3 }),
    fc.array(fc.boolean(), { minLength: 1, maxLength: 2 }),
  );
  return fc.oneof(
    fc.record({ op: fc.constantFrom<CompareOp>('eq', 'neq'), value: literalOf(v) }),
    fc.record({ op: fc.constantFrom(...ORDER_OPS), value: orderedOf(v) }),
    between,
    fc.record({ op: fc.constantFrom('contains' as const, 'starts_with' as const), value: v.strings }),
    list.map((values) => ({ op: 'in' as const, values: values as Literal[] })),
    fc.constant({ op: 'exists' as const }),
  );
}

function windowOf(v: RuleVocabulary): fc.Arbitrary<TimeWindow> {
  return fc.oneof(
    v.lengths.map(([amount, unit]) => ({ kind: 'last' as const, amount, unit })),
    fc
      .tuple(v.instants, v.instants)
      .filter(([a, b]) => a !== b)
      .map(([a, b]) => ({
        kind: 'between' as const,
        from: dateOf(Math.min(a, b)),
        to: dateOf(Math.max(a, b)),
      })),
    fc.constant({ kind: 'ever' as const }),
  );
}

function filtersOf(v: RuleVocabulary): fc.Arbitrary<PropertyFilter[]> {
  return fc.array(fc.record({ property: v.properties, test: comparisonOf(v) }), { maxLength: v.maxFilters });
}

function performedOf(v: RuleVocabulary): fc.Arbitrary<PerformedCondition> {
  return fc.record({
    kind: fc.constant('performed' as const),
    event: v.events,
    where: filtersOf(v),
    count: fc.record({ op: fc.constantFrom(...COMPARE_OPS), value: v.counts }),
    window: windowOf(v),
  });
}

function aggregateOf(v: RuleVocabulary): fc.Arbitrary<AggregateCondition> {
  return fc.record({
    kind: fc.constant('aggregate' as const),
    fn: fc.constantFrom('sum' as const, 'avg' as const, 'min' as const, 'max' as const),
    property: v.properties,
    event: v.events,
    where: filtersOf(v),
    window: windowOf(v),
    op: fc.constantFrom(...COMPARE_OPS),
    value: v.numbers,
  });
}

function seenOf(v: RuleVocabulary): fc.Arbitrary<SeenTest> {
  return fc.oneof(
    fc.record({ op: fc.constantFrom('before' as const, 'after' as const), date: v.instants.map(dateOf) }),
    fc
      .tuple(fc.constantFrom('within' as const, 'more_than_ago' as const), v.lengths)
      .map(([op, [amount, unit]]) => ({
        op,
        amount,
        unit,
      })),
  );
}

export function conditionOf(v: RuleVocabulary): fc.Arbitrary<Condition> {
  return fc.oneof(
    fc.record({ kind: fc.constant('trait' as const), trait: v.traits, test: comparisonOf(v) }),
    performedOf(v),
    aggregateOf(v),
    fc.record({ kind: fc.constantFrom('first_seen' as const, 'last_seen' as const), test: seenOf(v) }),
    fc.record({
      kind: fc.constant('consent' as const),
      purpose: v.purposes,
      state: fc.constantFrom('granted' as const, 'denied' as const, 'unknown' as const),
    }),
    fc.record({ kind: fc.constant('in_segment' as const), segment: v.segments }),
    fc.record({
      kind: fc.constant('stage' as const),
      stages: fc.uniqueArray(v.stages, { minLength: 1, maxLength: 3 }),
    }),
    fc.record({ kind: fc.constant('computed' as const), name: v.computed, test: comparisonOf(v) }),
  );
}

export function ruleOf(v: RuleVocabulary, maxDepth = 3): fc.Arbitrary<SegmentRule> {
  const { rule } = fc.letrec<{ rule: SegmentRule }>((tie) => ({
    rule: fc.oneof(
      { depthSize: 'small', maxDepth, withCrossShrink: true },
      conditionOf(v),
      fc.record({
        kind: fc.constantFrom('and' as const, 'or' as const),
        rules: fc.array(tie('rule'), { minLength: 2, maxLength: 3 }),
      }),
      fc.record({ kind: fc.constant('not' as const), rule: tie('rule') }),
    ),
  }));
  return rule;
}

const ODD_NAMES = fc.oneof(
  fc.constantFrom(
    'plan',
    'and',
    'not',
    'in',
    'between',
    'order.total',
    'first name',
    'é',
    '$x',
    '1st',
    'a/b~c',
    'true',
  ),
  fc.string({ minLength: 1, maxLength: 8 }),
);

/** Anything the text form must carry: odd names, unicode, negative and fractional numbers. */
export const WIDE_VOCABULARY: RuleVocabulary = {
  traits: ODD_NAMES,
  events: ODD_NAMES,
  properties: ODD_NAMES,
  numbers: fc.oneof(
    fc.integer({ min: -1000, max: 1000 }),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
  ),
  strings: fc.string({ maxLength: 8 }),
  instants: fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2090, 0, 1) }),
  lengths: fc.tuple(
    fc.integer({ min: 1, max: 500 }),
    fc.constantFrom<TimeUnit>('minutes', 'hours', 'days', 'weeks'),
  ),
  counts: fc.integer({ min: 0, max: 1000 }),
  segments: ODD_NAMES,
  purposes: ODD_NAMES,
  stages: ODD_NAMES,
  computed: ODD_NAMES,
  maxFilters: 2,
};
