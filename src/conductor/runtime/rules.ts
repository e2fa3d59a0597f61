// Branch rules are segment rules (`src/segments/`) evaluated for one person at the moment of
// the branch: traits and consent from the profile, and — when a rule counts events — the
// person's history from the event store. `advanceJourney` takes a synchronous predicate, so
// the state is built before advancing and the predicate only evaluates.

import type { EventReader } from '../../pipeline/index.ts';
import {
  applyEvent,
  decodeRuleJson,
  emptyProfileState,
  evaluateRule,
  factKey,
  planTracking,
  type SegmentRule,
} from '../../segments/index.ts';
import type { RulePredicate } from '../journey/advance.ts';
import type { JourneyDefinition } from '../journey/definition.ts';
import type { PersonFacts } from './person.ts';

/** Events read per person for branch rules that count events. */
export const BRANCH_HISTORY_LIMIT = 1000;

const decodedRules = new WeakMap<object, SegmentRule>();

function branchRules(definition: JourneyDefinition): Array<{ raw: unknown; rule: SegmentRule }> {
  const rules: Array<{ raw: unknown; rule: SegmentRule }> = [];
  for (const step of definition.steps) {
    if (step.type !== 'branch') continue;
    for (const c of step.cases) {
      if (typeof c.rule !== 'object' || c.rule === null) continue;
      let rule = decodedRules.get(c.rule);
      if (!rule) {
        const decoded = decodeRuleJson(c.rule);
        if (!decoded.ok) continue; // refused at save; an old version's rule that no longer decodes never holds
        rule = decoded.value;
        decodedRules.set(c.rule, rule);
      }
      rules.push({ raw: c.rule, rule });
    }
  }
  return rules;
}

export async function rulePredicateFor(
  definition: JourneyDefinition,
  person: PersonFacts,
  events: EventReader | undefined,
  now: string,
): Promise<RulePredicate> {
  const rules = branchRules(definition);
  if (rules.length === 0) return () => false;
  const plan = planTracking(rules.map((r) => r.rule));
  let state = emptyProfileState();
  for (const [key, trait] of Object.entries(person.profile?.traits ?? {})) {
    state.traits[key] = { value: trait.value, atMs: Date.parse(trait.at), messageId: trait.messageId };
  }
  for (const [purpose, consent] of Object.entries(person.consent))
    state.facts[factKey.consent(purpose)] = consent;
  if (person.profile) {
    state.firstSeenMs = Date.parse(person.profile.firstSeen);
    state.lastSeenMs = Date.parse(person.profile.lastSeen);
  }
  if (plan.trackers.size > 0 && events) {
    const history = await events.eventsOf({ profileIds: [person.profileId], limit: BRANCH_HISTORY_LIMIT });
    for (const event of [...history].reverse()) state = applyEvent(plan, state, event);
  }
  const byRaw = new Map(rules.map((r) => [r.raw, r.rule]));
  const at = new Date(now);
  return (raw) => {
    const rule = byRaw.get(raw);
    return rule ? evaluateRule(rule, state, at) : false;
  };
}
