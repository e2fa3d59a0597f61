// Pure: what a running experiment serves right now. An experiment attached to a placement (its
// arms are offer ids) or to a journey split in bandit mode has a live plan: its arms and their
// current weights, the arms' own weights when fixed, Thompson sampling's (banditWeights) when a
// bandit. A person's arm is the hash of the experiment and their unit over those weights, so it
// holds between two refreshes; a bandit's weights move at each refresh, as GrowthBook's do.
import { assignByWeights, assignment } from './assign.ts';
import { type BanditArm, banditWeights } from './bandit.ts';
import { DEFAULT_BANDIT_POLICY, type Experiment } from './definition.ts';

/** The journey split's holdout keeps its own share: a bandit weighs the treated arms only. */
export const HOLDOUT_ARM = 'holdout';

export interface LivePlan {
  experiment: Experiment;
  arms: Experiment['arms'];
  weights: number[];
}

/** Does this experiment change what is served while it runs? */
export function needsPlan(experiment: Experiment): boolean {
  if (experiment.status !== 'running') return false;
  if (experiment.attachment.kind === 'placement' || experiment.attachment.kind === 'channel') return true;
  return experiment.attachment.kind === 'journey' && experiment.mode === 'bandit';
}

/** The arms a plan weighs: a journey split's holdout is the split's, not the bandit's. */
export function plannedArms(experiment: Experiment): Experiment['arms'] {
  return experiment.attachment.kind === 'journey'
    ? experiment.arms.filter((arm) => arm.id !== HOLDOUT_ARM)
    : experiment.arms;
}

/**
 * The plan: fixed weights (renormalised over the planned arms), or for a bandit its weights
 * from each arm's trials and successes (`stats`, matched by arm id; an arm not in it has none).
 */
export function planFor(experiment: Experiment, stats?: readonly BanditArm[]): LivePlan {
  const arms = plannedArms(experiment);
  if (experiment.mode !== 'bandit' || !stats) {
    const total = arms.reduce((sum, arm) => sum + arm.weight, 0);
    return {
      experiment,
      arms,
      weights: arms.map((arm) => (total > 0 ? arm.weight / total : 1 / arms.length)),
    };
  }
  const byId = new Map(stats.map((arm) => [arm.id, arm]));
  const banditArms = arms.map((arm) => byId.get(arm.id) ?? { id: arm.id, impressions: 0, clicks: 0 });
  return { experiment, arms, weights: banditWeights(banditArms, experiment.bandit ?? DEFAULT_BANDIT_POLICY) };
}

/** The person's arm now, or undefined outside the experiment's running window. */
export function liveArm(plan: LivePlan, unit: string, now: Date): Experiment['arms'][number] | undefined {
  if (!assignment(plan.experiment, unit, now).inExperiment) return undefined;
  return plan.arms[assignByWeights(plan.experiment.id, unit, plan.weights)];
}

/** Inside the experiment's running window now. */
export function isLive(plan: LivePlan, now: Date): boolean {
  return assignment(plan.experiment, '', now).inExperiment;
}

/** A journey split's arm weights (arm name → share of the treated), for the conductor. */
export function splitWeightsOf(plan: LivePlan): Record<string, number> {
  return Object.fromEntries(plan.arms.map((arm, i) => [arm.id, plan.weights[i] as number]));
}
