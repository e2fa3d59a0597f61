// Branch rules are segment rules (`src/segments/`) evaluated for one person at the moment of
// the branch: traits and consent from the profile, and — when a rule counts events — the
// person's history from the event store. `advanceJourney` takes a synchronous predicate, so
// the state is built before advancing and the predicate only evaluates.

import {
  applyEvent,
  decodeRuleJson,
  emptyProfileState,
  evaluateRule,
  factKey,
  planTracking,
  referencedSegments,
  type SegmentRule,
} from '../../segments/index.ts';
import type { EventReader, SegmentStore, StoredEvent } from '../../store/index.ts';
import type { RulePredicate } from '../journey/advance.ts';
import type { JourneyDefinition } from '../journey/definition.ts';
import type { PersonFacts } from './person.ts';

/** Events read per person for branch rules that count events. */
export const BRANCH_HISTORY_LIMIT = 1000;

/**
 * Thrown by a predicate built without the person's history when a rule counts events. The
 * runner's steps run inside a write transaction on the state file, and the history is a round
 * trip to the pipeline worker, whose processors wait for that same lock (and whose warehouse
 * waits for them): reading it there would deadlock. So the step rolls back, reads the history
 * with no lock held, and runs again (everything it does is idempotent). Most inputs never
 * reach such a branch (an entry into a wait).
 */
export class NeedsHistory extends Error {
  constructor(readonly profileId: string) {
    super(`branch rule needs the event history of ${profileId}`);
  }
}

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
  segments?: SegmentStore,
  /** The person's events, newest first, read outside the transaction; without them a rule that counts events throws NeedsHistory. */
  history?: readonly StoredEvent[],
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
  // `in_segment`: the person's live memberships, read only when a rule asks.
  if (segments && rules.some((r) => referencedSegments(r.rule).length > 0)) {
    for (const member of await segments.membershipsOfProfile(person.profileId))
      state.facts[factKey.segment(member.segmentId)] = true;
  }
  if (plan.trackers.size > 0 && events && history)
    for (const event of [...history].reverse()) state = applyEvent(plan, state, event);
  const byRaw = new Map(rules.map((r) => [r.raw, r.rule]));
  const at = new Date(now);
  const counts = new Set(rules.filter((r) => planTracking([r.rule]).trackers.size > 0).map((r) => r.raw));
  return (raw) => {
    const rule = byRaw.get(raw);
    if (rule && !history && events && counts.has(raw)) throw new NeedsHistory(person.profileId);
    return rule ? evaluateRule(rule, state, at) : false;
  };
}

/** Reads the person's history for branch rules (outside any transaction). */
export function historyOf(events: EventReader, profileId: string): Promise<StoredEvent[]> {
  return events.eventsOf({ profileIds: [profileId], limit: BRANCH_HISTORY_LIMIT });
}
