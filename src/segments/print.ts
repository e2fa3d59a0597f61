// The rule tree → the text form. Printing then parsing gives back the same tree: defaults
// (at least 1 time, ever, no filters) are left out because the parser puts them back, and
// nested groups are parenthesised so `(a and b) and c` stays a group inside a group.
// A group of one rule prints as that rule, so it comes back without its wrapper.
import type {
  AggregateCondition,
  CompareOp,
  Comparison,
  CountTest,
  Literal,
  PerformedCondition,
  PropertyFilter,
  SeenTest,
  SegmentRule,
  TimeUnit,
  TimeWindow,
} from './ast.ts';
import { isDateLiteral } from './ast.ts';
import { PLAIN_WORD } from './lexer.ts';

const OPERATOR_TEXT: Record<CompareOp, string> = {
  eq: '=',
  neq: '!=',
  gt: '>',
  gte: '>=',
  lt: '<',
  lte: '<=',
};
const COUNT_TEXT: Record<CompareOp, string> = {
  eq: 'exactly',
  neq: 'not exactly',
  gt: 'more than',
  gte: 'at least',
  lt: 'fewer than',
  lte: 'at most',
};
const AGGREGATE_TEXT = { sum: 'sum', avg: 'average', min: 'min', max: 'max' } as const;

export function printRule(rule: SegmentRule): string {
  switch (rule.kind) {
    case 'and':
    case 'or':
      if (rule.rules.length === 1) return printRule(rule.rules[0] as SegmentRule);
      return rule.rules.map(printOperand).join(` ${rule.kind} `);
    case 'not':
      return `not ${printOperand(rule.rule)}`;
    case 'trait':
      return `trait ${printKey(rule.trait)} ${printComparison(rule.test)}`;
    case 'computed':
      return `computed ${printKey(rule.name)} ${printComparison(rule.test)}`;
    case 'performed':
      return printPerformed(rule);
    case 'aggregate':
      return printAggregate(rule);
    case 'first_seen':
      return `first seen ${printSeen(rule.test)}`;
    case 'last_seen':
      return `last seen ${printSeen(rule.test)}`;
    case 'consent':
      return `consent ${printKey(rule.purpose)} = ${rule.state}`;
    case 'in_segment':
      return `in segment ${JSON.stringify(rule.segment)}`;
    case 'stage':
      if (rule.stages.length === 1) return `stage = ${printKey(rule.stages[0] as string)}`;
      return `stage in (${rule.stages.map(printKey).join(', ')})`;
  }
}

/** Groups inside a group or under `not` keep their parentheses. */
function printOperand(rule: SegmentRule): string {
  const isGroup = (rule.kind === 'and' || rule.kind === 'or') && rule.rules.length > 1;
  return isGroup ? `(${printRule(rule)})` : printRule(rule);
}

/** A plain word prints bare; anything else (spaces, a leading digit, …) in quotes. */
export function printKey(key: string): string {
  return PLAIN_WORD.test(key) ? key : JSON.stringify(key);
}

export function printLiteral(value: Literal): string {
  if (isDateLiteral(value)) return printDate(value.date);
  if (typeof value === 'number') return printNumber(value);
  return JSON.stringify(value);
}

function printNumber(value: number): string {
  // The lexer reads 1e21 and -0 as written; String() would print -0 as 0.
  return Object.is(value, -0) ? '-0' : String(value);
}

/** Midnight prints as the day alone; other times in full. */
function printDate(iso: string): string {
  return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso;
}

export function printComparison(test: Comparison): string {
  switch (test.op) {
    case 'exists':
      return 'exists';
    case 'between':
      return `between ${printLiteral(test.low)} and ${printLiteral(test.high)}`;
    case 'contains':
      return `contains ${JSON.stringify(test.value)}`;
    case 'starts_with':
      return `starts with ${JSON.stringify(test.value)}`;
    case 'in':
      return `in (${test.values.map(printLiteral).join(', ')})`;
    default:
      return `${OPERATOR_TEXT[test.op]} ${printLiteral(test.value)}`;
  }
}

function printWhere(filters: PropertyFilter[]): string {
  if (filters.length === 0) return '';
  return ` where ${filters.map((f) => `${printKey(f.property)} ${printComparison(f.test)}`).join(', ')}`;
}

function printCount(count: CountTest): string {
  if (count.op === 'gte' && count.value === 1) return '';
  return ` ${COUNT_TEXT[count.op]} ${printNumber(count.value)} ${count.value === 1 ? 'time' : 'times'}`;
}

function printUnit(amount: number, unit: TimeUnit): string {
  return amount === 1 ? unit.slice(0, -1) : unit;
}

export function printWindow(window: TimeWindow): string {
  if (window.kind === 'ever') return '';
  if (window.kind === 'between')
    return ` between ${printDate(window.from.date)} and ${printDate(window.to.date)}`;
  return ` in last ${printNumber(window.amount)} ${printUnit(window.amount, window.unit)}`;
}

function printPerformed(rule: PerformedCondition): string {
  return `performed ${JSON.stringify(rule.event)}${printWhere(rule.where)}${printCount(rule.count)}${printWindow(rule.window)}`;
}

function printAggregate(rule: AggregateCondition): string {
  const head = `${AGGREGATE_TEXT[rule.fn]} of ${printKey(rule.property)} in ${JSON.stringify(rule.event)}`;
  return `${head}${printWhere(rule.where)}${printWindow(rule.window)} ${OPERATOR_TEXT[rule.op]} ${printNumber(rule.value)}`;
}

function printSeen(test: SeenTest): string {
  switch (test.op) {
    case 'before':
    case 'after':
      return `${test.op} ${printDate(test.date.date)}`;
    case 'within':
      return `in last ${printNumber(test.amount)} ${printUnit(test.amount, test.unit)}`;
    case 'more_than_ago':
      return `more than ${printNumber(test.amount)} ${printUnit(test.amount, test.unit)} ago`;
  }
}
