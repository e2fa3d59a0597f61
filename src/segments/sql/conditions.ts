// Each condition as a relation of the profiles it holds for (one CTE each), over:
//   mapped(profile_id, type, name, message_id, timestamp, properties, message): events up to now,
//          with profile ids folded through profile_map;
//   profiles(profile_id, first_seen, last_seen): every profile with an event up to now;
//   identify_traits(profile_id, timestamp, message_id, traits): the identifies' trait objects;
//   facts(profile_id, key, value): the profile_facts relation.
import {
  type AggregateCondition,
  type Condition,
  durationMs,
  type PerformedCondition,
  type PropertyFilter,
  type SeenCondition,
  type SeenTest,
  type TimeWindow,
} from '../ast.ts';
import { factKey } from '../incremental/state.ts';
import type { SqlDialect } from './dialect.ts';
import type { SqlParams } from './params.ts';
import { comparisonSql, type SqlOp, sqlOp } from './values.ts';

export interface ConditionContext {
  dialect: SqlDialect;
  params: SqlParams;
  facts: string;
}

export function conditionSql(c: ConditionContext, condition: Condition): string {
  const { dialect: d, params } = c;
  switch (condition.kind) {
    case 'trait': {
      const latest = d.latestValue('identify_traits', 'traits', params.jsonKey(condition.trait));
      return `SELECT profile_id FROM (${latest}) latest WHERE ${comparisonSql(d, params, 'latest.v', condition.test)}`;
    }
    case 'performed':
      return performedSql(c, condition);
    case 'aggregate':
      return aggregateSql(c, condition);
    case 'first_seen':
    case 'last_seen':
      return seenSql(c, condition);
    case 'consent': {
      const key = params.text(factKey.consent(condition.purpose));
      const isString = d.jsonTypeIs('value', 'string');
      if (condition.state !== 'unknown') {
        return `SELECT profile_id FROM ${c.facts} WHERE key = ${key} AND ${isString} AND ${d.jsonText('value')} = ${params.text(condition.state)}`;
      }
      return `SELECT profile_id FROM profiles WHERE profile_id NOT IN (
        SELECT profile_id FROM ${c.facts} WHERE key = ${key} AND ${isString} AND ${d.jsonText('value')} IN ('granted', 'denied'))`;
    }
    case 'in_segment':
      return `SELECT profile_id FROM ${c.facts} WHERE key = ${params.text(factKey.segment(condition.segment))}
        AND ${d.jsonTypeIs('value', 'boolean')} AND ${d.jsonText('value')} = 'true'`;
    case 'stage': {
      const stages = condition.stages.map((stage) => params.text(stage)).join(', ');
      return `SELECT profile_id FROM ${c.facts} WHERE key = ${params.text(factKey.stage())}
        AND ${d.jsonTypeIs('value', 'string')} AND ${d.jsonText('value')} IN (${stages})`;
    }
    case 'computed':
      return `SELECT profile_id FROM ${c.facts} WHERE key = ${params.text(factKey.computed(condition.name))}
        AND ${comparisonSql(d, params, 'value', condition.test)}`;
  }
}

/** Events of the condition's name, inside its window, passing its filters. */
function matchingEvents(c: ConditionContext, condition: PerformedCondition | AggregateCondition): string[] {
  return [
    `name = ${c.params.text(condition.event)}`,
    windowSql(c, condition.window),
    ...condition.where.map((filter) => filterSql(c, filter)),
  ];
}

function windowSql(c: ConditionContext, window: TimeWindow): string {
  if (window.kind === 'ever') return 'true';
  if (window.kind === 'between') {
    return `timestamp >= ${c.params.instant(window.from.date)} AND timestamp < ${c.params.instant(window.to.date)}`;
  }
  // `timestamp <= now` already holds in `mapped`.
  return `timestamp > ${c.params.beforeNow(durationMs(window.amount, window.unit))}`;
}

function filterSql(c: ConditionContext, filter: PropertyFilter): string {
  const value = c.dialect.jsonField('properties', c.params.jsonKey(filter.property));
  return comparisonSql(c.dialect, c.params, value, filter.test);
}

/** Whether `0 op value` holds: a condition that holds at zero needs every profile, not only those with events. */
export function holdsAtZero(op: SqlOp, value: number): boolean {
  const checks: Record<SqlOp, boolean> = {
    eq: value === 0,
    neq: value !== 0,
    gt: 0 > value,
    gte: 0 >= value,
    lt: 0 < value,
    lte: 0 <= value,
  };
  return checks[op];
}

/**
 * Whether the condition's relation only holds profiles with a matching event, so it can be
 * computed from the events alone (GROUP BY … HAVING) without the profile universe.
 */
export function needsNoUniverse(condition: Condition): boolean {
  if (condition.kind === 'performed') return !holdsAtZero(condition.count.op, condition.count.value);
  if (condition.kind === 'aggregate')
    return condition.fn !== 'sum' || !holdsAtZero(condition.op, condition.value);
  return condition.kind === 'trait' || condition.kind === 'first_seen' || condition.kind === 'last_seen';
}

/** Profiles with no matching event count 0, so "at most 0 times" includes them. */
function performedSql(c: ConditionContext, condition: PerformedCondition): string {
  const matching = matchingEvents(c, condition).join(' AND ');
  const test = `${sqlOp(condition.count.op)} ${c.params.number(condition.count.value)}`;
  if (needsNoUniverse(condition))
    return `SELECT profile_id FROM mapped WHERE ${matching} GROUP BY profile_id HAVING count(*) ${test}`;
  return `SELECT profiles.profile_id FROM profiles LEFT JOIN (
      SELECT profile_id, count(*) AS n FROM mapped WHERE ${matching} GROUP BY profile_id
    ) counted ON counted.profile_id = profiles.profile_id
    WHERE coalesce(counted.n, 0) ${test}`;
}

function aggregateSql(c: ConditionContext, condition: AggregateCondition): string {
  const { dialect: d, params } = c;
  const number = d.jsonNumber(d.jsonField('properties', params.jsonKey(condition.property)));
  const values = `SELECT profile_id, ${number} AS v FROM mapped WHERE ${matchingEvents(c, condition).join(' AND ')}`;
  const op = sqlOp(condition.op);
  const threshold = params.number(condition.value);
  // avg as sum op value·count, as the incremental evaluator does: exact for whole numbers.
  const test = {
    sum: `coalesce(totals.s, 0) ${op} ${threshold}`,
    avg: `coalesce(totals.c, 0) > 0 AND totals.s ${op} ${threshold} * totals.c`,
    min: `totals.lo ${op} ${threshold}`,
    max: `totals.hi ${op} ${threshold}`,
  }[condition.fn];
  const totals = `SELECT profile_id, sum(v) AS s, count(v) AS c, min(v) AS lo, max(v) AS hi
      FROM (${values}) numbers WHERE v IS NOT NULL GROUP BY profile_id`;
  if (needsNoUniverse(condition)) return `SELECT profile_id FROM (${totals}) totals WHERE ${test}`;
  return `SELECT profiles.profile_id FROM profiles LEFT JOIN (${totals}) totals ON totals.profile_id = profiles.profile_id
    WHERE ${test}`;
}

function seenSql(c: ConditionContext, condition: SeenCondition): string {
  const column = condition.kind === 'first_seen' ? 'first_seen' : 'last_seen';
  return `SELECT profile_id FROM profiles WHERE ${column} ${seenTestSql(c, condition.test)}`;
}

function seenTestSql(c: ConditionContext, test: SeenTest): string {
  switch (test.op) {
    case 'before':
      return `< ${c.params.instant(test.date.date)}`;
    case 'after':
      return `>= ${c.params.instant(test.date.date)}`;
    case 'within':
      return `> ${c.params.beforeNow(durationMs(test.amount, test.unit))}`;
    case 'more_than_ago':
      return `<= ${c.params.beforeNow(durationMs(test.amount, test.unit))}`;
  }
}
