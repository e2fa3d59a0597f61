// What differs between the state engines, Kysely-dialect style (as src/segments/sql/ does for
// the warehouse): each store's SQL is written once (query.ts) and asks the dialect for the few
// fragments and values that differ. Pure string and value functions, unit-tested without a
// database (test/store/sql-dialect.test.ts). What both engines accept is written plainly in
// the stores instead: ON CONFLICT upserts (with a table alias), RETURNING, CAST(... AS integer),
// SAVEPOINT, quoted column aliases.
import { quoteIdent, storableJson, storableText, toIso } from '../postgres/sql.ts';
import { list, raw, type StoreDialect, sql } from './query.ts';

export type { StoreDialect } from './query.ts';

const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function checkedField(key: string): string {
  if (!FIELD_NAME.test(key)) throw new Error(`not a JSON field name: ${JSON.stringify(key)}`);
  return key;
}

export const sqliteDialect: StoreDialect = {
  engine: 'sqlite',
  placeholder: () => '?',
  table: (name) => quoteIdent(name),
  bindValue: (value) => (typeof value === 'boolean' ? (value ? 1 : 0) : value === undefined ? null : value),
  jsonValue: (value) => JSON.stringify(value),
  readJson: (value) => (typeof value === 'string' ? JSON.parse(value) : value),
  readBool: (value) => value === 1 || value === true,
  readInstant: (value) => (value === null || value === undefined ? null : String(value)),
  isTrue: (column) => `${column} = 1`,
  anyTrue: (column) => `max(${column})`,
  jsonFieldText: (column, key) => `json_extract(${column}, '$.${checkedField(key)}')`,
  contains: (column, needle) => sql`instr(${raw(column)}, ${needle}) > 0`,
  startsWith: (column, prefix) => sql`substr(${raw(column)}, 1, length(${prefix})) = ${prefix}`,
  oneOf: (column, values) => {
    if (values.length === 0) return sql`0 = 1`;
    return sql`${raw(column)} IN (${list(values)})`;
  },
  dayText: (column) => column,
  byCodePoint: (expression) => expression,
  forUpdate: () => '',
};

export function postgresDialect(schema: string): StoreDialect {
  return {
    engine: 'postgres',
    placeholder: (index) => `$${index}`,
    table: (name) => `${quoteIdent(schema)}.${quoteIdent(name)}`,
    // Text cannot hold U+0000 on PostgreSQL: the same replacement as the ingest path.
    bindValue: (value) =>
      typeof value === 'string' ? storableText(value) : value === undefined ? null : value,
    jsonValue: (value) => storableJson(value),
    readJson: (value) => value,
    readBool: (value) => value === true || value === 1,
    readInstant: (value) =>
      value === null || value === undefined ? null : toIso(value instanceof Date ? value : String(value)),
    isTrue: (column) => column,
    anyTrue: (column) => `coalesce(bool_or(${column}), false)`,
    jsonFieldText: (column, key) => `${column}->>'${checkedField(key)}'`,
    contains: (column, needle) => sql`strpos(${raw(column)}, ${needle}) > 0`,
    startsWith: (column, prefix) => sql`starts_with(${raw(column)}, ${prefix})`,
    oneOf: (column, values) => sql`${raw(column)} = ANY(${[...values]}::text[])`,
    // to_char, not ::text, whose format follows the session's DateStyle.
    dayText: (column) => `to_char(${column}, 'YYYY-MM-DD')`,
    byCodePoint: (expression) => `${expression} COLLATE "C"`,
    forUpdate: (clause) => `FOR UPDATE${clause ? ` ${clause}` : ''}`,
  };
}
