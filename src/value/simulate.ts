// Customers drawn from the BG/NBD and Gamma-Gamma models themselves, with a seeded PRNG so a
// run can be repeated. Tests plant parameters and check the fit finds them again; the
// "simulated world" generator reuses it to give its synthetic customers realistic purchases.
import randomGamma from '@stdlib/random-base-gamma';
import mt19937 from '@stdlib/random-base-mt19937';
import type { BgNbdParams } from './bgnbd.ts';
import type { GammaGammaParams } from './gamma-gamma.ts';
import type { CustomerSummary } from './summary.ts';

export interface SimulationParams {
  bgNbd: BgNbdParams;
  /** Spend model; without it every purchase is worth 1. */
  gammaGamma?: GammaGammaParams;
}

export interface SimulationOptions {
  /** Each customer's age T at the calibration end is drawn uniformly from [minAge, maxAge] units. */
  minAge?: number;
  maxAge?: number;
  /** Length of a holdout period after the calibration end, in units (purchases simulated into it too). */
  holdoutLength?: number;
}

export interface SimulatedCustomer {
  customerId: string;
  /** Age at the calibration end: time since the first purchase. */
  age: number;
  /** Purchase times in units since the first purchase (the first is 0), up to age + holdoutLength. */
  purchaseTimes: number[];
  /** Value of each purchase, same order as purchaseTimes. */
  amounts: number[];
  /** The customer's hidden purchase rate λ, drop-out probability p and spend scale ν. */
  rate: number;
  dropOutProbability: number;
  spendRate: number;
}

/**
 * n customers, each: λ ~ Gamma(r, rate α), p ~ Beta(a, b); a first purchase at time 0, then
 * purchases at Poisson rate λ, and after each repeat purchase the customer leaves for good
 * with probability p. Purchase values ~ Gamma(p_spend, rate ν) with ν ~ Gamma(q, rate γ).
 */
export function simulateBgNbdCustomers(
  params: SimulationParams,
  n: number,
  seed: number,
  options: SimulationOptions = {},
): SimulatedCustomer[] {
  // The generator has a `normalized` method (uniform on [0, 1)) that stdlib's types leave out.
  const generator = mt19937.factory({ seed }) as unknown as { normalized: () => number };
  const uniform = generator.normalized;
  // stdlib's gamma takes (shape, rate).
  const gamma = randomGamma.factory({ prng: uniform });
  const { r, alpha, a, b } = params.bgNbd;
  const minAge = options.minAge ?? 26;
  const maxAge = options.maxAge ?? 52;
  const holdoutLength = options.holdoutLength ?? 0;
  const customers: SimulatedCustomer[] = [];
  for (let index = 0; index < n; index++) {
    const rate = gamma(r, alpha);
    const fromA = gamma(a, 1);
    const dropOutProbability = fromA / (fromA + gamma(b, 1));
    const age = minAge + (maxAge - minAge) * uniform();
    const end = age + holdoutLength;
    const purchaseTimes = [0];
    let time = 0;
    while (rate > 0) {
      time += -Math.log(1 - uniform()) / rate;
      if (time > end) break;
      purchaseTimes.push(time);
      if (uniform() < dropOutProbability) break;
    }
    const spend = params.gammaGamma;
    const spendRate = spend ? gamma(spend.q, spend.gamma) : 1;
    const amounts = purchaseTimes.map(() => (spend ? gamma(spend.p, spendRate) : 1));
    customers.push({
      customerId: String(index + 1),
      age,
      purchaseTimes,
      amounts,
      rate,
      dropOutProbability,
      spendRate,
    });
  }
  return customers;
}

/** The summary the models read, with purchases after the customer's age counted as holdout purchases. */
export function summariseSimulatedCustomer(customer: SimulatedCustomer): CustomerSummary {
  let frequency = 0;
  let recency = 0;
  let repeatSpend = 0;
  let holdoutPurchases = 0;
  for (let i = 1; i < customer.purchaseTimes.length; i++) {
    const time = customer.purchaseTimes[i]!;
    if (time > customer.age) {
      holdoutPurchases += 1;
      continue;
    }
    frequency += 1;
    recency = time;
    repeatSpend += customer.amounts[i]!;
  }
  return {
    customerId: customer.customerId,
    frequency,
    recency,
    age: customer.age,
    meanRepeatSpend: frequency > 0 ? repeatSpend / frequency : 0,
    holdoutPurchases,
  };
}
