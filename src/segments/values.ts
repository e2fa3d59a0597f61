// How a rule's tests read JSON values, in one place so the incremental evaluator, `explain`
// and the SQL compiler (which mirrors these rules in SQL, see sql/base.ts) agree.
//
// Dates: a JSON value counts as a date when it is a string in one of three UTC ISO forms
// (`2026-01-01`, `2026-01-01T10:00:00Z`, `2026-01-01T10:00:00.000Z`). Each is widened to the
// 24-character form and dates compare as those strings, which orders them in time and needs
// no parsing in SQL (no cast can fail mid-query, no session time zone is involved). Strings
// with another offset are not dates to a rule; they stay strings.
import { type Comparison, isDateLiteral, type Literal, type LiteralType } from './ast.ts';

/** The date pattern, written so that RE2 (DuckDB), POSIX (PostgreSQL) and JS read it alike. */
export const DATE_PATTERN =
  '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])(T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{3})?Z)?$';

const DATE_REGEX = new RegExp(DATE_PATTERN);

/** The 24-character UTC form of a date string, or undefined when it is not one. */
export function dateKeyOf(value: string): string | undefined {
  if (!DATE_REGEX.test(value)) return undefined;
  if (value.length === 10) return `${value}T00:00:00.000Z`;
  if (value.length === 20) return `${value.slice(0, 19)}.000Z`;
  return value;
}

/** A date literal from text: one of the three forms, and a real calendar day. */
export function parseDateLiteral(text: string): { date: string } | undefined {
  const key = dateKeyOf(text);
  if (key === undefined) return undefined;
  const ms = Date.parse(key);
  // Date.parse rolls 2026-02-30 over into March; a literal must name a real day.
  if (Number.isNaN(ms) || new Date(ms).toISOString() !== key) return undefined;
  return { date: key };
}

export function dateMs(date: { date: string }): number {
  return Date.parse(date.date);
}

/** The type of a JSON value as a rule sees it; undefined for missing, null, objects, arrays. */
export function jsonTypeOf(value: unknown): Exclude<LiteralType, 'date'> | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? 'number' : undefined;
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'boolean';
  return undefined;
}

/**
 * The value in the literal's terms: the number, string or boolean itself, or a date's
 * comparable key; undefined when the value is not of the literal's type.
 */
function comparable(value: unknown, type: LiteralType): string | number | boolean | undefined {
  if (type === 'date') return typeof value === 'string' ? dateKeyOf(value) : undefined;
  return jsonTypeOf(value) === type ? (value as string | number | boolean) : undefined;
}

function literalKey(literal: Literal): string | number | boolean {
  return isDateLiteral(literal) ? literal.date : literal;
}

function literalTypeOf(literal: Literal): LiteralType {
  if (isDateLiteral(literal)) return 'date';
  return typeof literal as Exclude<LiteralType, 'date'>;
}

function compareWith(value: unknown, literal: Literal, test: (a: never, b: never) => boolean): boolean {
  const own = comparable(value, literalTypeOf(literal));
  if (own === undefined) return false;
  return test(own as never, literalKey(literal) as never);
}

/** Whether a JSON value (a trait, a property, a computed property) passes a test. */
export function passesComparison(value: unknown, test: Comparison): boolean {
  switch (test.op) {
    case 'exists':
      return value !== undefined && value !== null;
    case 'eq':
      return compareWith(value, test.value, (a, b) => a === b);
    case 'neq':
      return compareWith(value, test.value, (a, b) => a !== b);
    case 'gt':
      return compareWith(value, test.value, (a, b) => a > b);
    case 'gte':
      return compareWith(value, test.value, (a, b) => a >= b);
    case 'lt':
      return compareWith(value, test.value, (a, b) => a < b);
    case 'lte':
      return compareWith(value, test.value, (a, b) => a <= b);
    case 'between':
      return (
        compareWith(value, test.low, (a, b) => a >= b) && compareWith(value, test.high, (a, b) => a <= b)
      );
    case 'contains':
      return typeof value === 'string' && value.includes(test.value);
    case 'starts_with':
      return typeof value === 'string' && value.startsWith(test.value);
    case 'in':
      return test.values.some((literal) => compareWith(value, literal, (a, b) => a === b));
  }
}

/** Whether a number passes a count or aggregate comparison. */
export function passesNumber(actual: number, op: Comparison['op'], expected: number): boolean {
  switch (op) {
    case 'eq':
      return actual === expected;
    case 'neq':
      return actual !== expected;
    case 'gt':
      return actual > expected;
    case 'gte':
      return actual >= expected;
    case 'lt':
      return actual < expected;
    case 'lte':
      return actual <= expected;
    default:
      return false;
  }
}
