// PostgreSQL's fragments: explicit parameter casts (the driver sends text), jsonb operators,
// CASE before a numeric cast (AND does not order evaluation), DISTINCT ON for the latest trait,
// and COLLATE "C" wherever text order matters.
import type { SqlDialect } from './dialect.ts';

export const postgresDialect: SqlDialect = {
  name: 'postgres',
  param(index, type) {
    const cast = { text: 'text', number: 'float8', timestamp: 'timestamptz' }[type];
    return `$${index}::${cast}`;
  },
  jsonKeyArgument: (key) => key,
  jsonField: (object, keyParam) => `(${object} -> ${keyParam})`,
  jsonTypeIs: (value, type) => `(jsonb_typeof(${value}) = '${type}')`,
  jsonNumber: (value) => `(CASE WHEN jsonb_typeof(${value}) = 'number' THEN (${value} #>> '{}')::float8 END)`,
  jsonText: (value) => `(${value} #>> '{}')`,
  identifyTraits: (message) =>
    `CASE WHEN jsonb_typeof(${message} -> 'traits') = 'object' THEN ${message} -> 'traits'
          WHEN jsonb_typeof(${message} -> 'context' -> 'traits') = 'object' THEN ${message} -> 'context' -> 'traits' END`,
  latestValue: (relation, column, keyParam) =>
    `SELECT DISTINCT ON (profile_id) profile_id, ${column} -> ${keyParam} AS v
     FROM ${relation} WHERE ${column} ? ${keyParam}
     ORDER BY profile_id, timestamp DESC, message_id COLLATE "C" DESC`,
  matches: (text, pattern) => `(${text} ~ ${pattern})`,
  startsWith: (text, prefix) => `starts_with(${text}, ${prefix})`,
  contains: (text, needle) => `(strpos(${text}, ${needle}) > 0)`,
  byCodePoint: (text) => `(${text} COLLATE "C")`,
};
