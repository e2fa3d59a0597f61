// The Gamma-Gamma spend model (Fader & Hardie, "The Gamma-Gamma model of monetary value",
// 2013; Colombo & Jiang 1999): each purchase of a customer is worth Gamma(p, ν) and ν varies
// between customers as Gamma(q, γ). Only repeat buyers inform it: their mean repeat spend
// m_x over x purchases is the datum. It assumes spend does not depend on how often people buy.
import digamma from '@stdlib/math-base-special-digamma';
import gammaln from '@stdlib/math-base-special-gammaln';
import { RapportError } from '../errors/index.ts';
import type { FitOptions } from './bgnbd.ts';
import { compressRows } from './compress.ts';
import { maximiseLogLikelihood } from './optimise.ts';
import type { CustomerSummary } from './summary.ts';

export interface GammaGammaParams {
  p: number;
  q: number;
  gamma: number;
}

export const GAMMA_GAMMA_PARAM_NAMES = ['p', 'q', 'gamma'] as const;

export interface GammaGammaFit {
  params: GammaGammaParams;
  standardErrors: Record<keyof GammaGammaParams, number | null>;
  logLikelihood: number;
  /** Repeat buyers with a positive mean repeat spend: the customers the model was fitted on. */
  customers: number;
  /** Repeat buyers left out because their repeat purchases were worth 0. */
  excludedZeroSpend: number;
  /** Correlation between x and mean repeat spend among the fitted customers. */
  frequencySpendCorrelation: number | null;
  iterations: number;
  converged: boolean;
  warnings: string[];
}

/** Repeat buyers' (x, m_x); those with the same pair are one row weighted by their number. */
export interface SpendData {
  frequency: Float64Array;
  meanSpend: Float64Array;
  logMeanSpend: Float64Array;
  weight: Float64Array;
}

/** Sum over repeat buyers of log f(m_x | p, q, γ, x). */
export function gammaGammaLogLikelihood(params: GammaGammaParams, data: SpendData): number {
  const { p, q, gamma } = params;
  let total = 0;
  const constant = q * Math.log(gamma) - gammaln(q);
  for (let i = 0; i < data.frequency.length; i++) {
    const x = data.frequency[i]!;
    const px = p * x;
    total +=
      data.weight[i]! *
      (constant +
        gammaln(px + q) -
        gammaln(px) +
        (px - 1) * data.logMeanSpend[i]! +
        px * Math.log(x) -
        (px + q) * Math.log(x * data.meanSpend[i]! + gamma));
  }
  return total;
}

/**
 * The log-likelihood and, in `gradient`, its derivatives with respect to (p, q, γ):
 * ∂/∂p = x (ψ(px+q) − ψ(px) + log m_x + log x − log(x m_x + γ)),
 * ∂/∂q = log γ − ψ(q) + ψ(px+q) − log(x m_x + γ), ∂/∂γ = q/γ − (px+q)/(x m_x + γ).
 */
export function gammaGammaLogLikelihoodGradient(
  params: GammaGammaParams,
  data: SpendData,
  gradient: number[],
): number {
  const { p, q, gamma } = params;
  const logGamma = Math.log(gamma);
  const constant = q * logGamma - gammaln(q);
  const constantDq = logGamma - digamma(q);
  let total = 0;
  let gp = 0;
  let gq = 0;
  let gGamma = 0;
  for (let i = 0; i < data.frequency.length; i++) {
    const x = data.frequency[i]!;
    const w = data.weight[i]!;
    const px = p * x;
    const logX = Math.log(x);
    const logMean = data.logMeanSpend[i]!;
    const spent = x * data.meanSpend[i]! + gamma;
    const logSpent = Math.log(spent);
    total +=
      w * (constant + gammaln(px + q) - gammaln(px) + (px - 1) * logMean + px * logX - (px + q) * logSpent);
    const digammaPxq = digamma(px + q);
    gp += w * x * (digammaPxq - digamma(px) + logMean + logX - logSpent);
    gq += w * (constantDq + digammaPxq - logSpent);
    gGamma += w * (q / gamma - (px + q) / spent);
  }
  gradient[0] = gp;
  gradient[1] = gq;
  gradient[2] = gGamma;
  return total;
}

/** Fits on repeat buyers only. Throws RAPPORT_VALUE_FIT_FAILED when there are none. */
export function fitGammaGamma(
  customers: readonly CustomerSummary[],
  options: FitOptions = {},
): GammaGammaFit {
  const repeatBuyers = customers.filter((customer) => customer.frequency > 0);
  const usable = repeatBuyers.filter((customer) => customer.meanRepeatSpend > 0);
  if (usable.length === 0) {
    throw new RapportError(
      'RAPPORT_VALUE_FIT_FAILED',
      repeatBuyers.length === 0
        ? 'Gamma-Gamma spend model cannot be fitted: it uses only repeat buyers, and no customer made a repeat purchase'
        : `Gamma-Gamma spend model cannot be fitted: all ${repeatBuyers.length} repeat buyers' repeat purchases are worth 0`,
      { repeatBuyers: repeatBuyers.length },
    );
  }
  const columns = toSpendColumns(usable);
  const data = toSpendData(columns, options.compress !== false);
  const meanSpend = average(columns.meanSpend);
  const fit = maximiseLogLikelihood(
    ([p, q, gamma]) => gammaGammaLogLikelihood({ p: p!, q: q!, gamma: gamma! }, data),
    usable.length,
    {
      names: GAMMA_GAMMA_PARAM_NAMES,
      // Starting at a mean of about the observed one keeps the first steps sensible for any currency.
      start: [1, 2, meanSpend],
      valueAndGradient:
        options.analyticGradient === false
          ? undefined
          : ([p, q, gamma], gradient) =>
              gammaGammaLogLikelihoodGradient({ p: p!, q: q!, gamma: gamma! }, data, gradient),
    },
  );
  const [p, q, gamma] = fit.params as [number, number, number];
  const [seP, seQ, seGamma] = fit.standardErrors as [number | null, number | null, number | null];
  const correlation = pearson(columns.frequency, columns.meanSpend);
  return {
    params: { p, q, gamma },
    standardErrors: { p: seP, q: seQ, gamma: seGamma },
    logLikelihood: fit.logLikelihood,
    customers: usable.length,
    excludedZeroSpend: repeatBuyers.length - usable.length,
    frequencySpendCorrelation: correlation,
    iterations: fit.iterations,
    converged: fit.converged,
    warnings: [...spendWarnings(usable.length, repeatBuyers.length, correlation, q), ...fit.warnings],
  };
}

function spendWarnings(used: number, repeatBuyers: number, correlation: number | null, q: number): string[] {
  const warnings: string[] = [];
  if (used < repeatBuyers) {
    warnings.push(
      `${repeatBuyers - used} repeat buyers whose repeat purchases were worth 0 were left out of the spend model`,
    );
  }
  // Gamma-Gamma assumes spend and frequency are independent (Fader & Hardie 2013).
  if (correlation !== null && Math.abs(correlation) > 0.3) {
    warnings.push(
      `spend per purchase and number of purchases are correlated (r = ${correlation.toFixed(2)}); the spend model assumes they are not, so spend predictions may be biased`,
    );
  }
  if (q <= 1) {
    warnings.push(
      `q = ${q.toFixed(3)} ≤ 1: the model's average spend for a new customer is infinite, so customers with no repeat purchase get the observed average repeat spend instead`,
    );
  }
  return warnings;
}

function toSpendColumns(customers: readonly CustomerSummary[]): {
  frequency: Float64Array;
  meanSpend: Float64Array;
} {
  const frequency = Float64Array.from(customers, (customer) => customer.frequency);
  const meanSpend = Float64Array.from(customers, (customer) => customer.meanRepeatSpend);
  return { frequency, meanSpend };
}

/** The likelihood's input: one row per distinct (x, m_x) unless `compress` is false. */
export function toSpendData(
  columns: { frequency: Float64Array; meanSpend: Float64Array },
  compress = true,
): SpendData {
  if (!compress) {
    const { frequency, meanSpend } = columns;
    return {
      frequency,
      meanSpend,
      logMeanSpend: meanSpend.map(Math.log),
      weight: new Float64Array(frequency.length).fill(1),
    };
  }
  const { columns: distinct, weight } = compressRows([columns.frequency, columns.meanSpend]);
  const [frequency, meanSpend] = distinct as [Float64Array, Float64Array];
  return { frequency, meanSpend, logMeanSpend: meanSpend.map(Math.log), weight };
}

/**
 * E[spend per purchase | x, m_x]: a weighted average of the population mean pγ/(q−1) and the
 * customer's own mean, the weight on their own growing with x. `fallback` is used for
 * customers with no repeat purchase when q ≤ 1 (the population mean is then infinite).
 */
export function expectedAverageSpend(
  params: GammaGammaParams,
  frequency: number,
  meanRepeatSpend: number,
  fallback: number,
): number {
  const { p, q, gamma } = params;
  const denominator = p * frequency + q - 1;
  if (denominator <= 0) return frequency > 0 ? meanRepeatSpend : fallback;
  return (p * (gamma + frequency * meanRepeatSpend)) / denominator;
}

function average(values: Float64Array): number {
  let sum = 0;
  for (const value of values) sum += value;
  return sum / values.length;
}

function pearson(left: Float64Array, right: Float64Array): number | null {
  const n = left.length;
  if (n < 3) return null;
  const meanLeft = average(left);
  const meanRight = average(right);
  let covariance = 0;
  let varianceLeft = 0;
  let varianceRight = 0;
  for (let i = 0; i < n; i++) {
    const dl = left[i]! - meanLeft;
    const dr = right[i]! - meanRight;
    covariance += dl * dr;
    varianceLeft += dl * dl;
    varianceRight += dr * dr;
  }
  if (varianceLeft === 0 || varianceRight === 0) return null;
  return covariance / Math.sqrt(varianceLeft * varianceRight);
}
