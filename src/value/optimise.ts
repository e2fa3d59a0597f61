// Maximum likelihood in log-parameter space. The models' parameters are all positive, so the
// optimiser searches over log(θ), which keeps every trial point valid without constraints.
// numeric's uncmin (BFGS with a line search) does the searching, with the model's analytic
// gradient when it has one; the Hessian of the negative log-likelihood at the optimum
// (central finite differences of that gradient, or of the likelihood) gives the standard errors.
import { CholeskyDecomposition, inverse, Matrix } from 'ml-matrix';
import numeric from 'numeric';

export interface MaximumLikelihoodFit {
  /** Parameters on their natural (positive) scale. */
  params: number[];
  /** Standard errors on the natural scale; null when the Hessian is not positive definite. */
  standardErrors: (number | null)[];
  logLikelihood: number;
  iterations: number;
  converged: boolean;
  /** Why the standard errors or the fit are not to be trusted, in words; empty when fine. */
  warnings: string[];
}

export interface MaximiseOptions {
  /** Parameter names, for warnings. */
  names: readonly string[];
  /** Starting parameters on the natural scale. */
  start: readonly number[];
  maxIterations?: number;
  /**
   * The log-likelihood with its gradient with respect to the natural parameters written into
   * `gradient`. When given, BFGS uses it instead of finite differences (one pass over the data
   * per point instead of nine for four parameters), and the Hessian for the standard errors
   * is the central difference of this gradient.
   */
  valueAndGradient?: (params: readonly number[], gradient: number[]) => number;
}

// log-parameters beyond ±LOG_BOUND (θ above 1e13 or below 1e-13) mean the data do not pin the
// parameter down: the likelihood keeps improving towards a boundary.
const LOG_BOUND = 30;
const BOUNDARY_WARNING = 12;

/**
 * Maximises `logLikelihood(θ)` over positive θ. `logLikelihood` must return the total
 * log-likelihood of the data (not an average) so the Hessian is the observed information.
 */
export function maximiseLogLikelihood(
  logLikelihood: (params: readonly number[]) => number,
  count: number,
  options: MaximiseOptions,
): MaximumLikelihoodFit {
  const scale = Math.max(1, count);
  // The optimiser sees the mean negative log-likelihood so its tolerances do not depend on n.
  const objective = (logParams: number[]): number => {
    if (logParams.some((value) => Math.abs(value) > LOG_BOUND)) return Number.MAX_VALUE;
    const value = -logLikelihood(logParams.map(Math.exp)) / scale;
    return Number.isFinite(value) ? value : Number.MAX_VALUE;
  };
  const start = options.start.map(Math.log);
  const search = options.valueAndGradient
    ? analyticGradient(options.valueAndGradient, scale)
    : { objective, gradient: undefined };
  const maxIterations = options.maxIterations ?? 1000;
  const first = numeric.uncmin(search.objective, start, 1e-10, search.gradient, maxIterations);
  // A second run from the first one's answer restarts BFGS's curvature estimate, which
  // catches the occasional early stop on a flat stretch.
  const result = numeric.uncmin(search.objective, first.solution, 1e-10, search.gradient, maxIterations);
  const logParams = result.solution as number[];
  const params = logParams.map(Math.exp);
  const logLik = logLikelihood(params);
  const warnings: string[] = [];
  if (!Number.isFinite(logLik)) {
    return {
      params,
      standardErrors: params.map(() => null),
      logLikelihood: logLik,
      iterations: 0,
      converged: false,
      warnings: ['the log-likelihood is not finite at the optimum'],
    };
  }
  for (const [index, value] of logParams.entries()) {
    if (Math.abs(value) > BOUNDARY_WARNING) {
      warnings.push(
        `${options.names[index]} ran off towards ${value > 0 ? 'infinity' : 'zero'} (${params[index]!.toExponential(2)}): the data do not determine it`,
      );
    }
  }
  const hessian = options.valueAndGradient
    ? hessianFromGradient(options.valueAndGradient, logParams)
    : negativeLogLikelihoodHessian((logs) => -logLikelihood(logs.map(Math.exp)), logParams);
  const standardErrors = standardErrorsAt(hessian, logParams, options.names, warnings);
  const converged =
    result.message === 'Newton step smaller than tol' ||
    /smaller than tol|converged/i.test(String(result.message));
  return {
    params,
    standardErrors,
    logLikelihood: logLik,
    iterations: (first.iterations ?? 0) + (result.iterations ?? 0),
    converged,
    warnings,
  };
}

/**
 * Standard errors from the inverse Hessian of −log L. The Hessian is taken in log space (where
 * the steps are relative, so one step size suits every parameter); at the optimum the
 * gradient is zero, so Cov(θ) = diag(θ) · Cov(log θ) · diag(θ) exactly (delta method).
 */
function standardErrorsAt(
  hessian: number[][],
  logParams: readonly number[],
  names: readonly string[],
  warnings: string[],
): (number | null)[] {
  const none = logParams.map(() => null);
  if (hessian.some((row) => row.some((value) => !Number.isFinite(value)))) {
    warnings.push('standard errors unavailable: the curvature of the likelihood could not be computed');
    return none;
  }
  const matrix = new Matrix(hessian);
  if (!new CholeskyDecomposition(matrix).isPositiveDefinite()) {
    warnings.push(
      'standard errors unavailable: the likelihood is flat in some direction at the optimum (the data do not determine every parameter)',
    );
    return none;
  }
  const covariance = inverse(matrix);
  return logParams.map((logValue, index) => {
    const variance = covariance.get(index, index);
    if (!(variance > 0) || !Number.isFinite(variance)) {
      warnings.push(`standard error of ${names[index]} unavailable`);
      return null;
    }
    return Math.exp(logValue) * Math.sqrt(variance);
  });
}

/** Central finite-difference Hessian of f at x. */
export function negativeLogLikelihoodHessian(f: (x: number[]) => number, x: readonly number[]): number[][] {
  const n = x.length;
  const step = 1e-4;
  const at = (changes: [number, number][]): number => {
    const point = [...x];
    for (const [index, delta] of changes) point[index] = point[index]! + delta;
    return f(point);
  };
  const centre = f([...x]);
  const hessian: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    hessian[i]![i] = (at([[i, step]]) - 2 * centre + at([[i, -step]])) / (step * step);
    for (let j = i + 1; j < n; j++) {
      const value =
        (at([
          [i, step],
          [j, step],
        ]) -
          at([
            [i, step],
            [j, -step],
          ]) -
          at([
            [i, -step],
            [j, step],
          ]) +
          at([
            [i, -step],
            [j, -step],
          ])) /
        (4 * step * step);
      hessian[i]![j] = value;
      hessian[j]![i] = value;
    }
  }
  return hessian;
}

/**
 * The objective and gradient BFGS sees, in log-parameter space, from one function giving the
 * log-likelihood and its gradient. numeric's uncmin asks for the gradient at the point whose
 * value it has just computed, so the gradient of the last point is kept and handed back.
 */
function analyticGradient(
  valueAndGradient: (params: readonly number[], gradient: number[]) => number,
  scale: number,
): { objective: (logParams: number[]) => number; gradient: (logParams: number[]) => number[] } {
  let lastPoint: number[] | undefined;
  let lastGradient: number[] = [];
  const evaluate = (logParams: number[]): number => {
    if (logParams.some((value) => Math.abs(value) > LOG_BOUND)) {
      lastPoint = undefined;
      return Number.MAX_VALUE;
    }
    const params = logParams.map(Math.exp);
    const natural = new Array<number>(params.length).fill(0);
    const value = -valueAndGradient(params, natural) / scale;
    // d/d log θ = θ · d/dθ; the objective is −log L / n.
    lastGradient = natural.map((derivative, index) => (-derivative * params[index]!) / scale);
    lastPoint = [...logParams];
    return Number.isFinite(value) ? value : Number.MAX_VALUE;
  };
  const gradient = (logParams: number[]): number[] => {
    const same = lastPoint?.every((value, index) => value === logParams[index]) ?? false;
    if (!same) evaluate(logParams);
    return lastPoint === undefined ? logParams.map(() => Number.NaN) : lastGradient;
  };
  return { objective: evaluate, gradient };
}

/**
 * Hessian of −log L in log-parameter space by central differences of the analytic gradient
 * (symmetrised): 2k gradient passes instead of 2k² + 1 likelihood passes, and more accurate.
 */
export function hessianFromGradient(
  valueAndGradient: (params: readonly number[], gradient: number[]) => number,
  logParams: readonly number[],
): number[][] {
  const n = logParams.length;
  const step = 1e-4;
  const gradientAt = (logs: number[]): number[] => {
    const params = logs.map(Math.exp);
    const natural = new Array<number>(n).fill(0);
    valueAndGradient(params, natural);
    return natural.map((derivative, index) => -derivative * params[index]!);
  };
  const columns = logParams.map((_, j) => {
    const up = [...logParams];
    const down = [...logParams];
    up[j] = up[j]! + step;
    down[j] = down[j]! - step;
    const above = gradientAt(up);
    const below = gradientAt(down);
    return above.map((value, i) => (value - below[i]!) / (2 * step));
  });
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => (columns[j]![i]! + columns[i]![j]!) / 2),
  );
}
