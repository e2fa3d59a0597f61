// The names that have arrived, counted in the warehouse: event names (track, page, screen),
// each event's property names, and the traits identifies carried. The engines differ only in
// how a JSON object's keys are listed; the rest of each query is written once.
import { duckDbDialect, postgresDialect, type SqlDialect } from '../segments/index.ts';

export interface NamesDialect {
  /** One row per key of a JSON object expression (a set-returning select item). */
  objectKeys(json: string): string;
  isObject(json: string): string;
  identifyTraits: SqlDialect['identifyTraits'];
}

export const NAMES_DIALECTS: Record<'duckdb' | 'postgres', NamesDialect> = {
  duckdb: {
    objectKeys: (json) => `unnest(json_keys(${json}))`,
    isObject: (json) => `json_type(${json}) = 'OBJECT'`,
    identifyTraits: duckDbDialect.identifyTraits,
  },
  postgres: {
    objectKeys: (json) => `jsonb_object_keys(${json})`,
    isObject: (json) => `jsonb_typeof(${json}) = 'object'`,
    identifyTraits: postgresDialect.identifyTraits,
  },
};

/** How many names of each kind an answer carries at most, most frequent first. */
export const NAMES_LIMIT = 500;

const NAMED_EVENT = `name IS NOT NULL AND type IN ('track', 'page', 'screen')`;

export const EVENT_NAMES_SQL = `SELECT name, count(*) AS n, max(timestamp) AS last_seen
  FROM events WHERE ${NAMED_EVENT}
  GROUP BY name ORDER BY n DESC, name LIMIT ${NAMES_LIMIT}`;

export function propertyNamesSql(dialect: NamesDialect): string {
  return `SELECT name, property, count(*) AS n, max(timestamp) AS last_seen
  FROM (SELECT name, timestamp, ${dialect.objectKeys('properties')} AS property
        FROM events WHERE ${NAMED_EVENT} AND ${dialect.isObject('properties')}) keyed
  GROUP BY name, property ORDER BY n DESC, name, property LIMIT ${NAMES_LIMIT * 10}`;
}

/** Traits by the people whose identifies carried them (a profile counts once per trait). */
export function traitNamesSql(dialect: NamesDialect): string {
  const traits = dialect.identifyTraits('message');
  return `SELECT trait AS name, count(DISTINCT profile_id) AS n, max(timestamp) AS last_seen
  FROM (SELECT profile_id, timestamp, ${dialect.objectKeys(traits)} AS trait
        FROM events WHERE type = 'identify' AND ${dialect.isObject(traits)}) keyed
  GROUP BY trait ORDER BY n DESC, trait LIMIT ${NAMES_LIMIT}`;
}
