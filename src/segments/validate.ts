// What a decoded tree must mean before it is saved: comparisons of matching types, windows of
// a positive whole length, counts the incremental state can bound, known fields when a
// catalogue is given, and `in segment` references that exist and never lead back to the
// segment itself. Returns every issue at once.
import {
  type Comparison,
  type Condition,
  durationMs,
  isDateLiteral,
  type Literal,
  type LiteralType,
  literalType,
  type SegmentRule,
  type TimeUnit,
  type TimeWindow,
} from './ast.ts';
import { pointer, type RuleIssue } from './issues.ts';
import { conditionsOf } from './walk.ts';

/** Known fields and their types. Any part left out is not checked. */
export interface FieldCatalogue {
  traits?: Record<string, LiteralType>;
  events?: Record<string, { properties?: Record<string, LiteralType> }>;
  computed?: Record<string, LiteralType>;
  stages?: readonly string[];
  consentPurposes?: readonly string[];
}

export interface ValidationContext {
  /** The id the rule is saved under, so a reference back to it is refused as a cycle. */
  segmentId?: string;
  /** Other segments' rules by id (undefined: no such segment). Without it references are not checked. */
  lookupSegment?: (id: string) => SegmentRule | undefined;
  fields?: FieldCatalogue;
}

/** The longest window a rule may use: the incremental state keeps what is inside it. */
export const MAX_WINDOW_MS = durationMs(3660, 'days');
/** The largest count a rule may test: the incremental state keeps count+1 timestamps. */
export const MAX_COUNT = 1000;
export const MAX_LIST = 1000;

const OP_WORDS: Record<string, string> = {
  gt: 'greater than',
  gte: 'at least',
  lt: 'less than',
  lte: 'at most',
  between: 'between',
};

export function validateRule(rule: SegmentRule, context: ValidationContext = {}): RuleIssue[] {
  const issues: RuleIssue[] = [];
  checkGroups(rule, '', issues);
  for (const { condition, path } of conditionsOf(rule)) checkCondition(condition, path, context, issues);
  if (context.lookupSegment) checkReferences(rule, context, issues);
  return issues;
}

function checkGroups(rule: SegmentRule, path: string, issues: RuleIssue[]): void {
  if (rule.kind === 'not') checkGroups(rule.rule, pointer(path, 'rule'), issues);
  if (rule.kind !== 'and' && rule.kind !== 'or') return;
  if (rule.rules.length === 0) issues.push({ path, message: `an "${rule.kind}" needs at least one rule` });
  for (const [i, child] of rule.rules.entries()) checkGroups(child, pointer(path, 'rules', i), issues);
}

function checkCondition(condition: Condition, path: string, context: ValidationContext, issues: RuleIssue[]) {
  const fields = context.fields;
  const add = (at: string, message: string) => issues.push({ path: at, message });
  switch (condition.kind) {
    case 'trait':
      checkKnown(fields?.traits, condition.trait, pointer(path, 'trait'), 'trait', add);
      checkComparison(
        condition.test,
        fields?.traits?.[condition.trait],
        `trait ${condition.trait}`,
        pointer(path, 'test'),
        add,
      );
      return;
    case 'computed':
      checkKnown(fields?.computed, condition.name, pointer(path, 'name'), 'computed property', add);
      checkComparison(
        condition.test,
        fields?.computed?.[condition.name],
        `computed ${condition.name}`,
        pointer(path, 'test'),
        add,
      );
      return;
    case 'performed':
    case 'aggregate': {
      const event = fields?.events?.[condition.event];
      if (fields?.events && !event)
        add(pointer(path, 'event'), `there is no event named ${JSON.stringify(condition.event)}`);
      const properties = event?.properties;
      condition.where.forEach((filter, i) => {
        const at = pointer(path, 'where', i);
        checkKnown(
          properties,
          filter.property,
          pointer(at, 'property'),
          `property of ${condition.event}`,
          add,
        );
        checkComparison(
          filter.test,
          properties?.[filter.property],
          `property ${filter.property}`,
          pointer(at, 'test'),
          add,
        );
      });
      checkWindow(condition.window, pointer(path, 'window'), add);
      if (condition.kind === 'performed')
        return checkCount(condition.count.value, pointer(path, 'count', 'value'), add);
      checkKnown(
        properties,
        condition.property,
        pointer(path, 'property'),
        `property of ${condition.event}`,
        add,
      );
      const declared = properties?.[condition.property];
      if (declared && declared !== 'number') {
        add(
          pointer(path, 'property'),
          `${condition.fn} needs a number; property ${condition.property} is a ${declared}`,
        );
      }
      return;
    }
    case 'first_seen':
    case 'last_seen':
      if (condition.test.op === 'within' || condition.test.op === 'more_than_ago') {
        checkLength(condition.test.amount, condition.test.unit, pointer(path, 'test', 'amount'), add);
      }
      return;
    case 'consent':
      if (fields?.consentPurposes && !fields.consentPurposes.includes(condition.purpose)) {
        add(pointer(path, 'purpose'), `there is no consent purpose ${JSON.stringify(condition.purpose)}`);
      }
      return;
    case 'stage':
      condition.stages.forEach((stage, i) => {
        if (fields?.stages && !fields.stages.includes(stage)) {
          add(
            pointer(path, 'stages', i),
            `there is no lifecycle stage ${JSON.stringify(stage)} (known: ${fields.stages.join(', ')})`,
          );
        }
      });
      if (condition.stages.length === 0) add(pointer(path, 'stages'), 'name at least one stage');
      return;
    case 'in_segment':
      return;
  }
}

type AddIssue = (path: string, message: string) => void;

function checkKnown(
  known: Record<string, unknown> | undefined,
  name: string,
  path: string,
  what: string,
  add: AddIssue,
) {
  if (known && !Object.hasOwn(known, name)) add(path, `unknown ${what} ${JSON.stringify(name)}`);
}

function show(value: Literal): string {
  return isDateLiteral(value)
    ? `the date ${value.date}`
    : `the ${literalType(value)} ${JSON.stringify(value)}`;
}

function checkComparison(
  test: Comparison,
  declared: LiteralType | undefined,
  subject: string,
  path: string,
  add: AddIssue,
) {
  const against = (value: Literal, at: string) => {
    const type = literalType(value);
    if (declared && type !== declared)
      add(at, `${subject} is a ${declared}; it cannot be compared with ${show(value)}`);
  };
  const ordered = (value: Literal, at: string) => {
    const type = literalType(value);
    if (type !== 'number' && type !== 'date') {
      add(at, `"${OP_WORDS[test.op]}" compares numbers or dates; ${show(value)} is neither`);
      return;
    }
    against(value, at);
  };
  switch (test.op) {
    case 'exists':
      return;
    case 'contains':
    case 'starts_with':
      if (declared && declared !== 'string')
        add(path, `${subject} is a ${declared}; "${test.op.replace('_', ' ')}" needs a string`);
      return;
    case 'eq':
    case 'neq':
      return against(test.value, pointer(path, 'value'));
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      return ordered(test.value, pointer(path, 'value'));
    case 'between':
      ordered(test.low, pointer(path, 'low'));
      ordered(test.high, pointer(path, 'high'));
      if (literalType(test.low) !== literalType(test.high)) {
        add(
          pointer(path, 'high'),
          `between needs two bounds of one type; got ${show(test.low)} and ${show(test.high)}`,
        );
      } else if (sortKey(test.low) > sortKey(test.high)) {
        add(
          pointer(path, 'low'),
          `between runs from low to high; ${show(test.low)} is above ${show(test.high)}`,
        );
      }
      return;
    case 'in': {
      if (test.values.length === 0) add(pointer(path, 'values'), 'the list is empty');
      if (test.values.length > MAX_LIST)
        add(pointer(path, 'values'), `a list holds at most ${MAX_LIST} values`);
      const first = test.values[0];
      test.values.forEach((value, i) => {
        const at = pointer(path, 'values', i);
        if (first !== undefined && literalType(value) !== literalType(first)) {
          add(at, `a list holds values of one type; ${show(value)} differs from ${show(first)}`);
        }
        against(value, at);
      });
      return;
    }
  }
}

function sortKey(value: Literal): string | number | boolean {
  return isDateLiteral(value) ? value.date : value;
}

function checkLength(amount: number, unit: TimeUnit, path: string, add: AddIssue) {
  if (!Number.isInteger(amount) || amount <= 0) {
    add(path, `a window is a positive whole number of ${unit}; got ${amount}`);
  } else if (durationMs(amount, unit) > MAX_WINDOW_MS) {
    add(
      path,
      `a window is at most 3660 days long; ${amount} ${unit} is longer (use "between" dates or "ever")`,
    );
  }
}

function checkWindow(window: TimeWindow, path: string, add: AddIssue) {
  if (window.kind === 'last') checkLength(window.amount, window.unit, pointer(path, 'amount'), add);
  if (window.kind === 'between' && window.from.date >= window.to.date) {
    add(
      pointer(path, 'to'),
      `the window ends (${window.to.date}) before or when it starts (${window.from.date})`,
    );
  }
}

function checkCount(count: number, path: string, add: AddIssue) {
  if (!Number.isInteger(count) || count < 0)
    add(path, `a count is a whole number of times, 0 or more; got ${count}`);
  else if (count > MAX_COUNT) add(path, `a count is at most ${MAX_COUNT}; got ${count}`);
}

/** Unknown segments and cycles, following `in segment` through the other segments' rules. */
function checkReferences(rule: SegmentRule, context: ValidationContext, issues: RuleIssue[]) {
  const lookup = context.lookupSegment as (id: string) => SegmentRule | undefined;
  for (const { condition, path } of conditionsOf(rule)) {
    if (condition.kind !== 'in_segment') continue;
    const at = pointer(path, 'segment');
    const cycle = findCycle(condition.segment, context.segmentId, lookup, []);
    if (cycle === 'missing')
      issues.push({ path: at, message: `there is no segment ${JSON.stringify(condition.segment)}` });
    else if (cycle)
      issues.push({ path: at, message: `this segment would include itself: ${cycle.join(' → ')}` });
  }
}

/** The chain from `id` back to `self` (or round any loop), 'missing' for an unknown id, else undefined. */
function findCycle(
  id: string,
  self: string | undefined,
  lookup: (id: string) => SegmentRule | undefined,
  trail: string[],
): string[] | 'missing' | undefined {
  const chain = [...trail, id];
  if (id === self) return [self, ...chain];
  if (trail.includes(id)) return chain;
  const rule = lookup(id);
  if (!rule) return trail.length === 0 ? 'missing' : undefined;
  for (const { condition } of conditionsOf(rule)) {
    if (condition.kind !== 'in_segment') continue;
    const found = findCycle(condition.segment, self, lookup, chain);
    if (Array.isArray(found)) return found;
  }
  return undefined;
}
