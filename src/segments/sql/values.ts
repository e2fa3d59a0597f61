// A rule's comparisons in SQL, mirroring values.ts: each JSON value is first read in the
// literal's type (NULL when it is of another type), then compared; NULL never passes.
import { type Comparison, isDateLiteral, type Literal, type LiteralType } from '../ast.ts';
import { DATE_PATTERN } from '../values.ts';
import type { SqlDialect } from './dialect.ts';
import type { SqlParams } from './params.ts';

const SQL_OPS = { eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' } as const;

export type SqlOp = keyof typeof SQL_OPS;

export function sqlOp(op: SqlOp): string {
  return SQL_OPS[op];
}

function literalTypeOf(literal: Literal): LiteralType {
  return isDateLiteral(literal) ? 'date' : (typeof literal as Exclude<LiteralType, 'date'>);
}

/** The JSON value read as `type`, or NULL. Dates are widened to their 24-character UTC form. */
function typedValue(d: SqlDialect, params: SqlParams, value: string, type: LiteralType): string {
  const text = d.jsonText(value);
  switch (type) {
    case 'number':
      return d.jsonNumber(value);
    case 'string':
    case 'boolean':
      return `(CASE WHEN ${d.jsonTypeIs(value, type)} THEN ${text} END)`;
    case 'date': {
      const widened = `(CASE WHEN length(${text}) = 10 THEN ${text} || 'T00:00:00.000Z'
        WHEN length(${text}) = 20 THEN substr(${text}, 1, 19) || '.000Z' ELSE ${text} END)`;
      const isDate = `${d.jsonTypeIs(value, 'string')} AND ${d.matches(text, params.text(DATE_PATTERN))}`;
      return d.byCodePoint(`(CASE WHEN ${isDate} THEN ${widened} END)`);
    }
  }
}

function literalParam(d: SqlDialect, params: SqlParams, literal: Literal): string {
  if (isDateLiteral(literal)) return d.byCodePoint(params.text(literal.date));
  if (typeof literal === 'number') return params.number(literal);
  return params.text(String(literal));
}

function compare(d: SqlDialect, params: SqlParams, value: string, op: SqlOp, literal: Literal): string {
  const typed = typedValue(d, params, value, literalTypeOf(literal));
  return `(${typed} ${SQL_OPS[op]} ${literalParam(d, params, literal)})`;
}

/** SQL that is true exactly when `passesComparison(value, test)` is. */
export function comparisonSql(d: SqlDialect, params: SqlParams, value: string, test: Comparison): string {
  switch (test.op) {
    case 'exists':
      return `(${value} IS NOT NULL AND NOT ${d.jsonTypeIs(value, 'null')})`;
    case 'between':
      return `(${compare(d, params, value, 'gte', test.low)} AND ${compare(d, params, value, 'lte', test.high)})`;
    case 'contains':
      return `coalesce(${d.contains(typedValue(d, params, value, 'string'), params.text(test.value))}, false)`;
    case 'starts_with':
      return `coalesce(${d.startsWith(typedValue(d, params, value, 'string'), params.text(test.value))}, false)`;
    case 'in':
      return `(${test.values.map((literal) => compare(d, params, value, 'eq', literal)).join(' OR ')})`;
    default:
      return compare(d, params, value, test.op, test.value);
  }
}
