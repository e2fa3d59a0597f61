// The JSON form of a rule (what the API and dashboard send) decoded into the tree: shapes,
// field names and types, with unknown fields refused and the optional parts filled with
// their defaults. Meaning (ordering a string, a window of -3 days, cycles) is validate.ts's.
import type {
  AggregateCondition,
  Comparison,
  CountTest,
  DateLiteral,
  Literal,
  PerformedCondition,
  PropertyFilter,
  SeenTest,
  SegmentRule,
  TimeUnit,
  TimeWindow,
} from './ast.ts';
import { pointer, type RuleIssue, type RuleResult } from './issues.ts';
import { parseDateLiteral } from './values.ts';

type Json = Record<string, unknown>;

const COMPARE_OPS = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte'] as const;
const TIME_UNITS = ['minutes', 'hours', 'days', 'weeks'] as const;
export const DEFAULT_COUNT: CountTest = { op: 'gte', value: 1 };
export const EVER: TimeWindow = { kind: 'ever' };

/** Collects issues while decoding; each reader returns undefined after recording one. */
class Decoder {
  readonly issues: RuleIssue[] = [];

  fail(path: string, message: string): undefined {
    this.issues.push({ path, message });
    return undefined;
  }

  object(value: unknown, path: string, what: string): Json | undefined {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Json;
    return this.fail(path, `${what} must be an object, got ${describe(value)}`);
  }

  /** Refuses fields the shape does not have, naming the ones it does. */
  fields(node: Json, path: string, allowed: readonly string[], required: readonly string[]): boolean {
    let ok = true;
    for (const key of Object.keys(node)) {
      if (allowed.includes(key)) continue;
      this.fail(pointer(path, key), `unknown field "${key}" (expected ${allowed.join(', ')})`);
      ok = false;
    }
    for (const key of required) {
      if (node[key] !== undefined) continue;
      this.fail(pointer(path, key), `missing field "${key}"`);
      ok = false;
    }
    return ok;
  }

  string(value: unknown, path: string, what: string): string | undefined {
    if (typeof value === 'string' && value.length > 0) return value;
    if (value === '') return this.fail(path, `${what} must not be empty`);
    return this.fail(path, `${what} must be a string, got ${describe(value)}`);
  }

  number(value: unknown, path: string, what: string): number | undefined {
    if (typeof value === 'number' && Number.isFinite(value)) return value;
    return this.fail(path, `${what} must be a number, got ${describe(value)}`);
  }

  oneOf<T extends string>(value: unknown, path: string, what: string, options: readonly T[]): T | undefined {
    if (typeof value === 'string' && (options as readonly string[]).includes(value)) return value as T;
    return this.fail(path, `${what} must be one of ${options.join(', ')}; got ${describe(value)}`);
  }

  date(value: unknown, path: string, what: string): DateLiteral | undefined {
    const text = typeof value === 'object' && value !== null ? (value as Json).date : value;
    const parsed = typeof text === 'string' ? parseDateLiteral(text) : undefined;
    if (parsed) return parsed;
    return this.fail(
      path,
      `${what} must be a date like 2026-01-01 or 2026-01-01T10:00:00Z, got ${describe(text)}`,
    );
  }

  literal(value: unknown, path: string): Literal | undefined {
    if (typeof value === 'string' || typeof value === 'boolean') return value;
    if (typeof value === 'number' && Number.isFinite(value)) return value;
    if (typeof value === 'object' && value !== null && !Array.isArray(value) && 'date' in value) {
      if (!this.fields(value as Json, path, ['date'], ['date'])) return undefined;
      return this.date(value, pointer(path, 'date'), 'a date');
    }
    return this.fail(
      path,
      `a value must be a string, number, boolean or {"date": …}, got ${describe(value)}`,
    );
  }
}

export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  if (typeof value === 'object') return 'an object';
  return `the ${typeof value} ${String(value)}`;
}

/** Decodes a rule sent as JSON; issues carry JSON pointers into the input. */
export function decodeRuleJson(input: unknown): RuleResult<SegmentRule> {
  const decoder = new Decoder();
  const rule = decodeRule(decoder, input, '');
  if (rule && decoder.issues.length === 0) return { ok: true, value: rule };
  return { ok: false, issues: decoder.issues };
}

function decodeRule(d: Decoder, input: unknown, path: string): SegmentRule | undefined {
  const node = d.object(input, path, 'a rule');
  if (!node) return undefined;
  const kind = node.kind;
  switch (kind) {
    case 'and':
    case 'or':
      return decodeGroup(d, node, path, kind);
    case 'not': {
      if (!d.fields(node, path, ['kind', 'rule'], ['rule'])) return undefined;
      const rule = decodeRule(d, node.rule, pointer(path, 'rule'));
      return rule && { kind, rule };
    }
    case 'trait': {
      if (!d.fields(node, path, ['kind', 'trait', 'test'], ['trait', 'test'])) return undefined;
      const trait = d.string(node.trait, pointer(path, 'trait'), 'the trait name');
      const test = decodeComparison(d, node.test, pointer(path, 'test'));
      return trait !== undefined && test ? { kind, trait, test } : undefined;
    }
    case 'computed': {
      if (!d.fields(node, path, ['kind', 'name', 'test'], ['name', 'test'])) return undefined;
      const name = d.string(node.name, pointer(path, 'name'), 'the computed property name');
      const test = decodeComparison(d, node.test, pointer(path, 'test'));
      return name !== undefined && test ? { kind, name, test } : undefined;
    }
    case 'performed':
      return decodePerformed(d, node, path);
    case 'aggregate':
      return decodeAggregate(d, node, path);
    case 'first_seen':
    case 'last_seen': {
      if (!d.fields(node, path, ['kind', 'test'], ['test'])) return undefined;
      const test = decodeSeenTest(d, node.test, pointer(path, 'test'));
      return test && { kind, test };
    }
    case 'consent': {
      if (!d.fields(node, path, ['kind', 'purpose', 'state'], ['purpose', 'state'])) return undefined;
      const purpose = d.string(node.purpose, pointer(path, 'purpose'), 'the consent purpose');
      const state = d.oneOf(node.state, pointer(path, 'state'), 'the consent state', [
        'granted',
        'denied',
        'unknown',
      ] as const);
      return purpose !== undefined && state ? { kind, purpose, state } : undefined;
    }
    case 'in_segment': {
      if (!d.fields(node, path, ['kind', 'segment'], ['segment'])) return undefined;
      const segment = d.string(node.segment, pointer(path, 'segment'), 'the segment id');
      return segment === undefined ? undefined : { kind, segment };
    }
    case 'stage': {
      if (!d.fields(node, path, ['kind', 'stages'], ['stages'])) return undefined;
      const stages = decodeList(d, node.stages, pointer(path, 'stages'), (v, p) =>
        d.string(v, p, 'a stage name'),
      );
      return stages && { kind, stages };
    }
    default:
      return d.fail(
        pointer(path, 'kind'),
        `unknown rule kind ${describe(kind)} (expected and, or, not, trait, performed, aggregate, first_seen, last_seen, consent, in_segment, stage, computed)`,
      );
  }
}

function decodeGroup(d: Decoder, node: Json, path: string, kind: 'and' | 'or'): SegmentRule | undefined {
  if (!d.fields(node, path, ['kind', 'rules'], ['rules'])) return undefined;
  const rules = decodeList(d, node.rules, pointer(path, 'rules'), (v, p) => decodeRule(d, v, p));
  return rules && { kind, rules };
}

function decodeList<T>(
  d: Decoder,
  value: unknown,
  path: string,
  item: (value: unknown, path: string) => T | undefined,
): T[] | undefined {
  if (!Array.isArray(value)) return d.fail(path, `must be a list, got ${describe(value)}`);
  const items = value.map((v, i) => item(v, pointer(path, i)));
  return items.every((v) => v !== undefined) ? (items as T[]) : undefined;
}

function decodeComparison(d: Decoder, input: unknown, path: string): Comparison | undefined {
  const node = d.object(input, path, 'a test');
  if (!node) return undefined;
  const op = d.oneOf(node.op, pointer(path, 'op'), 'the operator', [
    ...COMPARE_OPS,
    'between',
    'contains',
    'starts_with',
    'in',
    'exists',
  ] as const);
  if (!op) return undefined;
  if (op === 'exists') return d.fields(node, path, ['op'], []) ? { op } : undefined;
  if (op === 'between') {
    if (!d.fields(node, path, ['op', 'low', 'high'], ['low', 'high'])) return undefined;
    const low = d.literal(node.low, pointer(path, 'low'));
    const high = d.literal(node.high, pointer(path, 'high'));
    return low !== undefined && high !== undefined ? { op, low, high } : undefined;
  }
  if (op === 'in') {
    if (!d.fields(node, path, ['op', 'values'], ['values'])) return undefined;
    const values = decodeList(d, node.values, pointer(path, 'values'), (v, p) => d.literal(v, p));
    return values && { op, values };
  }
  if (!d.fields(node, path, ['op', 'value'], ['value'])) return undefined;
  if (op === 'contains' || op === 'starts_with') {
    if (typeof node.value === 'string') return { op, value: node.value };
    return d.fail(
      pointer(path, 'value'),
      `${op.replace('_', ' ')} needs a string, got ${describe(node.value)}`,
    );
  }
  const value = d.literal(node.value, pointer(path, 'value'));
  return value === undefined ? undefined : { op, value };
}

function decodeFilters(d: Decoder, value: unknown, path: string): PropertyFilter[] | undefined {
  if (value === undefined) return [];
  return decodeList(d, value, path, (item, p) => {
    const node = d.object(item, p, 'a property filter');
    if (!node || !d.fields(node, p, ['property', 'test'], ['property', 'test'])) return undefined;
    const property = d.string(node.property, pointer(p, 'property'), 'the property name');
    const test = decodeComparison(d, node.test, pointer(p, 'test'));
    return property !== undefined && test ? { property, test } : undefined;
  });
}

function decodeWindow(d: Decoder, input: unknown, path: string): TimeWindow | undefined {
  if (input === undefined) return EVER;
  const node = d.object(input, path, 'a window');
  if (!node) return undefined;
  const kind = d.oneOf(node.kind, pointer(path, 'kind'), 'the window kind', [
    'last',
    'between',
    'ever',
  ] as const);
  if (kind === 'ever') return d.fields(node, path, ['kind'], []) ? EVER : undefined;
  if (kind === 'between') {
    if (!d.fields(node, path, ['kind', 'from', 'to'], ['from', 'to'])) return undefined;
    const from = d.date(node.from, pointer(path, 'from'), 'the window start');
    const to = d.date(node.to, pointer(path, 'to'), 'the window end');
    return from && to ? { kind, from, to } : undefined;
  }
  if (kind !== 'last' || !d.fields(node, path, ['kind', 'amount', 'unit'], ['amount', 'unit']))
    return undefined;
  const amount = d.number(node.amount, pointer(path, 'amount'), 'the window length');
  const unit = d.oneOf<TimeUnit>(node.unit, pointer(path, 'unit'), 'the window unit', TIME_UNITS);
  return amount !== undefined && unit ? { kind, amount, unit } : undefined;
}

function decodeCount(d: Decoder, input: unknown, path: string): CountTest | undefined {
  if (input === undefined) return DEFAULT_COUNT;
  const node = d.object(input, path, 'a count');
  if (!node || !d.fields(node, path, ['op', 'value'], ['op', 'value'])) return undefined;
  const op = d.oneOf(node.op, pointer(path, 'op'), 'the count operator', COMPARE_OPS);
  const value = d.number(node.value, pointer(path, 'value'), 'the count');
  return op && value !== undefined ? { op, value } : undefined;
}

function decodePerformed(d: Decoder, node: Json, path: string): PerformedCondition | undefined {
  if (!d.fields(node, path, ['kind', 'event', 'where', 'count', 'window'], ['event'])) return undefined;
  const event = d.string(node.event, pointer(path, 'event'), 'the event name');
  const where = decodeFilters(d, node.where, pointer(path, 'where'));
  const count = decodeCount(d, node.count, pointer(path, 'count'));
  const window = decodeWindow(d, node.window, pointer(path, 'window'));
  if (event === undefined || !where || !count || !window) return undefined;
  return { kind: 'performed', event, where, count, window };
}

function decodeAggregate(d: Decoder, node: Json, path: string): AggregateCondition | undefined {
  const fields = ['kind', 'fn', 'property', 'event', 'where', 'window', 'op', 'value'];
  if (!d.fields(node, path, fields, ['fn', 'property', 'event', 'op', 'value'])) return undefined;
  const fn = d.oneOf(node.fn, pointer(path, 'fn'), 'the aggregate', ['sum', 'avg', 'min', 'max'] as const);
  const property = d.string(node.property, pointer(path, 'property'), 'the property name');
  const event = d.string(node.event, pointer(path, 'event'), 'the event name');
  const where = decodeFilters(d, node.where, pointer(path, 'where'));
  const window = decodeWindow(d, node.window, pointer(path, 'window'));
  const op = d.oneOf(node.op, pointer(path, 'op'), 'the operator', COMPARE_OPS);
  const value =
    typeof node.value === 'number'
      ? d.number(node.value, pointer(path, 'value'), 'the threshold')
      : d.fail(pointer(path, 'value'), `an aggregate compares with a number, got ${describe(node.value)}`);
  if (
    !fn ||
    property === undefined ||
    event === undefined ||
    !where ||
    !window ||
    !op ||
    value === undefined
  ) {
    return undefined;
  }
  return { kind: 'aggregate', fn, property, event, where, window, op, value };
}

function decodeSeenTest(d: Decoder, input: unknown, path: string): SeenTest | undefined {
  const node = d.object(input, path, 'a seen test');
  if (!node) return undefined;
  const op = d.oneOf(node.op, pointer(path, 'op'), 'the operator', [
    'before',
    'after',
    'within',
    'more_than_ago',
  ] as const);
  if (op === 'before' || op === 'after') {
    if (!d.fields(node, path, ['op', 'date'], ['date'])) return undefined;
    const date = d.date(node.date, pointer(path, 'date'), 'the date');
    return date && { op, date };
  }
  if (!op || !d.fields(node, path, ['op', 'amount', 'unit'], ['amount', 'unit'])) return undefined;
  const amount = d.number(node.amount, pointer(path, 'amount'), 'the length');
  const unit = d.oneOf<TimeUnit>(node.unit, pointer(path, 'unit'), 'the unit', TIME_UNITS);
  return amount !== undefined && unit ? { op, amount, unit } : undefined;
}
