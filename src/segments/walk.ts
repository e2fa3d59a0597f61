// Visiting the conditions of a rule tree, with the JSON pointer of each.
import type { Condition, SegmentRule } from './ast.ts';
import { pointer } from './issues.ts';

export interface LocatedCondition {
  condition: Condition;
  path: string;
}

export function conditionsOf(rule: SegmentRule, path = ''): LocatedCondition[] {
  switch (rule.kind) {
    case 'and':
    case 'or':
      return rule.rules.flatMap((child, i) => conditionsOf(child, pointer(path, 'rules', i)));
    case 'not':
      return conditionsOf(rule.rule, pointer(path, 'rule'));
    default:
      return [{ condition: rule, path }];
  }
}

/** The ids of the segments a rule refers to with `in segment`. */
export function referencedSegments(rule: SegmentRule): string[] {
  const ids = conditionsOf(rule).flatMap(({ condition }) =>
    condition.kind === 'in_segment' ? [condition.segment] : [],
  );
  return [...new Set(ids)];
}
