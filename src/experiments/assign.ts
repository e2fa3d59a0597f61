// Deterministic assignment: a person's arm is a hash of the experiment id and their unit key, so
// no assignment is stored and every server answers the same. The unit is the userId when the
// caller knows it (so a person keeps their arm on every device once identified), else the
// anonymousId; the hash is GrowthBook's idea (FNV there, SHA-256 here, as journeys' splits).
import { createHash } from 'node:crypto';
import type { Experiment } from './definition.ts';

/** A number in [0, 1), the same for the same experiment and unit. */
export function unitHash(experimentId: string, unit: string): number {
  const digest = createHash('sha256').update(`${experimentId}\u0000${unit}`).digest();
  return digest.readUInt32BE(0) / 2 ** 32;
}

export function unitKey(person: {
  userId?: string | undefined;
  anonymousId?: string | undefined;
}): string | undefined {
  if (person.userId) return `u:${person.userId}`;
  if (person.anonymousId) return `a:${person.anonymousId}`;
  return undefined;
}

/** The arm whose cumulative weight range holds the unit's hash. */
export function assignArm(
  experiment: Pick<Experiment, 'id' | 'arms'>,
  unit: string,
): Experiment['arms'][number] {
  const point = unitHash(experiment.id, unit);
  let upper = 0;
  for (const arm of experiment.arms) {
    upper += arm.weight;
    if (point < upper) return arm;
  }
  return experiment.arms[experiment.arms.length - 1] as Experiment['arms'][number];
}

export type AssignmentOutcome =
  | { inExperiment: true; arm: Experiment['arms'][number] }
  | {
      inExperiment: false;
      arm: Experiment['arms'][number];
      reason: 'not_running' | 'not_started' | 'stopped';
    };

/** Outside its running window everyone sees the control and nothing is logged. */
export function assignment(experiment: Experiment, unit: string, now: Date): AssignmentOutcome {
  const control = experiment.arms[0] as Experiment['arms'][number];
  if (experiment.status !== 'running') return { inExperiment: false, arm: control, reason: 'not_running' };
  if (experiment.startAt && now.getTime() < Date.parse(experiment.startAt)) {
    return { inExperiment: false, arm: control, reason: 'not_started' };
  }
  if (experiment.stopAt && now.getTime() >= Date.parse(experiment.stopAt)) {
    return { inExperiment: false, arm: control, reason: 'stopped' };
  }
  return { inExperiment: true, arm: assignArm(experiment, unit) };
}

/** The index whose cumulative weight range holds the unit's hash (weights summing up to 1). */
export function assignByWeights(experimentId: string, unit: string, weights: readonly number[]): number {
  const point = unitHash(experimentId, unit);
  let upper = 0;
  for (let i = 0; i < weights.length; i++) {
    upper += weights[i] as number;
    if (point < upper) return i;
  }
  return weights.length - 1;
}
