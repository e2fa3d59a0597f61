// "Why is this person in this segment?": the rule tree with, at each node, whether it held
// at `now` and, for conditions, the values it looked at (the trait's value, how many times
// the event happened in the window, the sum, the consent state…).
import type { SegmentRule } from './ast.ts';
import { measureCondition } from './incremental/measure.ts';
import type { ProfileSegmentState } from './incremental/state.ts';
import { pointer } from './issues.ts';
import { printRule } from './print.ts';

export interface RuleExplanation {
  /** JSON pointer of the node in the rule. */
  path: string;
  /** The node in the text form. */
  rule: string;
  holds: boolean;
  observed?: Record<string, unknown>;
  children?: RuleExplanation[];
}

export function explainMembership(rule: SegmentRule, state: ProfileSegmentState, now: Date): RuleExplanation {
  return explainAt(rule, state, now.getTime(), '');
}

function explainAt(
  rule: SegmentRule,
  state: ProfileSegmentState,
  nowMs: number,
  path: string,
): RuleExplanation {
  const text = printRule(rule);
  switch (rule.kind) {
    case 'and':
    case 'or': {
      const children = rule.rules.map((child, i) =>
        explainAt(child, state, nowMs, pointer(path, 'rules', i)),
      );
      const holds = rule.kind === 'and' ? children.every((c) => c.holds) : children.some((c) => c.holds);
      return { path, rule: text, holds, children };
    }
    case 'not': {
      const child = explainAt(rule.rule, state, nowMs, pointer(path, 'rule'));
      return { path, rule: text, holds: !child.holds, children: [child] };
    }
    default: {
      const { holds, observed } = measureCondition(rule, state, nowMs);
      return { path, rule: text, holds, observed };
    }
  }
}
