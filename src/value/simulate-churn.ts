// Subscribers whose chance of cancelling is a known logistic function of their engagement
// signals, drawn with a seeded PRNG: tests plant coefficients and check the fitted model finds
// their signs and separates churners as well as the planted model does; the benchmark uses it
// for a million subscribers.
import mt19937 from '@stdlib/random-base-mt19937';
import { CHURN_FEATURES, type ChurnExample, type ChurnSignals, churnFeatureVector } from './churn.ts';
import { sigmoid } from './logistic.ts';

export interface PlantedChurn {
  intercept: number;
  /** One coefficient per CHURN_FEATURES entry (on log(1 + signal)). */
  coefficients: readonly number[];
}

/** Risk rises with inactivity, tickets and failed payments; falls with email opens and tenure. */
export const DEFAULT_PLANTED_CHURN: PlantedChurn = {
  intercept: -1.5,
  coefficients: [0.8, 0.5, -0.6, 1.2, -0.3],
};

export interface SimulatedSubscriber extends ChurnExample {
  /** The planted P(churn) the label was drawn from. */
  plantedRisk: number;
}

export function simulateSubscribers(
  n: number,
  seed: number,
  planted: PlantedChurn = DEFAULT_PLANTED_CHURN,
): SimulatedSubscriber[] {
  if (planted.coefficients.length !== CHURN_FEATURES.length) {
    throw new Error(`planted churn needs ${CHURN_FEATURES.length} coefficients`);
  }
  const random = (mt19937.factory({ seed }) as unknown as { normalized: () => number }).normalized;
  const poisson = (mean: number) => {
    // Knuth's method: fine for the small means used here.
    const limit = Math.exp(-mean);
    let count = 0;
    for (let product = random(); product > limit; product *= random()) count += 1;
    return count;
  };
  const subscribers: SimulatedSubscriber[] = [];
  for (let i = 0; i < n; i++) {
    const signals: ChurnSignals = {
      daysSinceLastUse: Math.floor(-Math.log(1 - random()) * 12),
      supportTickets: poisson(0.6),
      emailOpens: poisson(4 * random()),
      paymentFailures: random() < 0.1 ? 1 + poisson(0.5) : 0,
      tenureDays: 30 + Math.floor(random() * 700),
    };
    const features = churnFeatureVector(signals);
    const z = features.reduce((sum, value, j) => sum + value * planted.coefficients[j]!, planted.intercept);
    const plantedRisk = sigmoid(z);
    subscribers.push({ profileId: `s${seed}-${i}`, signals, churned: random() < plantedRisk, plantedRisk });
  }
  return subscribers;
}
