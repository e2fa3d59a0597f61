// The condition forms of the segment builder and the people explorer, as data: a form's
// conditions to a rule (the JSON the API takes, docs/segments.md) and a saved rule back to
// the forms when every part of it fits one (null when it does not: the text view shows it).
// Pure, tested without a browser (test/web/rule-form.test.ts).

export type Kind = 'performed' | 'trait' | 'last_seen' | 'stage' | 'in_segment';
export type TraitOp = 'eq' | 'neq' | 'gt' | 'gte' | 'lt' | 'lte' | 'contains' | 'exists';
export interface Condition {
  kind: Kind;
  negate: boolean;
  event: string;
  countOp: 'gte' | 'lte' | 'eq';
  count: string;
  days: string;
  trait: string;
  op: TraitOp;
  value: string;
  seen: 'within' | 'more_than_ago';
  stage: string;
  segment: string;
}

export const blank = (kind: Kind = 'performed'): Condition => ({
  kind,
  negate: false,
  event: 'Order Completed',
  countOp: 'gte',
  count: '1',
  days: '',
  trait: 'plan',
  op: 'eq',
  value: 'pro',
  seen: 'within',
  stage: 'action',
  segment: '',
});

/** What was typed as the literal it reads as: true, false, a number, or the text itself. */
export function literal(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed === 'true') return true;
  if (trimmed === 'false') return false;
  if (trimmed !== '' && !Number.isNaN(Number(trimmed))) return Number(trimmed);
  return text;
}

export function toRule(c: Condition): Record<string, unknown> {
  let rule: Record<string, unknown>;
  switch (c.kind) {
    case 'performed':
      rule = {
        kind: 'performed',
        event: c.event,
        where: [],
        count: { op: c.countOp, value: Number(c.count) },
        window: c.days ? { kind: 'last', amount: Number(c.days), unit: 'days' } : { kind: 'ever' },
      };
      break;
    case 'trait':
      rule = {
        kind: 'trait',
        trait: c.trait,
        test: c.op === 'exists' ? { op: 'exists' } : { op: c.op, value: literal(c.value) },
      };
      break;
    case 'last_seen':
      rule = { kind: 'last_seen', test: { op: c.seen, amount: Number(c.days || '30'), unit: 'days' } };
      break;
    case 'stage':
      rule = {
        kind: 'stage',
        stages: c.stage
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      };
      break;
    case 'in_segment':
      rule = { kind: 'in_segment', segment: c.segment };
      break;
  }
  return c.negate ? { kind: 'not', rule } : rule;
}

export function combine(conditions: Condition[], all: boolean): unknown {
  const rules = conditions.map(toRule);
  if (rules.length === 1) return rules[0];
  return { kind: all ? 'and' : 'or', rules };
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const COUNT_OPS = new Set(['gte', 'lte', 'eq']);
const TRAIT_OPS = new Set(['eq', 'neq', 'gt', 'gte', 'lt', 'lte']);

function performedOf(rule: Json): Partial<Condition> | null {
  const { event, where, count, window } = rule;
  if (typeof event !== 'string' || !Array.isArray(where) || where.length > 0) return null;
  if (!isObject(count) || !COUNT_OPS.has(String(count.op)) || typeof count.value !== 'number') return null;
  if (!isObject(window)) return null;
  let days = '';
  if (window.kind === 'last' && window.unit === 'days' && typeof window.amount === 'number')
    days = String(window.amount);
  else if (window.kind !== 'ever') return null;
  return { event, countOp: count.op as Condition['countOp'], count: String(count.value), days };
}

function traitOf(rule: Json): Partial<Condition> | null {
  const { trait, test } = rule;
  if (typeof trait !== 'string' || !isObject(test)) return null;
  if (test.op === 'exists') return { trait, op: 'exists', value: '' };
  const value = test.value;
  const plain = typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
  if (!plain) return null;
  // Text that reads as a number or true/false would come back as one: it does not fit the form.
  if (typeof value === 'string' && literal(value) !== value) return null;
  if (test.op === 'contains' && typeof value === 'string') return { trait, op: 'contains', value };
  if (TRAIT_OPS.has(String(test.op))) return { trait, op: test.op as TraitOp, value: String(value) };
  return null;
}

function seenOf(rule: Json): Partial<Condition> | null {
  const test = rule.test;
  if (!isObject(test) || test.unit !== 'days' || typeof test.amount !== 'number') return null;
  if (test.op !== 'within' && test.op !== 'more_than_ago') return null;
  return { seen: test.op, days: String(test.amount) };
}

function conditionOf(rule: unknown): Condition | null {
  if (!isObject(rule)) return null;
  if (rule.kind === 'not') {
    const inner = conditionOf(rule.rule);
    return inner && !inner.negate ? { ...inner, negate: true } : null;
  }
  let fields: Partial<Condition> | null = null;
  if (rule.kind === 'performed') fields = performedOf(rule);
  else if (rule.kind === 'trait') fields = traitOf(rule);
  else if (rule.kind === 'last_seen') fields = seenOf(rule);
  else if (rule.kind === 'stage' && Array.isArray(rule.stages) && rule.stages.length > 0)
    fields = rule.stages.every((s) => typeof s === 'string') ? { stage: rule.stages.join(', ') } : null;
  else if (rule.kind === 'in_segment' && typeof rule.segment === 'string') fields = { segment: rule.segment };
  return fields ? { ...blank(rule.kind as Kind), ...fields } : null;
}

/**
 * A saved rule as the forms: one condition, or all/any of several. Null when some part does
 * not fit a form (property filters, aggregates, nested groups, dates…).
 */
export function fromRule(rule: unknown): { conditions: Condition[]; all: boolean } | null {
  if (!isObject(rule)) return null;
  const group = rule.kind === 'and' || rule.kind === 'or';
  const parts = group ? rule.rules : [rule];
  if (!Array.isArray(parts) || parts.length === 0) return null;
  const conditions = parts.map(conditionOf);
  if (conditions.some((c) => c === null)) return null;
  return { conditions: conditions as Condition[], all: rule.kind !== 'or' };
}
