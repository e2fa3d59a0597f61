// What differs between the engines the compiler targets, Kysely-dialect style: the shared
// compiler (compile.ts) asks the dialect for each engine-specific fragment; duckdb.ts and
// postgres.ts each provide one. Every fragment is a pure string function, unit-testable
// without a database.

export type ParamType = 'text' | 'number' | 'timestamp';

export interface SqlDialect {
  readonly name: 'duckdb' | 'postgres';
  /** A typed placeholder: `$3` with the cast the engine needs to know its type. */
  param(index: number, type: ParamType): string;
  /** How a JSON object field is named in a bound parameter (DuckDB reads a JSON pointer). */
  jsonKeyArgument(key: string): string;
  /** The JSON value of `object`'s field whose name is in the text parameter `keyParam`. */
  jsonField(object: string, keyParam: string): string;
  /** The JSON type name of a value, NULL when missing: number, string, boolean, null, object, array. */
  jsonTypeIs(value: string, type: 'number' | 'string' | 'boolean' | 'null' | 'object'): string;
  /** A JSON value as DOUBLE when it is a number, else NULL, never an error. */
  jsonNumber(value: string): string;
  /** A JSON scalar's text (strings unquoted, booleans `true`/`false`). */
  jsonText(value: string): string;
  /** The identify's traits object: `traits`, else `context.traits`, else NULL. */
  identifyTraits(message: string): string;
  /**
   * A relation (profile_id, v): for each profile, the JSON value of `keyParam` in `objectColumn`
   * from the latest row of `relation` that has the key, latest by (timestamp, message_id).
   */
  latestValue(relation: string, objectColumn: string, keyParam: string): string;
  /** Full-match of text against a regular expression parameter. */
  matches(text: string, patternParam: string): string;
  startsWith(text: string, prefixParam: string): string;
  contains(text: string, needleParam: string): string;
  /** Text ordered by code point (dates as strings): PostgreSQL's collations would reorder. */
  byCodePoint(text: string): string;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A relation name from trusted configuration (`events`, `rapport.events`), quoted. */
export function quoteRelation(name: string): string {
  const parts = name.split('.');
  if (parts.length > 2 || !parts.every((part) => IDENTIFIER.test(part))) {
    throw new Error(`not a relation name: ${JSON.stringify(name)}`);
  }
  return parts.map((part) => `"${part}"`).join('.');
}
