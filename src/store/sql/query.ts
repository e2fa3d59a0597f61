// A query written once for every engine: a tagged template whose interpolations are bound
// parameters unless marked otherwise (a table name, a fragment, a JSON value, a list). Only
// compile() knows the engine, through its dialect, so the SQL text of a store is one string
// in the source and the placeholders, JSON and lists follow the engine. Pure: unit-tested
// without a database (test/store/sql-query.test.ts).

export interface StoreDialect {
  readonly engine: 'sqlite' | 'postgres';
  /** The n-th (1-based) parameter's placeholder. */
  placeholder(index: number): string;
  /** A table by name: schema-qualified on PostgreSQL, whose pool has no search_path. */
  table(name: string): string;
  /** A JavaScript value as the driver binds it (SQLite has no booleans: 1 and 0). */
  bindValue(value: unknown): unknown;
  /** A JSON document as bound text (PostgreSQL's jsonb refuses U+0000 and lone surrogates). */
  jsonValue(value: unknown): string;
  /** A JSON column's value as read: SQLite returns text, pg parses jsonb itself. */
  readJson(value: unknown): unknown;
  /** An instant column's value as ISO text (PostgreSQL's timestamptz arrives as a Date). */
  readInstant(value: unknown): string | null;
  /** A boolean column's value as read (SQLite's 1/0, pg's true/false; NULL is false). */
  readBool(value: unknown): boolean;
  /** A condition that a boolean column holds. */
  isTrue(column: string): string;
  /** Whether any row of a group has the boolean column true (false for no rows). */
  anyTrue(column: string): string;
  /** The text of a JSON column's top-level field `key` (a fixed name, never a user's value). */
  jsonFieldText(column: string, key: string): string;
  /** `column` contains the text `needle` (no LIKE, so % and _ are plain characters). */
  contains(column: string, needle: string): Sql;
  /** `column` starts with the text `prefix` (no LIKE, so % and _ are plain characters). */
  startsWith(column: string, prefix: string): Sql;
  /** `column` is one of `values`. */
  oneOf(column: string, values: readonly unknown[]): Sql;
  /** A calendar day column as `YYYY-MM-DD` text (SQLite stores the text; PostgreSQL's date would arrive as a Date). */
  dayText(column: string): string;
  /** Text ordered by code point, as SQLite's BINARY collation does. */
  byCodePoint(expression: string): string;
  /** The row lock a read takes before it writes (`FOR UPDATE [OF t] [SKIP LOCKED]`); none on SQLite. */
  forUpdate(clause?: string): string;
}

/** A piece of SQL with its parameters, not yet bound to an engine's placeholders. */
export class Sql {
  constructor(
    readonly strings: readonly string[],
    readonly values: readonly unknown[],
  ) {}
}

/** Text inserted as is: table names and fixed keywords, never a user's value. */
class Raw {
  constructor(readonly text: string) {}
}

/** A JSON document bound as the engine stores JSON (text on SQLite, jsonb text on PostgreSQL). */
class JsonValue {
  constructor(readonly value: unknown) {}
}

/** A fragment the dialect writes (`forUpdate`, `anyTrue`...), chosen at compile time. */
class DialectFragment {
  constructor(readonly write: (dialect: StoreDialect) => Sql | string) {}
}

export function sql(strings: TemplateStringsArray, ...values: unknown[]): Sql {
  return new Sql(strings, values);
}

export const raw = (text: string): Raw => new Raw(text);
export const json = (value: unknown): JsonValue => new JsonValue(value);
export const byDialect = (write: (dialect: StoreDialect) => Sql | string): DialectFragment =>
  new DialectFragment(write);
/** `column` is one of `values`: an IN list on SQLite, `= ANY($n::text[])` on PostgreSQL. */
export const oneOf = (column: string, values: readonly unknown[]): DialectFragment =>
  byDialect((dialect) => dialect.oneOf(column, values));

/** Fragments joined by a separator (`AND`, `, `); an empty list is an empty fragment. */
export function join(parts: readonly Sql[], separator: string): Sql {
  return separated(parts, separator);
}

/** Values bound one parameter each, comma-separated: `?, ?, ?` or `$1, $2, $3`. */
export function list(values: readonly unknown[]): Sql {
  return separated(values, ', ');
}

function separated(values: readonly unknown[], separator: string): Sql {
  if (values.length === 0) return new Sql([''], []);
  return new Sql(['', ...values.slice(1).map(() => separator), ''], values);
}

export interface CompiledQuery {
  text: string;
  values: unknown[];
}

/** The engine's SQL text and parameter values for `query`. */
export function compile(query: Sql, dialect: StoreDialect): CompiledQuery {
  const values: unknown[] = [];
  const bind = (value: unknown): string => {
    values.push(dialect.bindValue(value));
    return dialect.placeholder(values.length);
  };
  const write = (part: Sql): string => {
    let text = part.strings[0] ?? '';
    part.values.forEach((value, index) => {
      text += piece(value) + (part.strings[index + 1] ?? '');
    });
    return text;
  };
  const piece = (value: unknown): string => {
    if (value instanceof Sql) return write(value);
    if (value instanceof Raw) return value.text;
    if (value instanceof JsonValue) {
      values.push(dialect.jsonValue(value.value));
      return dialect.placeholder(values.length);
    }
    if (value instanceof DialectFragment) {
      const fragment = value.write(dialect);
      return typeof fragment === 'string' ? fragment : write(fragment);
    }
    return bind(value);
  };
  return { text: write(query), values };
}
