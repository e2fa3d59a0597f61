// The assumption audit's model: a belief is a structured claim about the customers (a share of
// them, or a difference between two groups of them), tested against who the data says satisfies
// each condition. Pure: the evidence comes in as sets of profile ids (evidence.ts reads them).

import { measureKey, type PersonFigures, testRivals } from './rivals.ts';
import {
  differenceInterval,
  peopleToSettleDifference,
  peopleToSettleShare,
  shareInterval,
  verdictAtLeast,
  verdictAtMost,
} from './stats.ts';
import type { Belief, Claim, Condition, Flip, GroupCount, TestResult } from './types.ts';

export { measureKey, type PersonFigures, type RivalClaim } from './rivals.ts';

export type { Belief, Claim, Condition, EventRef, Flip, GroupCount, TestResult, TraitOp } from './types.ts';

export interface Evidence {
  /** Every live profile. */
  everyone: ReadonlySet<string>;
  /** Condition key (conditionKey) → the profiles that satisfy it. */
  satisfying: ReadonlyMap<string, ReadonlySet<string>>;
  /** Measure key (measureKey) → per person, each channel's or persona's figure (rival claims). */
  figures?: ReadonlyMap<string, PersonFigures>;
}

export function conditionKey(condition: Condition): string {
  return JSON.stringify(condition, Object.keys(condition).sort());
}

/** Every condition a claim names, for the evidence reader. */
export function conditionsOf(claim: Claim): Condition[] {
  if (claim.kind === 'share') return [...claim.among, claim.have];
  if (claim.kind === 'difference') return [...claim.among, claim.group, claim.outcome];
  return [...claim.among];
}

function satisfying(evidence: Evidence, condition: Condition): ReadonlySet<string> {
  const set = evidence.satisfying.get(conditionKey(condition));
  if (!set) throw new Error(`no evidence read for ${conditionKey(condition)}`);
  return set;
}

function base(evidence: Evidence, among: readonly Condition[]): string[] {
  const sets = among.map((c) => satisfying(evidence, c));
  return [...evidence.everyone].filter((id) => sets.every((set) => set.has(id)));
}

const percent = (share: number) => `${(share * 100).toFixed(1)}%`;
const points = (share: number) => `${(share * 100).toFixed(1)} points`;

function testShare(
  claim: Extract<Claim, { kind: 'share' }>,
  evidence: Evidence,
  testedAt: string,
): TestResult {
  const people = base(evidence, claim.among);
  const have = satisfying(evidence, claim.have);
  const having = people.filter((id) => have.has(id)).length;
  const interval = shareInterval(having, people.length);
  const verdict =
    claim.direction === 'at_least'
      ? verdictAtLeast(interval, claim.share)
      : verdictAtMost(interval, claim.share);
  const settle =
    verdict === 'not_enough_data' ? peopleToSettleShare(interval.estimate, claim.share) : undefined;
  const evidenceText =
    people.length === 0
      ? 'nobody the belief is about is in the data yet'
      : `${having} of ${people.length} (${percent(interval.estimate)}; 95% interval ${percent(interval.low)} to ${percent(interval.high)}) against the ${claim.direction === 'at_least' ? 'at least' : 'at most'} ${percent(claim.share)} believed`;
  return {
    ...interval,
    verdict,
    threshold: claim.share,
    people: people.length,
    having,
    ...(settle === undefined ? {} : { peopleToSettle: settle }),
    evidence: evidenceText,
    testedAt,
  };
}

function testDifference(
  claim: Extract<Claim, { kind: 'difference' }>,
  evidence: Evidence,
  testedAt: string,
): TestResult {
  const people = base(evidence, claim.among);
  const inGroup = satisfying(evidence, claim.group);
  const outcome = satisfying(evidence, claim.outcome);
  const group: GroupCount = { people: 0, withOutcome: 0 };
  const rest: GroupCount = { people: 0, withOutcome: 0 };
  for (const id of people) {
    const counts = inGroup.has(id) ? group : rest;
    counts.people += 1;
    if (outcome.has(id)) counts.withOutcome += 1;
  }
  // "less" is "more" with the groups' roles swapped: test rest − group against the margin.
  const [first, second] = claim.direction === 'more' ? [group, rest] : [rest, group];
  const interval = differenceInterval(first.withOutcome, first.people, second.withOutcome, second.people);
  const verdict = verdictAtLeast(interval, claim.margin);
  const p1 = first.withOutcome / first.people;
  const p2 = second.withOutcome / second.people;
  const settle = verdict === 'not_enough_data' ? peopleToSettleDifference(p1, p2, claim.margin) : undefined;
  const rate = (c: GroupCount) =>
    c.people === 0 ? 'nobody' : `${c.withOutcome} of ${c.people} (${percent(c.withOutcome / c.people)})`;
  const evidenceText =
    group.people === 0 || rest.people === 0
      ? `one of the two groups is empty (group: ${group.people} people, the rest: ${rest.people})`
      : `group ${rate(group)} against the rest ${rate(rest)}: a gap of ${points(interval.estimate)} (95% interval ${points(interval.low)} to ${points(interval.high)}) against the ${points(claim.margin)} believed`;
  return {
    ...interval,
    verdict,
    threshold: claim.margin,
    people: people.length,
    group,
    rest,
    ...(settle === undefined ? {} : { peopleToSettle: settle }),
    evidence: evidenceText,
    testedAt,
  };
}

export function testClaim(claim: Claim, evidence: Evidence, now: Date): TestResult {
  const testedAt = now.toISOString();
  if (claim.kind === 'share') return testShare(claim, evidence, testedAt);
  if (claim.kind === 'difference') return testDifference(claim, evidence, testedAt);
  const figures = evidence.figures?.get(measureKey(claim));
  if (!figures) throw new Error(`no figures read for ${measureKey(claim)}`);
  return testRivals(claim, base(evidence, claim.among), figures, testedAt);
}

const MAX_FLIPS = 50;

/** The belief with its new result; a verdict that changed since the last test is recorded as a flip. */
export function withResult(belief: Belief, result: TestResult): { belief: Belief; flip?: Flip } {
  const before = belief.result?.verdict;
  if (before === undefined || before === result.verdict) return { belief: { ...belief, result } };
  const flip: Flip = {
    at: result.testedAt,
    from: before,
    to: result.verdict,
    estimate: result.estimate,
    people: result.people,
  };
  return { belief: { ...belief, result, flips: [...belief.flips, flip].slice(-MAX_FLIPS) }, flip };
}
