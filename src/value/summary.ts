// Transactions → one summary per customer, the only input the BG/NBD and Gamma-Gamma models
// need: x (repeat purchases), t_x (time of the last purchase), T (age at calibration end) and
// the mean value of the repeat purchases. Purchases on the same day count as one purchase
// whose value is the day's total, as in Fader, Hardie & Lee (2005).
import { DAYS_PER_UNIT, type TimeUnit } from './dates.ts';

export interface Transaction {
  customerId: string;
  /** Days since 1970-01-01 (see dates.ts). */
  day: number;
  amount: number;
}

export interface CustomerSummary {
  customerId: string;
  /** x: number of purchase days after the first one, in the calibration period. */
  frequency: number;
  /** t_x: time from the first to the last purchase day, in units. */
  recency: number;
  /** T: time from the first purchase day to the calibration end, in units. */
  age: number;
  /** Mean value of the repeat purchase days (the first purchase excluded); 0 when frequency is 0. */
  meanRepeatSpend: number;
  /** Purchase days in the holdout period (after calibration end, up to holdout end); 0 without a holdout. */
  holdoutPurchases: number;
}

export interface SummaryOptions {
  /** Last day of the calibration period (inclusive), as a day number. */
  calibrationEnd: number;
  unit: TimeUnit;
  /** Last day of the holdout period (inclusive); purchases after it are ignored. */
  holdoutEnd?: number;
}

export interface SummaryResult {
  customers: CustomerSummary[];
  /** Purchases after the calibration end by customers first seen before it (holdout or later). */
  purchasesAfterCalibration: number;
  /** Customers whose first purchase falls after the calibration end: they are not summarised. */
  customersFirstSeenAfterCalibration: number;
}

interface CustomerHistory {
  /** day → total value of that day's purchases, calibration period only */
  calibrationDays: Map<number, number>;
  holdoutDays: Set<number>;
  laterPurchases: number;
}

/** Accumulates transactions one at a time, so a file can be streamed straight into it. */
export class SummaryBuilder {
  readonly #options: SummaryOptions;
  readonly #histories = new Map<string, CustomerHistory>();

  constructor(options: SummaryOptions) {
    this.#options = options;
  }

  add(transaction: Transaction): void {
    const history = this.#historyOf(transaction.customerId);
    const { calibrationEnd, holdoutEnd } = this.#options;
    if (transaction.day <= calibrationEnd) {
      const sameDay = history.calibrationDays.get(transaction.day) ?? 0;
      history.calibrationDays.set(transaction.day, sameDay + transaction.amount);
    } else if (holdoutEnd !== undefined && transaction.day <= holdoutEnd) {
      history.holdoutDays.add(transaction.day);
    } else {
      history.laterPurchases += 1;
    }
  }

  finish(): SummaryResult {
    const customers: CustomerSummary[] = [];
    let purchasesAfterCalibration = 0;
    let customersFirstSeenAfterCalibration = 0;
    for (const [customerId, history] of this.#histories) {
      if (history.calibrationDays.size === 0) {
        customersFirstSeenAfterCalibration += 1;
        continue;
      }
      purchasesAfterCalibration += history.holdoutDays.size + history.laterPurchases;
      customers.push(this.#summarise(customerId, history));
    }
    return { customers, purchasesAfterCalibration, customersFirstSeenAfterCalibration };
  }

  #historyOf(customerId: string): CustomerHistory {
    let history = this.#histories.get(customerId);
    if (!history) {
      history = { calibrationDays: new Map(), holdoutDays: new Set(), laterPurchases: 0 };
      this.#histories.set(customerId, history);
    }
    return history;
  }

  #summarise(customerId: string, history: CustomerHistory): CustomerSummary {
    const unitDays = DAYS_PER_UNIT[this.#options.unit];
    const days = [...history.calibrationDays.keys()].sort((left, right) => left - right);
    const first = days[0]!;
    const last = days[days.length - 1]!;
    let repeatSpend = 0;
    for (const day of days.slice(1)) repeatSpend += history.calibrationDays.get(day)!;
    const frequency = days.length - 1;
    return {
      customerId,
      frequency,
      recency: (last - first) / unitDays,
      age: (this.#options.calibrationEnd - first) / unitDays,
      meanRepeatSpend: frequency > 0 ? repeatSpend / frequency : 0,
      holdoutPurchases: history.holdoutDays.size,
    };
  }
}

/** Summaries of all customers first seen by the calibration end. */
export function summariseTransactions(
  transactions: Iterable<Transaction>,
  options: SummaryOptions,
): SummaryResult {
  const builder = new SummaryBuilder(options);
  for (const transaction of transactions) builder.add(transaction);
  return builder.finish();
}
