// Lifecycle stages: an ordered funnel whose stages are rules. A profile's current stage is the
// furthest stage whose rule holds now (not "the furthest ever reached"): with the default
// funnels' rules, which look at all history, that only moves forward; a stage defined with
// a window ("regular: donated 3 times in the last year") is lost when the window empties,
// which is what a marketer means by a lapsed regular. Pure: the realtime processor keeps the
// stages and their history (src/segments/live/processor.ts).
import type { SegmentRule } from './ast.ts';
import { checkRuleJson, checkRuleText } from './check.ts';
import { evaluateRule } from './incremental/evaluate.ts';
import type { ProfileSegmentState } from './incremental/state.ts';
import type { RuleIssue } from './issues.ts';
import { pointer } from './issues.ts';
import { printRule } from './print.ts';
import type { ValidationContext } from './validate.ts';

export interface FunnelStage {
  id: string;
  name: string;
  rule: SegmentRule;
}

export interface FunnelDefinition {
  id: string;
  name: string;
  stages: FunnelStage[];
}

/** The funnel whose current stage is the `stage` fact rules read (`stage = action`). */
export const PRIMARY_FUNNEL_ID = 'lifecycle';

const text = (source: string): SegmentRule => {
  const checked = checkRuleText(source);
  if (!checked.ok) throw new Error(`built-in stage rule does not parse: ${source}`);
  return checked.value;
};

/** Segment's e-commerce spec: viewing is interest, a checkout motivation, an order action. */
export const ECOMMERCE_FUNNEL: FunnelDefinition = {
  id: PRIMARY_FUNNEL_ID,
  name: 'E-commerce lifecycle',
  stages: [
    { id: 'awareness', name: 'Awareness', rule: text('first seen after 1970-01-01') },
    { id: 'interest', name: 'Interest', rule: text('performed "Product Viewed"') },
    { id: 'motivation', name: 'Motivation', rule: text('performed "Checkout Started"') },
    { id: 'action', name: 'Action', rule: text('performed "Order Completed"') },
    {
      id: 'relationship',
      name: 'Relationship',
      rule: text('performed "Order Completed" at least 2 times or performed "Subscription Started"'),
    },
  ],
};

/** A charity's path from hearing of it to giving regularly; "regular" lapses after a year. */
export const NONPROFIT_FUNNEL: FunnelDefinition = {
  id: 'supporter',
  name: 'Supporter journey',
  stages: [
    { id: 'aware', name: 'Aware', rule: text('first seen after 1970-01-01') },
    {
      id: 'interested',
      name: 'Interested',
      rule: text('performed "Campaign Viewed" or performed "Newsletter Subscribed"'),
    },
    { id: 'signed_up', name: 'Signed up', rule: text('performed "Signed Up"') },
    {
      id: 'volunteered_or_donated',
      name: 'Volunteered or donated',
      rule: text('performed "Volunteer Shift Completed" or performed "Donation Completed"'),
    },
    {
      id: 'regular',
      name: 'Regular',
      rule: text('performed "Donation Completed" at least 3 times in last 365 days'),
    },
  ],
};

/** The index of the furthest stage whose rule holds, or -1 when none does. */
export function stageIndexOf(funnel: FunnelDefinition, state: ProfileSegmentState, now: Date): number {
  for (let i = funnel.stages.length - 1; i >= 0; i--) {
    if (evaluateRule((funnel.stages[i] as FunnelStage).rule, state, now)) return i;
  }
  return -1;
}

export function stageOf(funnel: FunnelDefinition, state: ProfileSegmentState, now: Date): string | null {
  const index = stageIndexOf(funnel, state, now);
  return index < 0 ? null : (funnel.stages[index] as FunnelStage).id;
}

const ID = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/**
 * A funnel as sent by the API or `rapport apply`: `{id, name, stages: [{id, name?, rule | text}]}`.
 * All issues at once, each with a JSON pointer into the definition.
 */
export function checkFunnel(
  input: unknown,
  context: ValidationContext = {},
): { ok: true; value: FunnelDefinition } | { ok: false; issues: RuleIssue[] } {
  const issues: RuleIssue[] = [];
  const body = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  if (typeof body.id !== 'string' || !ID.test(body.id))
    issues.push({ path: '/id', message: 'a funnel id is lowercase letters, digits, - and _ (at most 63)' });
  if (!Array.isArray(body.stages) || body.stages.length === 0)
    issues.push({ path: '/stages', message: 'a funnel has at least one stage' });
  const stages: FunnelStage[] = [];
  const seen = new Set<string>();
  for (const [i, raw] of (Array.isArray(body.stages) ? body.stages : []).entries()) {
    const base = pointer('', 'stages', i);
    const stage = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    const id = stage.id;
    if (typeof id !== 'string' || !ID.test(id)) {
      issues.push({ path: `${base}/id`, message: 'a stage id is lowercase letters, digits, - and _' });
      continue;
    }
    if (seen.has(id)) issues.push({ path: `${base}/id`, message: `stage "${id}" appears twice` });
    seen.add(id);
    const checked =
      typeof stage.text === 'string'
        ? checkRuleText(stage.text, context)
        : checkRuleJson(stage.rule, context);
    if (!checked.ok) {
      for (const issue of checked.issues)
        issues.push({
          ...issue,
          path: `${base}/${typeof stage.text === 'string' ? 'text' : 'rule'}${issue.path}`,
        });
      continue;
    }
    stages.push({ id, name: typeof stage.name === 'string' ? stage.name : id, rule: checked.value });
  }
  if (issues.length > 0) return { ok: false, issues };
  const name = typeof body.name === 'string' ? body.name : (body.id as string);
  return { ok: true, value: { id: body.id as string, name, stages } };
}

/** The funnel as the API shows it: rules in both forms. */
export function describeFunnel(funnel: FunnelDefinition) {
  return {
    id: funnel.id,
    name: funnel.name,
    stages: funnel.stages.map((s) => ({ id: s.id, name: s.name, rule: s.rule, text: printRule(s.rule) })),
  };
}
