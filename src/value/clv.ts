// Per-customer predictions from fitted models: P(alive), expected purchases over a horizon,
// expected spend per purchase and CLV, the discounted value of the purchases expected over
// the horizon.
import { type BgNbdParams, conditionalExpectedPurchases, probabilityAlive } from './bgnbd.ts';
import { DAYS_PER_UNIT, type TimeUnit } from './dates.ts';
import { expectedAverageSpend, type GammaGammaParams } from './gamma-gamma.ts';
import type { CustomerSummary } from './summary.ts';

export interface ClvOptions {
  /** Horizon in units; 0 gives 0 expected purchases and a CLV of 0. */
  horizon: number;
  /** Annual discount rate (0.1 = 10% a year); converted to the unit. */
  annualDiscountRate: number;
  unit: TimeUnit;
}

export interface SpendModel {
  /** Absent when the Gamma-Gamma model could not be fitted (no repeat buyers). */
  params?: GammaGammaParams;
  /** Spend per purchase used where the model cannot give one (see expectedAverageSpend). */
  fallback: number;
}

export interface CustomerPrediction {
  customerId: string;
  frequency: number;
  recency: number;
  age: number;
  probabilityAlive: number;
  expectedPurchases: number;
  expectedAverageSpend: number;
  clv: number;
}

/** Discount rate per unit equivalent to an annual rate: (1 + d)^(unit days / 365.25) − 1. */
export function discountRatePerUnit(annualDiscountRate: number, unit: TimeUnit): number {
  return (1 + annualDiscountRate) ** (DAYS_PER_UNIT[unit] / 365.25) - 1;
}

/**
 * CLV over the horizon: the purchases expected in each unit-long step, times the expected
 * spend, discounted to today at the end of the step. A horizon that is not a whole number of
 * units ends with a shorter step.
 */
export function customerLifetimeValue(
  params: BgNbdParams,
  customer: Pick<CustomerSummary, 'frequency' | 'recency' | 'age'>,
  averageSpend: number,
  horizon: number,
  ratePerUnit: number,
): number {
  if (horizon <= 0) return 0;
  let value = 0;
  let previous = 0;
  const steps = Math.ceil(horizon);
  for (let step = 1; step <= steps; step++) {
    const end = Math.min(step, horizon);
    const cumulative = conditionalExpectedPurchases(
      params,
      customer.frequency,
      customer.recency,
      customer.age,
      end,
    );
    value += ((cumulative - previous) * averageSpend) / (1 + ratePerUnit) ** end;
    previous = cumulative;
  }
  return value;
}

export function predictCustomer(
  bgNbd: BgNbdParams,
  spend: SpendModel,
  customer: CustomerSummary,
  options: ClvOptions,
): CustomerPrediction {
  const ratePerUnit = discountRatePerUnit(options.annualDiscountRate, options.unit);
  return predictWithRate(bgNbd, spend, customer, options.horizon, ratePerUnit);
}

function predictWithRate(
  bgNbd: BgNbdParams,
  spend: SpendModel,
  customer: CustomerSummary,
  horizon: number,
  ratePerUnit: number,
): CustomerPrediction {
  const { frequency, recency, age } = customer;
  const averageSpend = spend.params
    ? expectedAverageSpend(spend.params, frequency, customer.meanRepeatSpend, spend.fallback)
    : spend.fallback;
  return {
    customerId: customer.customerId,
    frequency,
    recency,
    age,
    probabilityAlive: probabilityAlive(bgNbd, frequency, recency, age),
    expectedPurchases: conditionalExpectedPurchases(bgNbd, frequency, recency, age, horizon),
    expectedAverageSpend: averageSpend,
    clv: customerLifetimeValue(bgNbd, customer, averageSpend, horizon, ratePerUnit),
  };
}

/** Predictions for every customer. */
export function predictCustomers(
  bgNbd: BgNbdParams,
  spend: SpendModel,
  customers: readonly CustomerSummary[],
  options: ClvOptions,
): CustomerPrediction[] {
  const ratePerUnit = discountRatePerUnit(options.annualDiscountRate, options.unit);
  return customers.map((customer) => predictWithRate(bgNbd, spend, customer, options.horizon, ratePerUnit));
}
