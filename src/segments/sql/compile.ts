// The rule tree → one parameterised query returning the ids of the profiles in the segment
// as of `now` ($1), built from history in the event store. Shared by every engine; the
// engine-specific fragments come from the dialect (duckdb.ts, postgres.ts).
//
// Relations it reads (names from trusted configuration, never from a rule):
// - events: the event store table (src/store);
// - profile_map(profile_id, canonical_id), optional: every merged-away profile id with the
//   id of the profile it ended in (already followed to the end: no chains). Events of a
//   mapped id count for the canonical one. Ids absent from it are their own canonical id.
// - profile_facts(profile_id, key, value JSON), only when the rule reads facts (consent,
//   in segment, stage, computed): one row per canonical profile and key, keys and values as
//   in `factKey` (incremental/state.ts). Facts are current, not "as of now".
import type { SegmentRule } from '../ast.ts';
import { conditionsOf } from '../walk.ts';
import { conditionSql, needsNoUniverse } from './conditions.ts';
import { quoteRelation, type SqlDialect } from './dialect.ts';
import { SqlParams } from './params.ts';

export interface SegmentSqlOptions {
  dialect: SqlDialect;
  /** Default `events`. */
  events?: string;
  /** Default none: events are counted under the profile_id they were stored with. */
  profileMap?: string;
  /** Default `profile_facts`. */
  profileFacts?: string;
}

export interface CompiledSegmentSql {
  /** SELECT profile_id … ORDER BY profile_id; $1 is the evaluation time. */
  text: string;
  /** The parameter values for an evaluation time. */
  valuesAt(now: Date): Array<string | number>;
  /** Whether the query reads profile_facts (so the caller must provide it). */
  readsFacts: boolean;
}

const FACT_KINDS = new Set(['consent', 'in_segment', 'stage', 'computed']);

export function compileRuleToSql(rule: SegmentRule, options: SegmentSqlOptions): CompiledSegmentSql {
  const { dialect } = options;
  const params = new SqlParams(dialect);
  const facts = quoteRelation(options.profileFacts ?? 'profile_facts');
  const located = conditionsOf(rule);
  const ctes = located.map(
    ({ condition }, i) => `c${i} AS (${conditionSql({ dialect, params, facts }, condition)})`,
  );
  const readsTraits = located.some(({ condition }) => condition.kind === 'trait');
  const leaves = new Map(located.map(({ condition }, i) => [condition, `c${i}`]));
  const text = `WITH
mapped AS NOT MATERIALIZED (${mappedEventsSql(options, params)}),
profiles AS (SELECT profile_id, min(timestamp) AS first_seen, max(timestamp) AS last_seen FROM mapped GROUP BY profile_id)${
    readsTraits
      ? `,\nidentify_traits AS (SELECT profile_id, timestamp, message_id, ${dialect.identifyTraits('message')} AS traits
  FROM mapped WHERE type = 'identify')`
      : ''
  }${ctes.map((cte) => `,\n${cte}`).join('')}
SELECT profile_id FROM ${anchorOf(rule, leaves) ?? 'profiles'} WHERE ${booleanSql(rule, leaves)}
ORDER BY profile_id`;
  return {
    text,
    valuesAt: (now) => params.valuesAt(now),
    readsFacts: located.some(({ condition }) => FACT_KINDS.has(condition.kind)),
  };
}

function mappedEventsSql(options: SegmentSqlOptions, params: SqlParams): string {
  const events = quoteRelation(options.events ?? 'events');
  const columns = 'e.type, e.name, e.message_id, e.timestamp, e.properties, e.message';
  if (!options.profileMap) {
    return `SELECT e.profile_id, ${columns} FROM ${events} e WHERE e.timestamp <= ${params.now()}`;
  }
  return `SELECT coalesce(m.canonical_id, e.profile_id) AS profile_id, ${columns}
  FROM ${events} e LEFT JOIN ${quoteRelation(options.profileMap)} m ON m.profile_id = e.profile_id
  WHERE e.timestamp <= ${params.now()}`;
}

/**
 * A relation every member is in, smaller than the universe of all profiles: a condition that
 * holds only for profiles with matching events (one row each), the anchor of any child of an
 * `and`, the union of the anchors of every child of an `or`. None under a `not`. Starting
 * there spares the planner the universe (a GROUP BY over every event) for most rules.
 */
function anchorOf(rule: SegmentRule, leaves: Map<SegmentRule, string>): string | undefined {
  switch (rule.kind) {
    case 'and':
      return rule.rules.map((child) => anchorOf(child, leaves)).find((anchor) => anchor !== undefined);
    case 'or': {
      const anchors = rule.rules.map((child) => anchorOf(child, leaves));
      if (anchors.length === 0 || anchors.some((anchor) => anchor === undefined)) return undefined;
      return `(${anchors.map((anchor) => `SELECT profile_id FROM ${anchor}`).join(' UNION ')}) anchor`;
    }
    case 'not':
      return undefined;
    default:
      return needsNoUniverse(rule) ? leaves.get(rule) : undefined;
  }
}

/** and/or/not over "is the profile in condition i's relation". */
function booleanSql(rule: SegmentRule, leaves: Map<SegmentRule, string>): string {
  switch (rule.kind) {
    case 'and':
    case 'or':
      return `(${rule.rules.map((child) => booleanSql(child, leaves)).join(` ${rule.kind.toUpperCase()} `)})`;
    case 'not':
      return `(NOT ${booleanSql(rule.rule, leaves)})`;
    default:
      return `profile_id IN (SELECT profile_id FROM ${leaves.get(rule)})`;
  }
}
