// The budget as a portfolio: a response curve per channel fitted from weekly spend and revenue
// (geometric adstock and exponential saturation, the shape Robyn, Meridian and PyMC-Marketing
// fit), with uncertainty from a residual bootstrap; marginal ROI at the current spend; and the
// split of a total budget that maximises expected revenue, with the expected gain and its
// interval.
//
// Weekly revenue = baseline + Σ_c β_c · (1 − exp(−adstock_c / κ_c)),
// adstock_c,t = spend_c,t + decay_c · adstock_c,t−1.
// Least squares by variable projection (see leastSquares): decay through a logistic and κ
// through exp, so every trial point is valid.
import mt19937 from '@stdlib/random-base-mt19937';
import { Matrix, solve } from 'ml-matrix';
import numeric from 'numeric';

export interface SpendHistory {
  /** Spend per channel, one number per week (all the same length as `outcome`). */
  spend: Record<string, readonly number[]>;
  /** Revenue (or any outcome in money) per week. */
  outcome: readonly number[];
}

export interface ChannelCurve {
  decay: number;
  beta: number;
  kappa: number;
}

export interface CurveFit {
  channels: string[];
  baseline: number;
  curves: Record<string, ChannelCurve>;
  /** Share of the weekly outcome's variance the fit explains. */
  rSquared: number;
  /** Residual standard deviation per week. */
  sigma: number;
  /** Refits on bootstrapped residuals: the uncertainty of everything derived from the curves. */
  draws: { baseline: number; curves: Record<string, ChannelCurve> }[];
  /** 5th and 95th percentiles of each parameter over the draws. */
  intervals: Record<string, Record<keyof ChannelCurve, [number, number]>>;
}

export const MIN_WEEKS = 12;

function checkHistory(history: SpendHistory): string[] {
  const channels = Object.keys(history.spend).sort();
  const weeks = history.outcome.length;
  if (channels.length === 0) throw new RangeError('the history has no channel');
  if (weeks < MIN_WEEKS + 3 * channels.length) {
    throw new RangeError(
      `${weeks} weeks are too few to fit ${channels.length} channels (3 parameters each): at least ${MIN_WEEKS + 3 * channels.length}`,
    );
  }
  for (const channel of channels) {
    const series = history.spend[channel]!;
    if (series.length !== weeks)
      throw new RangeError(`${channel} has ${series.length} weeks of spend, the outcome ${weeks}`);
    if (series.some((amount) => !Number.isFinite(amount) || amount < 0)) {
      throw new RangeError(`${channel}'s spend has a negative or missing week`);
    }
  }
  if (history.outcome.some((value) => !Number.isFinite(value)))
    throw new RangeError('the outcome has a missing week');
  return channels;
}

const logistic = (x: number) => 1 / (1 + Math.exp(-x));
const logit = (p: number) => Math.log(p / (1 - p));

/** The model's weekly outcome for given curves. */
export function predictOutcome(
  baseline: number,
  curves: Record<string, ChannelCurve>,
  spend: Record<string, readonly number[]>,
  weeks: number,
): number[] {
  const out = new Array<number>(weeks).fill(baseline);
  for (const [channel, curve] of Object.entries(curves)) {
    const series = spend[channel]!;
    let adstock = 0;
    for (let week = 0; week < weeks; week += 1) {
      adstock = series[week]! + curve.decay * adstock;
      out[week]! += curve.beta * (1 - Math.exp(-adstock / curve.kappa));
    }
  }
  return out;
}

/** Saturated adstock 1 − exp(−adstock/κ) per week: the regressor β multiplies. */
function saturated(series: readonly number[], decay: number, kappa: number): number[] {
  let adstock = 0;
  return series.map((amount) => {
    adstock = amount + decay * adstock;
    return 1 - Math.exp(-adstock / kappa);
  });
}

type Fitted = { baseline: number; curves: Record<string, ChannelCurve> };

/**
 * Variable projection: for given decays and κs the model is linear in the baseline and the βs,
 * so those come from a linear least-squares solve (ml-matrix) and BFGS (numeric's uncmin)
 * searches only the 2 nonlinear parameters per channel. Far steadier than searching all of
 * them at once, where the baseline and a nearly linear channel trade off.
 */
function leastSquares(
  channels: readonly string[],
  spend: SpendHistory['spend'],
  outcome: readonly number[],
  from?: readonly number[],
): Fitted & { x: number[] } {
  const weeks = outcome.length;
  const y = Matrix.columnVector([...outcome]);
  const meanSpend = channels.map((channel) =>
    Math.max(1e-6, spend[channel]!.reduce((sum, value) => sum + value, 0) / weeks),
  );
  const unpack = (x: readonly number[]) =>
    channels.map((_, at) => ({
      decay: logistic(x[2 * at]!) * MAX_DECAY,
      kappa: meanSpend[at]! * Math.exp(x[2 * at + 1]!),
    }));
  const solveLinear = (x: readonly number[]) => {
    const shapes = unpack(x);
    const columns = shapes.map((shape, at) => saturated(spend[channels[at]!]!, shape.decay, shape.kappa));
    const design = new Matrix(weeks, channels.length + 1);
    for (let week = 0; week < weeks; week += 1) {
      design.set(week, 0, 1);
      columns.forEach((column, at) => {
        design.set(week, at + 1, column[week]!);
      });
    }
    // SVD: a κ far below the spend makes a column nearly constant, like the baseline's.
    const coefficients = solve(design, y, true);
    const residual = y.clone().sub(design.mmul(coefficients));
    return { shapes, coefficients: coefficients.to1DArray(), sse: residual.norm() ** 2 };
  };
  const scale = outcome.reduce((sum, value) => sum + value * value, 0) / weeks || 1;
  const objective = (x: number[]) => {
    if (x.some((value) => Math.abs(value) > 12)) return Number.MAX_VALUE;
    const { sse } = solveLinear(x);
    return Number.isFinite(sse) ? sse / weeks / scale : Number.MAX_VALUE;
  };
  // A bootstrap refit starts from the fit it perturbs; a first fit tries two starts (decay 0.2
  // or 0.6, κ at the mean spend) and keeps the better.
  let best: { x: number[]; f: number } | undefined;
  const starts = from
    ? [[...from]]
    : [0.2, 0.6].map((decay) => channels.flatMap(() => [logit(decay / MAX_DECAY), 0]));
  for (const start of starts) {
    const result = numeric.uncmin(objective, start, 1e-9, undefined, 500);
    if (!best || result.f < best.f) best = { x: result.solution as number[], f: result.f };
  }
  const { shapes, coefficients } = solveLinear(best!.x);
  const curves: Record<string, ChannelCurve> = {};
  channels.forEach((channel, at) => {
    curves[channel] = { decay: shapes[at]!.decay, beta: coefficients[at + 1]!, kappa: shapes[at]!.kappa };
  });
  return { baseline: coefficients[0]!, curves, x: best!.x };
}

const MAX_DECAY = 0.95;

export interface FitOptions {
  /** Residual-bootstrap refits for the uncertainty (default 40). */
  bootstrap?: number;
  seed?: number;
}

export function fitResponseCurves(history: SpendHistory, options: FitOptions = {}): CurveFit {
  const channels = checkHistory(history);
  const weeks = history.outcome.length;
  const { baseline, curves, x } = leastSquares(channels, history.spend, history.outcome);
  const fitted = predictOutcome(baseline, curves, history.spend, weeks);
  const residuals = history.outcome.map((value, week) => value - fitted[week]!);
  const mean = history.outcome.reduce((sum, value) => sum + value, 0) / weeks;
  const total = history.outcome.reduce((sum, value) => sum + (value - mean) ** 2, 0);
  const sse = residuals.reduce((sum, value) => sum + value * value, 0);
  const random = (mt19937.factory({ seed: options.seed ?? 1 }) as unknown as { normalized: () => number })
    .normalized;
  const draws: CurveFit['draws'] = [];
  for (let draw = 0; draw < (options.bootstrap ?? 40); draw += 1) {
    const resampled = fitted.map((value) => value + residuals[Math.floor(random() * weeks)]!);
    const refit = leastSquares(channels, history.spend, resampled, x);
    draws.push({ baseline: refit.baseline, curves: refit.curves });
  }
  const intervals: CurveFit['intervals'] = {};
  for (const channel of channels) {
    const interval = (key: keyof ChannelCurve): [number, number] => {
      const values = draws.map((d) => d.curves[channel]![key]);
      return [quantile(values, 0.05), quantile(values, 0.95)];
    };
    intervals[channel] = { decay: interval('decay'), beta: interval('beta'), kappa: interval('kappa') };
  }
  return {
    channels,
    baseline,
    curves,
    rSquared: total > 0 ? 1 - sse / total : 0,
    sigma: Math.sqrt(sse / Math.max(1, weeks - 1 - 3 * channels.length)),
    draws,
    intervals,
  };
}

export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  return sorted[low]! + (sorted[Math.min(sorted.length - 1, low + 1)]! - sorted[low]!) * (at - low);
}

/** Weekly revenue from a steady weekly spend: adstock settles at spend / (1 − decay). */
export function steadyResponse(curve: ChannelCurve, weeklySpend: number): number {
  return curve.beta * (1 - Math.exp(-weeklySpend / ((1 - curve.decay) * curve.kappa)));
}

/** Revenue from one more unit of steady weekly spend: the marginal ROI (1 = break-even). */
export function marginalReturn(curve: ChannelCurve, weeklySpend: number): number {
  const scale = (1 - curve.decay) * curve.kappa;
  return (curve.beta / scale) * Math.exp(-weeklySpend / scale);
}

/**
 * The weekly split of `budget` with the most expected revenue. The curves are concave, so the
 * optimum gives every funded channel the same marginal return λ (channels whose first unit
 * returns less get nothing); λ is found by bisection on the budget it implies.
 */
export function allocateBudget(curves: Record<string, ChannelCurve>, budget: number): Record<string, number> {
  const names = Object.keys(curves).sort();
  const spendAt = (lambda: number) =>
    Object.fromEntries(
      names.map((name) => {
        const curve = curves[name]!;
        const scale = (1 - curve.decay) * curve.kappa;
        return [name, Math.max(0, scale * Math.log(curve.beta / scale / lambda))];
      }),
    );
  const total = (lambda: number) => Object.values(spendAt(lambda)).reduce((sum, x) => sum + x, 0);
  if (budget <= 0) return Object.fromEntries(names.map((name) => [name, 0]));
  let low = 1e-12;
  let high = Math.max(...names.map((name) => marginalReturn(curves[name]!, 0)));
  for (let step = 0; step < 200; step += 1) {
    const middle = Math.sqrt(low * high);
    if (total(middle) > budget) low = middle;
    else high = middle;
  }
  return spendAt(Math.sqrt(low * high));
}

export interface PortfolioPlan {
  budget: number;
  channels: {
    channel: string;
    currentSpend: number;
    suggestedSpend: number;
    marginalRoi: number;
    marginalRoiInterval: [number, number];
  }[];
  /** Expected weekly revenue from the channels at the current and the suggested split. */
  currentRevenue: number;
  suggestedRevenue: number;
  /** suggested − current, with its 5–95% interval over the bootstrap draws. */
  expectedGain: number;
  gainInterval: [number, number];
}

/** The plan for a weekly `budget` (default: the current total) against the current split. */
export function portfolioPlan(
  fit: CurveFit,
  current: Record<string, number>,
  budget?: number,
): PortfolioPlan {
  const total = budget ?? Object.values(current).reduce((sum, x) => sum + x, 0);
  const suggested = allocateBudget(fit.curves, total);
  const revenue = (curves: Record<string, ChannelCurve>, split: Record<string, number>) =>
    fit.channels.reduce((sum, channel) => sum + steadyResponse(curves[channel]!, split[channel] ?? 0), 0);
  const currentRevenue = revenue(fit.curves, current);
  const suggestedRevenue = revenue(fit.curves, suggested);
  const gains = fit.draws.map((draw) => revenue(draw.curves, suggested) - revenue(draw.curves, current));
  return {
    budget: total,
    channels: fit.channels.map((channel) => {
      const at = current[channel] ?? 0;
      const marginal = fit.draws.map((draw) => marginalReturn(draw.curves[channel]!, at));
      return {
        channel,
        currentSpend: at,
        suggestedSpend: suggested[channel] ?? 0,
        marginalRoi: marginalReturn(fit.curves[channel]!, at),
        marginalRoiInterval: [quantile(marginal, 0.05), quantile(marginal, 0.95)],
      };
    }),
    currentRevenue,
    suggestedRevenue,
    expectedGain: suggestedRevenue - currentRevenue,
    gainInterval: [quantile(gains, 0.05), quantile(gains, 0.95)],
  };
}
