// Churn risk for subscribers: a logistic regression of "cancelled within the horizon" on
// engagement signals observed at a past cutoff, fitted on the subscribers and checked by
// cross-validation (AUC of out-of-fold scores), then applied to today's signals.
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
  /** Cross-validated AUC: each subscriber scored by a model that did not see them; null with one class. */
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

/** Below this many churners (or stayers) in each fold's training part, a fitted model would be noise. */
export const MIN_CLASS_EXAMPLES = 10;
const DEFAULT_FOLDS = 5;

/**
 * Fits on every subscriber, and measures the AUC by k-fold cross-validation: each subscriber is
 * scored by a model fitted on the other folds (split by profile id hash), and the AUC is taken
 * over all those out-of-fold scores. With a few dozen churners one 30% holdout held a handful,
 * and its AUC swung between 0.45 and 0.65 on the same data; every subscriber held out once
 * uses them all.
 */
export function fitChurnModel(
  examples: readonly ChurnExample[],
  options: { folds?: number } = {},
): ChurnFitResult {
  if (examples.length === 0) {
    return { model: null, baseRate: null, warnings: ['no subscriber history to learn churn from'] };
  }
  const churners = examples.filter((example) => example.churned).length;
  const stayers = examples.length - churners;
  const baseRate = churners / examples.length;
  const folds = Math.max(2, Math.floor(options.folds ?? DEFAULT_FOLDS));
  // Each fold's training part holds (folds − 1) / folds of each class.
  const needed = Math.ceil((MIN_CLASS_EXAMPLES * folds) / (folds - 1));
  if (Math.min(churners, stayers) < needed) {
    return {
      model: null,
      baseRate,
      warnings: [
        `churn model not fitted: the subscribers hold ${churners} churners and ${stayers} stayers, and at least ${needed} of each are needed; subscribers' churn risk shows as not enough data (the observed churn rate is ${(baseRate * 100).toFixed(1)}%)`,
      ],
    };
  }
  const fit = fitOn(examples);
  const outOfFold = new Array<number>(examples.length);
  const foldOf = examples.map((example) => foldOfProfile(example.profileId, folds));
  for (let fold = 0; fold < folds; fold++) {
    const training = examples.filter((_, i) => foldOf[i] !== fold);
    const foldFit = fitOn(training);
    examples.forEach((example, i) => {
      if (foldOf[i] === fold) outOfFold[i] = predictLogistic(foldFit, churnFeatureVector(example.signals));
    });
  }
  const labels = examples.map((example) => example.churned);
  const model: ChurnModel = {
    fit,
    trainedOn: examples.length,
    heldOut: examples.length,
    heldOutAuc: areaUnderCurve(outOfFold, labels),
    trainingAuc: aucOf(fit, examples),
    baseRate,
  };
  return { model, baseRate, warnings: churnWarnings(model) };
}

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

function fitOn(examples: readonly ChurnExample[]): LogisticFit {
  return fitLogistic(
    CHURN_FEATURES,
    examples.map((example) => churnFeatureVector(example.signals)),
    examples.map((example) => example.churned),
  );
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

/**
 * P(cancels within the horizon) for today's signals; null when there is no model. The base
 * rate is not given instead: the same number for every subscriber is not a prediction, and
 * "revenue at risk" would be revenue × that rate every month.
 */
export function churnRisk(fit: ChurnFitResult, signals: ChurnSignals): number | null {
  if (fit.model) return predictLogistic(fit.model.fit, churnFeatureVector(signals));
  return null;
}

/**
 * A stable split: the same profile is always on the same side, so a rerun on the same data
 * gives the same AUC. FNV-1a of the id, as a share in [0, 1).
 */
export function isHeldOut(profileId: string, share: number): boolean {
  return profileShare(profileId) < share;
}

/** The profile's fold of `folds`, from the same hash as `isHeldOut`. */
export function foldOfProfile(profileId: string, folds: number): number {
  return Math.min(folds - 1, Math.floor(profileShare(profileId) * folds));
}

function profileShare(profileId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < profileId.length; i++) {
    hash ^= profileId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) / 2 ** 32;
}
