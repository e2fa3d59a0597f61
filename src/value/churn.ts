// Churn risk for subscribers: a logistic regression of "cancelled within the horizon" on
// engagement signals observed at a past cutoff, fitted on part of the subscribers and checked
// on the rest (AUC on held-out subscribers), then applied to today's signals.
import { areaUnderCurve, fitLogistic, type LogisticFit, predictLogistic } from './logistic.ts';

/** The engagement signals of one subscriber at one moment. */
export interface ChurnSignals {
  /** Days since the last time they used the product (page, screen or their own track events). */
  daysSinceLastUse: number;
  /** Support tickets opened in the signal window. */
  supportTickets: number;
  /** Emails opened in the signal window. */
  emailOpens: number;
  /** Payments that failed in the signal window. */
  paymentFailures: number;
  /** Days since the subscription started. */
  tenureDays: number;
}

export const CHURN_FEATURES = [
  'log_days_since_last_use',
  'log_support_tickets',
  'log_email_opens',
  'log_payment_failures',
  'log_tenure_days',
] as const;

export interface ChurnExample {
  profileId: string;
  signals: ChurnSignals;
  /** Cancelled within the horizon after the cutoff. */
  churned: boolean;
}

export interface ChurnModel {
  fit: LogisticFit;
  trainedOn: number;
  heldOut: number;
  /** AUC on the held-out subscribers; null when they hold no churner or no stayer. */
  heldOutAuc: number | null;
  /** AUC on the training subscribers, to compare: a big gap means over-fitting. */
  trainingAuc: number | null;
  /** Share of the examples that churned. */
  baseRate: number;
}

export interface ChurnFitResult {
  /** null when there are too few churners or stayers to fit; `warnings` says why. */
  model: ChurnModel | null;
  baseRate: number | null;
  warnings: string[];
}

/** Below this many churners (or stayers) in training, a fitted model would be noise. */
export const MIN_CLASS_EXAMPLES = 10;
const DEFAULT_HOLDOUT_SHARE = 0.3;

/**
 * The model's inputs: log(1 + signal), because a tenth ticket says less than the first and
 * days since last use matter most in the first weeks. Negative or non-finite signals count as 0.
 */
export function churnFeatureVector(signals: ChurnSignals): number[] {
  return [
    signals.daysSinceLastUse,
    signals.supportTickets,
    signals.emailOpens,
    signals.paymentFailures,
    signals.tenureDays,
  ].map((value) => Math.log1p(Number.isFinite(value) && value > 0 ? value : 0));
}

/** Fits on the training share and measures AUC on the held-out share (split by profile id hash). */
export function fitChurnModel(
  examples: readonly ChurnExample[],
  options: { holdoutShare?: number } = {},
): ChurnFitResult {
  if (examples.length === 0) {
    return { model: null, baseRate: null, warnings: ['no subscriber history to learn churn from'] };
  }
  const churners = examples.filter((example) => example.churned).length;
  const baseRate = churners / examples.length;
  const holdoutShare = options.holdoutShare ?? DEFAULT_HOLDOUT_SHARE;
  const heldOut = examples.filter((example) => isHeldOut(example.profileId, holdoutShare));
  const training = examples.filter((example) => !isHeldOut(example.profileId, holdoutShare));
  const trainingChurners = training.filter((example) => example.churned).length;
  const trainingStayers = training.length - trainingChurners;
  if (Math.min(trainingChurners, trainingStayers) < MIN_CLASS_EXAMPLES) {
    return {
      model: null,
      baseRate,
      warnings: [
        `churn model not fitted: the training subscribers hold ${trainingChurners} churners and ${trainingStayers} stayers, and at least ${MIN_CLASS_EXAMPLES} of each are needed; every subscriber gets the observed churn rate (${(baseRate * 100).toFixed(1)}%)`,
      ],
    };
  }
  const fit = fitLogistic(
    CHURN_FEATURES,
    training.map((example) => churnFeatureVector(example.signals)),
    training.map((example) => example.churned),
  );
  const model: ChurnModel = {
    fit,
    trainedOn: training.length,
    heldOut: heldOut.length,
    heldOutAuc: aucOf(fit, heldOut),
    trainingAuc: aucOf(fit, training),
    baseRate,
  };
  return { model, baseRate, warnings: churnWarnings(model) };
}

function churnWarnings(model: ChurnModel): string[] {
  const warnings: string[] = [];
  if (!model.fit.converged)
    warnings.push('churn model: the fit did not converge; treat its scores with caution');
  if (model.heldOutAuc === null) {
    warnings.push(
      'churn model: the held-out subscribers hold no churner or no stayer, so its AUC is unknown',
    );
  } else if (model.heldOutAuc < 0.6) {
    warnings.push(
      `churn model: held-out AUC ${model.heldOutAuc.toFixed(3)} is close to a coin toss (0.5); the signals say little about who cancels`,
    );
  }
  return warnings;
}

function aucOf(fit: LogisticFit, examples: readonly ChurnExample[]): number | null {
  const scores = examples.map((example) => predictLogistic(fit, churnFeatureVector(example.signals)));
  return areaUnderCurve(
    scores,
    examples.map((example) => example.churned),
  );
}

/** P(cancels within the horizon) for today's signals; the base rate when there is no model. */
export function churnRisk(fit: ChurnFitResult, signals: ChurnSignals): number | null {
  if (fit.model) return predictLogistic(fit.model.fit, churnFeatureVector(signals));
  return fit.baseRate;
}

/**
 * A stable split: the same profile is always on the same side, so a rerun on the same data
 * gives the same AUC. FNV-1a of the id, as a share in [0, 1).
 */
export function isHeldOut(profileId: string, share: number): boolean {
  let hash = 0x811c9dc5;
  for (let i = 0; i < profileId.length; i++) {
    hash ^= profileId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) / 2 ** 32 < share;
}
