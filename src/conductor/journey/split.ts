// Random splits that are not random per visit: a person's bucket is a hash of the journey,
// the split step and their profile id, so the same person lands in the same arm every time
// they enter (sticky holdouts), and two splits in one journey are independent of each other.
import { createHash } from 'node:crypto';
import type { StepOf } from './definition.ts';

/** Buckets per 100%: percentages are honoured to two decimals. */
export const SPLIT_BUCKETS = 10_000;

export function splitBucket(journeyId: string, stepId: string, profileId: string): number {
  const digest = createHash('sha256').update(`${journeyId}\u0000${stepId}\u0000${profileId}`).digest();
  return digest.readUInt32BE(0) % SPLIT_BUCKETS;
}

export type SplitAssignment = { holdout: true; next: string } | { holdout: false; arm: string; next: string };

/**
 * The holdout takes the first buckets, then each arm in order. Changing the percentages of a
 * running split moves the people at the edges between arms: version the journey instead.
 */
export function assignSplit(
  step: StepOf<'split'>,
  bucket: number,
  armWeights?: Readonly<Record<string, number>>,
): SplitAssignment {
  let upper = Math.round(((step.holdout?.percent ?? 0) * SPLIT_BUCKETS) / 100);
  if (step.holdout && bucket < upper) return { holdout: true, next: step.holdout.next };
  const percents = armPercents(step, armWeights);
  for (const arm of step.arms) {
    upper += Math.round(((percents.get(arm.name) ?? 0) * SPLIT_BUCKETS) / 100);
    if (bucket < upper) return { holdout: false, arm: arm.name, next: arm.next };
  }
  const last = step.arms[step.arms.length - 1]!; // rounding can leave the top bucket unclaimed
  return { holdout: false, arm: last.name, next: last.next };
}

/**
 * The arms' percentages: the step's own, or while a bandit drives the split (an experiment in
 * bandit mode attached to it), the treated share (100 − holdout) divided by the bandit's weights.
 * The holdout keeps its share, so the journey's lift over it stays measurable.
 */
function armPercents(
  step: StepOf<'split'>,
  armWeights: Readonly<Record<string, number>> | undefined,
): Map<string, number> {
  const own = new Map(step.arms.map((arm) => [arm.name, arm.percent]));
  if (!armWeights) return own;
  const total = step.arms.reduce((sum, arm) => sum + Math.max(0, armWeights[arm.name] ?? 0), 0);
  if (!(total > 0)) return own;
  const treated = 100 - (step.holdout?.percent ?? 0);
  return new Map(
    step.arms.map((arm) => [arm.name, (treated * Math.max(0, armWeights[arm.name] ?? 0)) / total]),
  );
}
