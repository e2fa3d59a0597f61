// Weekly spend per channel and the revenue it drives, with the response planted: geometric
// adstock (a share `decay` of last week's effect carries over) and exponential saturation
// (β·(1 − e^(−adstock/κ))), plus a baseline and Gaussian noise. The budget portfolio's tests
// fit curves on this and check they recover what was planted (docs/attribution.md).
import { Random } from './random.ts';

export interface PlantedChannel {
  name: string;
  /** Share of last week's adstock carried into this week, 0 ≤ decay < 1. */
  decay: number;
  /** Revenue per week at full saturation. */
  beta: number;
  /** Adstock at which the response reaches 1 − 1/e (63%) of beta. */
  kappa: number;
  /** Average weekly spend; each week draws between 0.2× and 1.8× of it (sometimes 0). */
  meanSpend: number;
}

export interface MarketingMixPlan {
  weeks: number;
  channels: PlantedChannel[];
  /** Revenue per week without any spend. */
  baseline: number;
  /** Standard deviation of the weekly noise. */
  noise: number;
  seed: number;
}

export interface MarketingMixHistory {
  /** Spend per channel, one number per week. */
  spend: Record<string, number[]>;
  /** Revenue per week. */
  outcome: number[];
}

export function simulateMarketingMix(plan: MarketingMixPlan): MarketingMixHistory {
  const random = new Random(plan.seed, 0, 7);
  const spend: Record<string, number[]> = {};
  const outcome = Array.from({ length: plan.weeks }, () => plan.baseline + plan.noise * random.normal());
  for (const channel of plan.channels) {
    const weekly = Array.from({ length: plan.weeks }, () =>
      // A dark week now and then shows the baseline; the rest vary so the curve can be seen.
      random.uniform() < 0.1 ? 0 : channel.meanSpend * (0.2 + 1.6 * random.uniform()),
    );
    spend[channel.name] = weekly;
    let adstock = 0;
    weekly.forEach((amount, week) => {
      adstock = amount + channel.decay * adstock;
      outcome[week]! += channel.beta * (1 - Math.exp(-adstock / channel.kappa));
    });
  }
  return { spend, outcome };
}
