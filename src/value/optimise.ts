// Maximum likelihood in log-parameter space. The models' parameters are all positive, so the
// optimiser searches over log(θ), which keeps every trial point valid without constraints.
// numeric's uncmin (BFGS with a line search) does the searching; the Hessian of the negative
// log-likelihood at the optimum (central finite differences) gives the standard errors.
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
  const first = numeric.uncmin(objective, start, 1e-10, undefined, options.maxIterations ?? 1000);
  // A second run from the first one's answer restarts BFGS's curvature estimate, which
  // catches the occasional early stop on a flat stretch.
  const result = numeric.uncmin(objective, first.solution, 1e-10, undefined, options.maxIterations ?? 1000);
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
  const standardErrors = standardErrorsAt(logLikelihood, logParams, options.names, warnings);
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
  logLikelihood: (params: readonly number[]) => number,
  logParams: readonly number[],
  names: readonly string[],
  warnings: string[],
): (number | null)[] {
  const hessian = negativeLogLikelihoodHessian((logs) => -logLikelihood(logs.map(Math.exp)), logParams);
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
