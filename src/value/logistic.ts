// Logistic regression by maximum likelihood (Newton's method, a.k.a. IRLS) and the area under
// the ROC curve. Why not ml-logistic-regression: it runs a fixed number of gradient steps
// (50,000 by default) at a fixed learning rate on the summed gradient, with no intercept, no
// scaling and no convergence test; on a million rows that is slow and may diverge. Newton's
// method on standardised columns converges in a handful of passes, each pass one sweep over
// the rows plus a d×d solve (ml-matrix), and the final Hessian gives standard errors.
import { CholeskyDecomposition, inverse, Matrix } from 'ml-matrix';
import { averageRanks } from './ranks.ts';

export interface LogisticFit {
  /** Column names, in the order of `coefficients`. */
  names: readonly string[];
  intercept: number;
  /** Per column, on the scale of the data handed in. */
  coefficients: number[];
  /** Per column, per standard deviation of the column: comparable across columns. */
  standardisedCoefficients: number[];
  /** Standard errors of `coefficients`; null where the column is constant or the Hessian singular. */
  standardErrors: (number | null)[];
  means: number[];
  scales: number[];
  iterations: number;
  converged: boolean;
  logLikelihood: number;
}

export interface LogisticOptions {
  /** Ridge penalty on the standardised coefficients (not the intercept); keeps separable data finite. */
  ridge?: number;
  maxIterations?: number;
}

const DEFAULT_RIDGE = 1e-3;
const TOLERANCE = 1e-9;

/** Fits P(y = 1 | x) = σ(b0 + Σ b_j x_j). `rows[i]` has one number per name. */
export function fitLogistic(
  names: readonly string[],
  rows: readonly (readonly number[])[],
  labels: readonly boolean[],
  options: LogisticOptions = {},
): LogisticFit {
  const d = names.length;
  const { means, scales } = columnScales(rows, d);
  const ridge = options.ridge ?? DEFAULT_RIDGE;
  // beta[0] is the intercept; beta[1..d] the standardised coefficients.
  let beta = new Array<number>(d + 1).fill(0);
  beta[0] = logit(clampShare(labels.filter(Boolean).length / Math.max(1, labels.length)));
  let iterations = 0;
  let converged = false;
  let hessian = new Matrix(d + 1, d + 1);
  const maxIterations = options.maxIterations ?? 50;
  while (iterations < maxIterations) {
    iterations += 1;
    const step = newtonStep(rows, labels, beta, means, scales, ridge);
    hessian = step.hessian;
    const delta = solveOrZero(hessian, step.gradient);
    beta = beta.map((value, index) => value + delta[index]!);
    if (delta.every((value) => Math.abs(value) < TOLERANCE * (1 + Math.abs(beta[0]!)))) {
      converged = true;
      break;
    }
  }
  return toFit(names, beta, hessian, means, scales, iterations, converged, rows, labels);
}

function toFit(
  names: readonly string[],
  beta: number[],
  hessian: Matrix,
  means: number[],
  scales: number[],
  iterations: number,
  converged: boolean,
  rows: readonly (readonly number[])[],
  labels: readonly boolean[],
): LogisticFit {
  const standardised = beta.slice(1);
  const coefficients = standardised.map((value, j) => (scales[j]! > 0 ? value / scales[j]! : 0));
  const intercept = beta[0]! - coefficients.reduce((sum, value, j) => sum + value * means[j]!, 0);
  const covariance = inverseOrNull(hessian);
  const standardErrors = standardised.map((_, j) => {
    const variance = covariance?.get(j + 1, j + 1);
    if (variance === undefined || !(variance > 0) || scales[j] === 0) return null;
    return Math.sqrt(variance) / scales[j]!;
  });
  const fit: LogisticFit = {
    names,
    intercept,
    coefficients,
    standardisedCoefficients: standardised,
    standardErrors,
    means,
    scales,
    iterations,
    converged,
    logLikelihood: 0,
  };
  fit.logLikelihood = logisticLogLikelihood(fit, rows, labels);
  return fit;
}

/** The predicted probability for one row. */
export function predictLogistic(
  fit: Pick<LogisticFit, 'intercept' | 'coefficients'>,
  row: readonly number[],
): number {
  let z = fit.intercept;
  for (let j = 0; j < fit.coefficients.length; j++) z += fit.coefficients[j]! * (row[j] ?? 0);
  return sigmoid(z);
}

export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

function logit(p: number): number {
  return Math.log(p / (1 - p));
}

function clampShare(p: number): number {
  return Math.min(1 - 1e-6, Math.max(1e-6, p));
}

function logisticLogLikelihood(
  fit: Pick<LogisticFit, 'intercept' | 'coefficients'>,
  rows: readonly (readonly number[])[],
  labels: readonly boolean[],
): number {
  let total = 0;
  for (let i = 0; i < rows.length; i++) {
    const p = clampShare(predictLogistic(fit, rows[i]!));
    total += labels[i] ? Math.log(p) : Math.log(1 - p);
  }
  return total;
}

function columnScales(
  rows: readonly (readonly number[])[],
  d: number,
): { means: number[]; scales: number[] } {
  const means = new Array<number>(d).fill(0);
  const squares = new Array<number>(d).fill(0);
  for (const row of rows) for (let j = 0; j < d; j++) means[j]! += row[j] ?? 0;
  const n = Math.max(1, rows.length);
  for (let j = 0; j < d; j++) means[j]! /= n;
  for (const row of rows) {
    for (let j = 0; j < d; j++) {
      const centred = (row[j] ?? 0) - means[j]!;
      squares[j]! += centred * centred;
    }
  }
  // A constant column gets scale 0: it is fed to the model as zeros and keeps coefficient 0.
  const scales = squares.map((sum) => {
    const sd = Math.sqrt(sum / n);
    return sd > 1e-12 ? sd : 0;
  });
  return { means, scales };
}

/** Gradient and Hessian of the penalised log-likelihood at beta, in one pass over the rows. */
function newtonStep(
  rows: readonly (readonly number[])[],
  labels: readonly boolean[],
  beta: readonly number[],
  means: readonly number[],
  scales: readonly number[],
  ridge: number,
): { gradient: number[]; hessian: Matrix } {
  const k = beta.length;
  const gradient = new Float64Array(k);
  const information = new Float64Array(k * k);
  const x = new Float64Array(k);
  x[0] = 1;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    let z = beta[0]!;
    for (let j = 1; j < k; j++) {
      const scale = scales[j - 1]!;
      x[j] = scale > 0 ? ((row[j - 1] ?? 0) - means[j - 1]!) / scale : 0;
      z += beta[j]! * x[j]!;
    }
    const p = sigmoid(z);
    const residual = (labels[i] ? 1 : 0) - p;
    const weight = p * (1 - p);
    for (let a = 0; a < k; a++) {
      gradient[a]! += residual * x[a]!;
      const wa = weight * x[a]!;
      for (let b = a; b < k; b++) information[a * k + b]! += wa * x[b]!;
    }
  }
  const hessian = new Matrix(k, k);
  for (let a = 0; a < k; a++) {
    for (let b = a; b < k; b++) {
      const value = information[a * k + b]! + (a === b && a > 0 ? ridge : 0);
      hessian.set(a, b, value);
      hessian.set(b, a, value);
    }
  }
  const penalised = Array.from(gradient, (value, a) => (a > 0 ? value - ridge * beta[a]! : value));
  // Constant columns have no information: pin them with a unit diagonal so the solve is defined.
  for (let a = 1; a < k; a++) if (scales[a - 1] === 0) hessian.set(a, a, 1);
  return { gradient: penalised, hessian };
}

function solveOrZero(hessian: Matrix, gradient: number[]): number[] {
  const cholesky = new CholeskyDecomposition(hessian);
  if (!cholesky.isPositiveDefinite()) return gradient.map(() => 0);
  return cholesky.solve(Matrix.columnVector(gradient)).to1DArray();
}

function inverseOrNull(hessian: Matrix): Matrix | null {
  if (!new CholeskyDecomposition(hessian).isPositiveDefinite()) return null;
  return inverse(hessian);
}

/**
 * Area under the ROC curve: the probability that a random positive scores above a random
 * negative (ties count half), computed as the Mann-Whitney U statistic from average ranks.
 * null when there are no positives or no negatives (nothing to separate).
 */
export function areaUnderCurve(scores: readonly number[], labels: readonly boolean[]): number | null {
  const positives = labels.filter(Boolean).length;
  const negatives = labels.length - positives;
  if (positives === 0 || negatives === 0) return null;
  const ranked = averageRanks(scores);
  let positiveRankSum = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i]) positiveRankSum += ranked[i]!;
  return (positiveRankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}
