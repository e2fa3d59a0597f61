// DuckDB's fragments: JSON pointers for field names (a bare `$x` would read as a JSON path),
// TRY_CAST for numbers, arg_max over (timestamp, message_id) for the latest trait.
import type { SqlDialect } from './dialect.ts';

const JSON_TYPES = {
  number: "IN ('BIGINT', 'UBIGINT', 'DOUBLE', 'HUGEINT')",
  string: "= 'VARCHAR'",
  boolean: "= 'BOOLEAN'",
  null: "= 'NULL'",
  object: "= 'OBJECT'",
};

export const duckDbDialect: SqlDialect = {
  name: 'duckdb',
  param(index, type) {
    const cast = { text: 'VARCHAR', number: 'DOUBLE', timestamp: 'TIMESTAMP' }[type];
    return `CAST($${index} AS ${cast})`;
  },
  jsonKeyArgument: (key) => `/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`,
  jsonField: (object, keyParam) => `(${object} -> ${keyParam})`,
  jsonTypeIs: (value, type) => `(json_type(${value}) ${JSON_TYPES[type]})`,
  // TRY_CAST alone reads JSON false as 0: only numbers are numbers.
  jsonNumber: (value) =>
    `(CASE WHEN json_type(${value}) ${JSON_TYPES.number} THEN TRY_CAST(${value} AS DOUBLE) END)`,
  jsonText: (value) => `(${value} ->> '$')`,
  identifyTraits: (message) =>
    `CASE WHEN json_type(${message}, '$.traits') = 'OBJECT' THEN ${message} -> '$.traits'
          WHEN json_type(${message}, '$.context.traits') = 'OBJECT' THEN ${message} -> '$.context.traits' END`,
  latestValue: (relation, column, keyParam) =>
    `SELECT profile_id, arg_max(${column} -> ${keyParam}, (timestamp, message_id)) AS v
     FROM ${relation} WHERE json_type(${column} -> ${keyParam}) IS NOT NULL GROUP BY profile_id`,
  matches: (text, pattern) => `regexp_full_match(${text}, ${pattern})`,
  startsWith: (text, prefix) => `starts_with(${text}, ${prefix})`,
  contains: (text, needle) => `contains(${text}, ${needle})`,
  byCodePoint: (text) => text,
};
