// Offer rules on the render path read what is in memory: a person's traits. An offer rule is
// a segment rule (the same JSON as segments) made of trait conditions joined by and / or / not;
// anything that needs the event history (performed, aggregate …) is refused at save with a
// pointer to the alternative: compute it into a trait (a computed property) first.
import type { ProfileFacts } from '../conductor/index.ts';
import { decodeRuleJson, formatIssues, passesComparison, type SegmentRule } from '../segments/index.ts';

const ALLOWED = new Set(['trait', 'and', 'or', 'not']);

function kindsIn(rule: SegmentRule, found: Set<string>): Set<string> {
  found.add(rule.kind);
  if (rule.kind === 'and' || rule.kind === 'or') for (const child of rule.rules) kindsIn(child, found);
  if (rule.kind === 'not') kindsIn(rule.rule, found);
  return found;
}

/** Undefined when the rule can be used on an offer, else why not. */
export function offerRuleProblem(rule: unknown): string | undefined {
  const decoded = decodeRuleJson(rule);
  if (!decoded.ok) return formatIssues(decoded.issues);
  const refused = [...kindsIn(decoded.value, new Set())].filter((kind) => !ALLOWED.has(kind));
  if (refused.length === 0) return undefined;
  return `offer rules may use trait conditions (with and, or, not) only, not ${refused.join(', ')}: compute behaviour into a trait first`;
}

function holds(rule: SegmentRule, traits: Readonly<Record<string, unknown>>): boolean {
  switch (rule.kind) {
    case 'and':
      return rule.rules.every((child) => holds(child, traits));
    case 'or':
      return rule.rules.some((child) => holds(child, traits));
    case 'not':
      return !holds(rule.rule, traits);
    case 'trait':
      return passesComparison(traits[rule.trait], rule.test);
    default:
      return false;
  }
}

// Decoded once per rule object: compilePlacements hands the same object on every call.
const decodedRules = new WeakMap<object, SegmentRule | null>();

function decodedOf(rule: unknown): SegmentRule | null {
  if (typeof rule !== 'object' || rule === null) return null;
  let decoded = decodedRules.get(rule);
  if (decoded === undefined) {
    const result = decodeRuleJson(rule);
    decoded = result.ok ? result.value : null;
    decodedRules.set(rule, decoded);
  }
  return decoded;
}

/** The conductor's RulePredicate for offers; rules were checked at save. */
export function evaluateOfferRule(rule: unknown, profile: ProfileFacts): boolean {
  const decoded = decodedOf(rule);
  return decoded !== null && holds(decoded, profile.traits);
}
